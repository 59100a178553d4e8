/**
 * `matriz guard noop`: refuses a change that changes nothing of substance (exit 1), lets every
 * real change through (exit 0), exit 2 when nothing could be judged. Also `guard noop-label`
 * (record a human judgement of a run) and `guard noop-stats` (the false-positive rate from the
 * audit log). See docs/noop-guard.md.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Option } from 'commander';
import { appendAuditRecord, readAuditLog, type RunRecord } from '../../noop/audit-log.js';
import { AnalysisCache } from '../../noop/analysis-cache.js';
import { judgeBatchPair, parseBatchLines } from '../../noop/batch.js';
import { writeFileAtomic } from '../../files/atomic-file.js';
import { computeStats, type GuardStats } from '../../noop/guard-stats.js';
import { guardStatsMetrics } from '../../noop/guard-stats-metrics.js';
import { GitError, GitRepository } from '../../noop/git-object-store.js';
import {
  loadPolicy,
  NoopConfigFailure,
  runNoopGuard,
  type NoopGuardRun,
} from '../../noop/noop-guard.js';
import { NOOP_REASONS, REASON_DESCRIPTIONS, type Reason } from '../../noop/reasons.js';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { toSarif, type SarifRule } from '../sarif.js';
import { VERSION } from '../../version.js';
import type { GuardRegistration } from './guard.js';

export const DEFAULT_NOOP_AUDIT_LOG = '.matriz/audit/noop-guard.jsonl';
const MAX_BATCH_BYTES = 64 * 1024 * 1024;

interface NoopOptions {
  repo?: string;
  base?: string;
  head?: string;
  config?: string;
  format: 'text' | 'json' | 'sarif';
  auditLog?: string | false;
  batch?: string;
}

export const registerNoopGuard: GuardRegistration = (group, io, setExitCode) => {
  group
    .command('noop')
    .description(
      'refuse a change that changes nothing of substance (exit 0 substantive, 1 no-op, 2 error); REV alone means REV against its first parent',
    )
    .argument('[rev]', 'a commit, judged against its first parent')
    .option(
      '--repo <dir>',
      'the git repository (bare repositories too; default: the current directory)',
    )
    .option('--base <rev>', 'the revision the change starts from (e.g. the merge base)')
    .option('--head <rev>', 'the revision the change ends at')
    .option(
      '--config <file>',
      'policy file (YAML or JSON); default: .matriz/noop.yml in the base revision, else built-in',
    )
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['text', 'json', 'sarif'])
        .default('text'),
    )
    .option(
      '--audit-log <file>',
      `JSON Lines audit log to append the run to (default ${DEFAULT_NOOP_AUDIT_LOG})`,
    )
    .option('--no-audit-log', 'do not append to an audit log')
    .option(
      '--batch <file>',
      "judge one 'BASE HEAD' pair per line ('-' for stdin); prints one JSON result per line",
    )
    .action(async (rev: string | undefined, opts: NoopOptions) => {
      setExitCode(await runNoopCommand(rev, opts, io));
    });

  group
    .command('noop-label')
    .description('record a human judgement of a flagged run in the audit log')
    .argument('<run-id>', 'the run id the guard printed')
    .argument('<label>', 'false-positive or true-positive')
    .option('--by <name>', 'who judged (default $GITHUB_ACTOR or $USER)')
    .option(
      '--audit-log <file>',
      `the audit log (default ${DEFAULT_NOOP_AUDIT_LOG})`,
      DEFAULT_NOOP_AUDIT_LOG,
    )
    .action(async (runId: string, label: string, opts: { by?: string; auditLog: string }) => {
      setExitCode(await runLabelCommand(runId, label, opts, io));
    });

  group
    .command('noop-stats')
    .description(
      'runs, flags, labelled false positives and the false-positive rate, from the audit log',
    )
    .option(
      '--audit-log <file>',
      `the audit log (default ${DEFAULT_NOOP_AUDIT_LOG})`,
      DEFAULT_NOOP_AUDIT_LOG,
    )
    .option('--json', 'print JSON (the same as --format json)', false)
    .addOption(
      new Option(
        '--format <format>',
        "text, json, or openmetrics: Prometheus text for node_exporter's textfile collector",
      )
        .choices(['text', 'json', 'openmetrics'])
        .default('text'),
    )
    .option(
      '--output <file>',
      'write the report to this file (replaced atomically, mode 0644) instead of stdout',
    )
    .action(async (opts: StatsOptions) => {
      setExitCode(await runStatsCommand(opts, io));
    });
};

function changeOf(
  rev: string | undefined,
  opts: NoopOptions,
): { base: string; head: string } | { commit: string } {
  if (rev !== undefined) {
    if (opts.base !== undefined || opts.head !== undefined)
      throw new UsageError('give either REV or --base and --head, not both');
    return { commit: rev };
  }
  if (opts.base === undefined || opts.head === undefined)
    throw new UsageError(
      'give --base REV and --head REV (the change to judge), or one REV (against its first parent)',
    );
  return { base: opts.base, head: opts.head };
}

function wrapErrors<T>(work: () => Promise<T>): Promise<T> {
  return work().catch((error: unknown) => {
    if (error instanceof GitError) throw new UsageError(`${error.message} [${error.code}]`);
    if (error instanceof NoopConfigFailure)
      throw new UsageError(`${error.message} [${error.error.code}]`);
    throw error;
  });
}

async function runNoopCommand(
  rev: string | undefined,
  opts: NoopOptions,
  io: CliIo,
): Promise<number> {
  const repository = path.resolve(io.cwd, opts.repo ?? '.');
  const configFile = opts.config === undefined ? undefined : path.resolve(io.cwd, opts.config);
  if (opts.batch !== undefined) {
    if (rev !== undefined || opts.base !== undefined || opts.head !== undefined)
      throw new UsageError('--batch reads the pairs from its file; give no REV, --base or --head');
    return runBatch(opts.batch, repository, configFile, io);
  }
  const change = changeOf(rev, opts);
  const auditLog =
    opts.auditLog === false
      ? undefined
      : path.resolve(io.cwd, opts.auditLog ?? DEFAULT_NOOP_AUDIT_LOG);
  const run = await wrapErrors(() =>
    runNoopGuard({
      repository,
      change,
      ...(configFile === undefined ? {} : { configFile }),
      ...(auditLog === undefined ? {} : { auditLog }),
      guardVersion: VERSION,
    }),
  );
  switch (opts.format) {
    case 'json':
      io.stdout(
        `${JSON.stringify({ ...run.record, policy: run.policyOrigin, audit_log: auditLog ?? null }, null, 2)}\n`,
      );
      break;
    case 'sarif':
      io.stdout(`${JSON.stringify(toNoopSarif(run.record), null, 2)}\n`);
      break;
    case 'text':
      io.stdout(toText(run, auditLog));
      break;
  }
  return run.record.verdict === 'noop' ? EXIT_FINDINGS : EXIT_OK;
}

async function runBatch(
  source: string,
  repositoryDirectory: string,
  configFile: string | undefined,
  io: CliIo,
): Promise<number> {
  let text: string;
  if (source === '-') {
    const bytes = await io.readStdin(MAX_BATCH_BYTES);
    if (bytes.length > MAX_BATCH_BYTES)
      throw new UsageError(`standard input is larger than ${MAX_BATCH_BYTES} bytes`);
    text = new TextDecoder().decode(bytes);
  } else {
    try {
      text = await readFile(path.resolve(io.cwd, source), 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read ${source}: ${(error as Error).message}`);
    }
  }
  const pairs = parseBatchLines(text);
  return wrapErrors(async () => {
    const repository = await GitRepository.open(repositoryDirectory);
    try {
      const loaded = await loadPolicy(repository, configFile, undefined);
      let failed = false;
      const cache = new AnalysisCache();
      for (const pair of pairs) {
        const result = await judgeBatchPair(repository, pair, loaded.policy, cache);
        if ('error' in result) failed = true;
        io.stdout(`${JSON.stringify(result)}\n`);
      }
      return failed ? EXIT_USAGE : EXIT_OK;
    } finally {
      repository.close();
    }
  });
}

function statusLetter(status: string): string {
  const letters: Record<string, string> = {
    added: 'A',
    deleted: 'D',
    modified: 'M',
    renamed: 'R',
    'type-changed': 'T',
  };
  return letters[status] ?? '?';
}

function toText(run: NoopGuardRun, auditLog: string | undefined): string {
  const { record } = run;
  let out = '';
  for (const p of record.paths) {
    const where = p.line === undefined ? p.path : `${p.path}:${p.line}`;
    const from = p.old_path === undefined ? '' : ` (from ${p.old_path})`;
    out += `${statusLetter(p.status)} ${where}${from}: ${p.verdict === 'noop' ? 'no-op' : 'substantive'}: ${p.detail} [${p.reason}]\n`;
  }
  const count = record.paths.length;
  const summary =
    record.verdict === 'noop'
      ? count === 0
        ? 'NO-OP: an empty change (the trees are identical)'
        : `NO-OP: ${count} changed path${count === 1 ? '' : 's'}, none of substance`
      : `SUBSTANTIVE: ${record.paths.filter((p) => p.verdict === 'substantive').length} of ${count} changed path${count === 1 ? '' : 's'} of substance`;
  out += `noop guard: ${summary} (${record.base.slice(0, 12)}..${record.head.slice(0, 12)}, policy ${run.policyOrigin})\n`;
  out += `run ${record.run_id}${auditLog === undefined ? '' : `, audit log ${auditLog}`}\n`;
  if (record.verdict === 'noop')
    out += `If this change is real, record it: matriz guard noop-label ${record.run_id} false-positive\n`;
  return out;
}

const RULES: readonly SarifRule[] = [
  {
    id: 'empty-change',
    name: 'EmptyChange',
    severity: 'error',
    rationale: 'The change leaves the tree identical.',
  },
  ...NOOP_REASONS.map((reason) => ({
    id: reason,
    name: reason.replace(/(^|-)([a-z])/g, (_, __, letter: string) => letter.toUpperCase()),
    severity: 'error' as const,
    rationale: `No-op: ${REASON_DESCRIPTIONS[reason]}.`,
  })),
];

/** SARIF: when the verdict is no-op, one result per path (the check fails); none otherwise. */
function toNoopSarif(record: RunRecord): unknown {
  const tool = { name: 'matriz guard noop', version: VERSION, rules: RULES };
  if (record.verdict !== 'noop') return toSarif(tool, []);
  if (record.paths.length === 0) {
    const log = toSarif(tool, [
      {
        ruleId: 'empty-change',
        severity: 'error',
        message: 'empty change: the trees are identical',
        file: '.',
      },
    ]);
    for (const result of log.runs[0]?.results ?? []) delete result.locations;
    return log;
  }
  return toSarif(
    tool,
    record.paths.map((p) => ({
      ruleId: p.reason as Reason,
      severity: 'error' as const,
      message: `No substance changed: ${p.detail} [${p.reason}]`,
      file: p.path,
      ...(p.line === undefined ? {} : { line: p.line }),
    })),
  );
}

