/**
 * `npm run bench:cli [-- --runs N] [--json]`: how long the built `matriz` binary takes to start
 * and answer, wall time of a fresh process each run (what a user or a CI script waits for),
 * with `node -e 0` as the same-run baseline. Prints a table, then one JSON object (only the JSON
 * with `--json`). Target (issue 15): `matriz --version` and `matriz nodespec validate` of one
 * file at most 0.3 s; `pass` says whether their medians meet it.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    json: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');

const root = path.resolve(import.meta.dirname, '..');
const bin = path.join(root, 'bin', 'matriz.js');
const example = path.join(root, 'examples', 'telemetry_probe.json');
const TARGET_SECONDS = 0.3;

const cases = [
  { name: 'node -e 0 (baseline)', args: ['-e', '0'], target: false },
  { name: 'matriz --version', args: [bin, '--version'], target: true },
  {
    name: 'matriz nodespec validate <one file>',
    args: [bin, 'nodespec', 'validate', example],
    target: true,
  },
  { name: 'matriz --help', args: [bin, '--help'], target: false },
];

function measure(args) {
  const seconds = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'ignore' });
    seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
    if (result.status !== 0) throw new Error(`${args.join(' ')} exited with ${result.status}`);
  }
  seconds.sort((a, b) => a - b);
  const at = (q) => seconds[Math.min(seconds.length - 1, Math.floor(q * seconds.length))];
  return { min: seconds[0], median: at(0.5), p90: at(0.9), max: seconds[seconds.length - 1] };
}

const results = cases.map((c) => ({ name: c.name, target: c.target, ...measure(c.args) }));
const round = (s) => Math.round(s * 1000) / 1000;
const report = {
  runs,
  node: process.version,
  target_seconds: TARGET_SECONDS,
  results: results.map((r) => ({
    name: r.name,
    min_s: round(r.min),
    median_s: round(r.median),
    p90_s: round(r.p90),
    max_s: round(r.max),
  })),
  pass: results.filter((r) => r.target).every((r) => r.median <= TARGET_SECONDS),
};
if (!values.json) {
  console.log(`CLI start, ${runs} runs each (seconds, wall time of a fresh process)`);
  for (const r of report.results)
    console.log(
      `${r.name.padEnd(40)} median ${r.median_s.toFixed(3)}  p90 ${r.p90_s.toFixed(3)}  min ${r.min_s.toFixed(3)}`,
    );
  console.log(
    `target: medians of --version and validate <= ${TARGET_SECONDS} s: ${report.pass ? 'met' : 'MISSED'}`,
  );
}
console.log(JSON.stringify(report));
