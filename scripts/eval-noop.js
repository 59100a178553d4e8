/**
 * `npm run eval:noop -- --repo <git dir> [--limit N] [--json]`: runs the No-Op guard over every
 * non-merge commit of a repository (first parent against commit) and prints counts, flags with
 * reasons, and commits per second. `--corpus [DIR]` first generates the project's evaluation
 * corpus (scripts/noop-corpus.js) and scores recall per no-op transform and false positives on
 * the hard negatives. `--config FILE` uses a policy file instead of the built-in policy.
 *
 * `--labels FILE --repo DIR` scores labelled real commits instead (a TSV with the columns
 * `repo base head label source note`, as in ../shared/noop-real/labels.tsv): recall on the `noop`
 * rows, false positives on the `substantive` rows, every miss and false positive, and commits per
 * second. DIR holds one clone per repository named in the labels (`DIR/flask`), or a bundle of it
 * (`DIR/flask.bundle`, cloned into a temporary directory first); with a single repository DIR
 * may be the clone itself. `--repo NAME=DIR` names one repository's clone explicitly (repeatable).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { evaluateHistory } from '../packages/governance/dist/src/noop/evaluation.js';
import {
  evaluateLabelled,
  parseLabels,
} from '../packages/governance/dist/src/noop/labelled-evaluation.js';
import { loadNoopConfig } from '../packages/governance/dist/src/noop/noop-config.js';
import { compilePolicy } from '../packages/governance/dist/src/noop/policy.js';

const { values } = parseArgs({
  options: {
    repo: { type: 'string', multiple: true },
    labels: { type: 'string' },
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
  if (values.labels !== undefined) return mainLabelled();
  if ((values.repo?.length ?? 0) > 1) throw new Error('--repo is given more than once');
  let repository = values.repo?.[0];
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
  const policy = await policyOf(values.config);
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

async function policyOf(config) {
  if (config === undefined) return compilePolicy();
  const loaded = await loadNoopConfig(config);
  if (!loaded.ok) throw new Error(loaded.error.message);
  return compilePolicy(loaded.policy);
}

function isGitDirectory(directory) {
  try {
    execFileSync('git', ['-C', directory, 'rev-parse', '--git-dir'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Finds (or clones from a bundle) the git directory of each repository the labels name. */
function locateRepositories(names, repoOptions) {
  const repositories = {};
  const clones = [];
  const explicit = repoOptions.filter((option) => /^[^=/]+=/.test(option));
  for (const option of explicit) {
    const at = option.indexOf('=');
    repositories[option.slice(0, at)] = path.resolve(option.slice(at + 1));
  }
  const roots = repoOptions.filter((option) => !explicit.includes(option));
  for (const name of names) {
    if (repositories[name] !== undefined) continue;
    for (const root of roots) {
      const clone = path.join(root, name);
      const bundle = path.join(root, `${name}.bundle`);
      if (existsSync(clone) && isGitDirectory(clone)) repositories[name] = path.resolve(clone);
      else if (existsSync(bundle)) {
        const into = mkdtempSync(path.join(os.tmpdir(), `matriz-noop-${name}-`));
        process.stderr.write(`cloning ${bundle} into ${into}\n`);
        execFileSync('git', ['clone', '-q', '--bare', bundle, into], { stdio: 'inherit' });
        clones.push(into);
        repositories[name] = into;
      } else if (names.length === 1 && isGitDirectory(root))
        repositories[name] = path.resolve(root);
      if (repositories[name] !== undefined) break;
    }
    if (repositories[name] === undefined)
      throw new Error(
        `no clone or bundle of ${name}: give --repo DIR holding ${name}/ or ${name}.bundle, or --repo ${name}=DIR`,
      );
  }
  return { repositories, clones };
}

async function mainLabelled() {
  const pairs = parseLabels(readFileSync(values.labels, 'utf8'));
  const names = [...new Set(pairs.map((pair) => pair.repo))];
  const { repositories, clones } = locateRepositories(
    names,
    values.repo ?? [path.dirname(values.labels)],
  );
  try {
    const policy = await policyOf(values.config);
    const report = await evaluateLabelled({ pairs, repositories, policy });
    if (values.json)
      process.stdout.write(
        `${JSON.stringify({ labels: values.labels, repositories, ...report }, null, 2)}\n`,
      );
    else process.stdout.write(labelledText(report));
  } finally {
    for (const clone of clones) rmSync(clone, { recursive: true, force: true });
  }
}

function scoreLine(s) {
  return `recall ${s.noopFlagged}/${s.noopPairs} = ${percent(s.recall)}, false positives ${s.falsePositives}/${s.substantivePairs} = ${percent(s.falsePositiveRate)}`;
}

function labelledText(report) {
  let out = `pairs judged: ${report.pairs}\n`;
  out += `all: ${scoreLine(report)}\n`;
  for (const [name, score] of Object.entries(report.byRepository))
    out += `  ${name}: ${scoreLine(score)}\n`;
  out += `time: ${report.seconds.toFixed(2)} s, ${report.commitsPerSecond.toFixed(1)} commits/s; CPU (with git and python3) ${report.cpuSeconds.toFixed(2)} s, ${report.commitsPerCpuSecond.toFixed(1)} commits per CPU second\n`;
  out += `per label and source (correct/pairs):\n`;
  for (const [key, s] of Object.entries(report.bySource).sort(([a], [b]) => a.localeCompare(b))) {
    const correct = key.startsWith('noop ') ? s.noopFlagged : s.substantivePairs - s.falsePositives;
    out += `  ${key.padEnd(32)} ${correct}/${s.pairs}\n`;
  }
  const paths = (v) =>
    v.paths
      .slice(0, 3)
      .map((p) => `${p.path}: ${p.reason} (${p.detail})`)
      .join('; ') + (v.paths.length > 3 ? `; ... ${v.paths.length - 3} more` : '');
  for (const v of report.misses)
    out += `missed no-op: ${v.repo} ${v.head.slice(0, 12)} [${paths(v)}]\n`;
  for (const v of report.falsePositiveCommits)
    out += `FALSE POSITIVE: ${v.repo} ${v.head.slice(0, 12)} ${v.source} [${paths(v)}] note: ${v.note}\n`;
  return out;
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