async function runLabelCommand(
  runId: string,
  label: string,
  opts: { by?: string; auditLog: string },
  io: CliIo,
): Promise<number> {
  if (label !== 'false-positive' && label !== 'true-positive')
    throw new UsageError(
      `the label must be false-positive or true-positive, got ${JSON.stringify(label)}`,
    );
  const file = path.resolve(io.cwd, opts.auditLog);
  const read = await readAuditLog(file);
  if (!read.ok) throw new UsageError(`${read.error.message} [${read.error.code}]`);
  const run = read.records.find((r): r is RunRecord => r.type === 'run' && r.run_id === runId);
  if (run === undefined)
    throw new UsageError(`no run ${JSON.stringify(runId)} in ${opts.auditLog} [unknown-run]`);
  if (run.verdict !== 'noop')
    throw new UsageError(
      `run ${runId} was not flagged (verdict ${run.verdict}); only flags are labelled [not-flagged]`,
    );
  const by = opts.by ?? io.env.GITHUB_ACTOR ?? io.env.USER ?? 'unknown';
  await appendAuditRecord(file, {
    type: 'label',
    run_id: runId,
    label,
    by,
    time: new Date().toISOString(),
  });
  io.stdout(`run ${runId} labelled ${label} by ${by}\n`);
  return EXIT_OK;
}

