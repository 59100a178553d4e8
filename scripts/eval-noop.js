/**
 * `npm run eval:noop -- --repo <git dir> [--limit N] [--json]`: runs the No-Op guard over every
 * non-merge commit of a repository (first parent against commit) and prints counts, flags with
 * reasons, and commits per second. `--corpus [DIR]` first generates the project's evaluation
 * corpus (scripts/noop-corpus.js) and scores recall per no-op transform and false positives on
 * the hard negatives. `--config FILE` uses a policy file instead of the built-in policy.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { evaluateHistory } from '../packages/governance/dist/src/noop/evaluation.js';
import { loadNoopConfig } from '../packages/governance/dist/src/noop/noop-config.js';
import { compilePolicy } from '../packages/governance/dist/src/noop/policy.js';

const { values } = parseArgs({
  options: {
    repo: { type: 'string' },
    corpus: { type: 'boolean', default: false },
    'corpus-dir': { type: 'string' },
    'per-language': { type: 'string', default: '40' },
    limit: { type: 'string' },
    config: { type: 'string' },
    json: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});

async function main() {
  let repository = values.repo;
  let generated;
  if (values.corpus) {
    const { generateCorpus } = await import('./noop-corpus.js');
    repository = values['corpus-dir'] ?? mkdtempSync(path.join(os.tmpdir(), 'matriz-noop-corpus-'));
    const info = await generateCorpus(repository, { perLanguage: Number(values['per-language']) });
    generated = { directory: repository, ...info };
    if (!values.json)
      process.stderr.write(
        `corpus: ${info.samples} sample files, ${info.commits} commits in ${repository}${info.python ? '' : ' (no python3: Python samples skipped)'}\n`,
      );
  }
  if (repository === undefined) {
    process.stderr.write(
      'usage: npm run eval:noop -- (--repo <git dir> | --corpus) [--limit N] [--json] [--config FILE]\n',
    );
    process.exitCode = 2;
    return;
  }
  let policy = compilePolicy();
  if (values.config !== undefined) {
    const loaded = await loadNoopConfig(values.config);
    if (!loaded.ok) throw new Error(loaded.error.message);
    policy = compilePolicy(loaded.policy);
  }
  const report = await evaluateHistory({
    repository: path.resolve(repository),
    policy,
    ...(values.limit === undefined ? {} : { limit: Number(values.limit) }),
  });
  if (values.json)
    process.stdout.write(`${JSON.stringify({ ...report, corpus: generated }, null, 2)}\n`);
  else process.stdout.write(toText(report));
  if (generated !== undefined && !values.keep && values['corpus-dir'] === undefined)
    rmSync(generated.directory, { recursive: true, force: true });
}

function percent(x) {
  return `${(x * 100).toFixed(2)} %`;
}

function toText(report) {
  let out = `repository: ${report.repository}\n`;
  out += `commits judged: ${report.commits} (non-merge, first parent against commit)\n`;
  out += `flagged no-op: ${report.flagged}, substantive: ${report.substantive}\n`;
  out += `time: ${report.seconds.toFixed(2)} s, ${report.commitsPerSecond.toFixed(1)} commits/s\n`;
  out += `reasons (per path): ${Object.entries(report.reasons)
    .sort((a, b) => b[1] - a[1])
    .map(([r, n]) => `${r} ${n}`)
    .join(', ')}\n`;
  if (report.scored !== undefined) {
    const s = report.scored;
    out += `\nscored by Noop-Eval trailers:\n`;
    out += `  recall on no-op transforms: ${s.noopFlagged}/${s.noopCommits} = ${percent(s.recall)}\n`;
    out += `  false positives on substantive transforms: ${s.falsePositives}/${s.substantiveCommits} = ${percent(s.falsePositiveRate)}\n`;
    out += `  per transform (expected verdict, correct/commits):\n`;
    for (const t of s.transforms)
      out += `    ${t.expected.padEnd(11)} ${t.transform.padEnd(24)} ${t.correct}/${t.commits} = ${percent(t.correct / t.commits)}\n`;
    for (const m of s.misses.slice(0, 40))
      out += `  missed no-op: ${m.commit.slice(0, 12)} ${m.subject} [${m.reasons.join(', ')}]\n`;
    for (const f of s.falsePositiveCommits)
      out += `  FALSE POSITIVE: ${f.commit.slice(0, 12)} ${f.subject} [${f.reasons.join(', ')}]\n`;
  } else {
    for (const f of report.flags)
      out += `flag: ${f.commit.slice(0, 12)} ${f.subject} [${f.reasons.join(', ')}]\n`;
  }
  return out;
}

main().catch((error) => {
  process.stderr.write(`eval:noop: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 2;
});
