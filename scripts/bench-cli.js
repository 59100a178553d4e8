/**
 * `npm run bench:cli [-- --runs N] [--json] [--before DIR]`: how long the built `matriz` binary
 * takes to start and answer, wall time of a fresh process each run (what a user or a CI script
 * waits for), with `node -e 0` as the same-run baseline. The cases run interleaved (run 1 of
 * every case, then run 2, ...) so that a change in the machine's load touches them all alike;
 * each median is also given as a ratio to the baseline's median. `--before DIR` adds the same
 * matriz cases for another built checkout (an A/B run, e.g. the commit before a change).
 *
 * On Linux each case also gets its mean CPU time (user + system, from the waited-for children's
 * times in /proc/self/stat, in 10 ms ticks), which a busy machine disturbs less than wall time.
 *
 * Prints a table, then one JSON object (only the JSON with `--json`). Target (issue 15):
 * `matriz --version` and `matriz nodespec validate` of one file at most 0.3 s; `pass` says
 * whether their medians meet it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    json: { type: 'boolean', default: false },
    before: { type: 'string' },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');

const root = path.resolve(import.meta.dirname, '..');
const example = path.join(root, 'examples', 'telemetry_probe.json');
const TARGET_SECONDS = 0.3;

function matrizCases(checkout, label) {
  const bin = path.join(checkout, 'bin', 'matriz.js');
  return [
    { name: `matriz --version${label}`, args: [bin, '--version'], target: !label },
    {
      name: `matriz nodespec validate <one file>${label}`,
      args: [bin, 'nodespec', 'validate', example],
      target: !label,
    },
    { name: `matriz --help${label}`, args: [bin, '--help'], target: false },
  ];
}

const cases = [
  { name: 'node -e 0 (baseline)', args: ['-e', '0'], target: false },
  ...matrizCases(root, ''),
  ...(values.before ? matrizCases(path.resolve(values.before), ' (before)') : []),
];

/** CPU seconds of this process's waited-for children (cutime + cstime), or null off Linux. */
function childrenCpuSeconds() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    // Fields 16 and 17 of proc(5), counted from the state (field 3) at index 0.
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return null;
  }
}

function runOnce(args) {
  const cpuBefore = childrenCpuSeconds();
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'ignore' });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited with ${result.status}`);
  const cpuAfter = childrenCpuSeconds();
  return { seconds, cpu: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore };
}

const samples = cases.map(() => []);
const cpu = cases.map(() => []);
for (let i = 0; i < runs; i++)
  cases.forEach((c, k) => {
    const sample = runOnce(c.args);
    samples[k].push(sample.seconds);
    if (sample.cpu !== null) cpu[k].push(sample.cpu);
  });
const cpuMean = (k) =>
  cpu[k].length === runs ? cpu[k].reduce((a, b) => a + b, 0) / cpu[k].length : null;

function summary(seconds) {
  const sorted = [...seconds].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { min: sorted[0], median: at(0.5), p90: at(0.9), max: sorted[sorted.length - 1] };
}

const results = cases.map((c, k) => ({
  name: c.name,
  target: c.target,
  cpuMean: cpuMean(k),
  ...summary(samples[k]),
}));
const baseline = results[0].median;
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
    median_over_baseline: Math.round((r.median / baseline) * 100) / 100,
    cpu_mean_s: r.cpuMean === null ? null : round(r.cpuMean),
  })),
  pass: results.filter((r) => r.target).every((r) => r.median <= TARGET_SECONDS),
};
if (!values.json) {
  console.log(`CLI start, ${runs} runs each, interleaved (seconds, wall time of a fresh process)`);
  for (const r of report.results)
    console.log(
      `${r.name.padEnd(48)} median ${r.median_s.toFixed(3)}  p90 ${r.p90_s.toFixed(3)}  min ${r.min_s.toFixed(3)}  ${r.median_over_baseline.toFixed(2)} x baseline${r.cpu_mean_s === null ? '' : `  cpu ${r.cpu_mean_s.toFixed(3)}`}`,
    );
  console.log(
    `target: medians of --version and validate <= ${TARGET_SECONDS} s: ${report.pass ? 'met' : 'MISSED'}`,
  );
}
console.log(JSON.stringify(report));