interface StatsOptions {
  auditLog: string;
  json: boolean;
  format: 'text' | 'json' | 'openmetrics';
  output?: string;
}

async function runStatsCommand(opts: StatsOptions, io: CliIo): Promise<number> {
  const read = await readAuditLog(path.resolve(io.cwd, opts.auditLog));
  if (!read.ok) throw new UsageError(`${read.error.message} [${read.error.code}]`);
  const stats = computeStats(read.records);
  const format = opts.json ? 'json' : opts.format;
  const report =
    format === 'json'
      ? `${JSON.stringify(stats, null, 2)}\n`
      : format === 'openmetrics'
        ? guardStatsMetrics(stats)
        : statsText(stats);
  if (opts.output === undefined) io.stdout(report);
  else await writeFileAtomic(path.resolve(io.cwd, opts.output), report, 0o644);
  return EXIT_OK;
}

function statsText(stats: GuardStats): string {
  const rate =
    stats.false_positive_rate === null
      ? 'n/a (no runs)'
      : `${(stats.false_positive_rate * 100).toFixed(2)} %`;
  return (
    `runs: ${stats.runs}\nflags (no-op verdicts): ${stats.flags}\n` +
    `labelled false positives: ${stats.labelled_false_positives}\nlabelled true positives: ${stats.labelled_true_positives}\n` +
    `unlabelled flags: ${stats.unlabelled_flags}\nsubstantive verdicts (true negatives): ${stats.true_negatives}\n` +
    `false_positive_rate = FP / (FP + TN) = ${rate}\n`
  );
}
