/**
 * `matriz guard promotion`: blocks promotion of stubbed work into production lanes (exit 1), and
 * records every decision in the audit log. See docs/governance.md.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Option } from 'commander';
import { decisionActor } from '../../promotion/actor.js';
import { GitError } from '../../promotion/git-revisions.js';
import {
  gitHubIssueStates,
  isRepositoryName,
  issueStateFile,
  noIssueStateSource,
  type IssueStateSource,
} from '../../promotion/issue-state.js';
import { loadLaneManifest } from '../../promotion/lane-manifest.js';
import type { PromotionReasonCode } from '../../promotion/promotion-decision.js';
import { runPromotionGuard, type PromotionGuardResult } from '../../promotion/promotion-guard.js';
import { promotionStats, promotionStatsMetrics } from '../../promotion/promotion-stats.js';
import { writeFileAtomic } from '../../files/atomic-file.js';
import { EXIT_FINDINGS, EXIT_OK, UsageError } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { toSarif, type SarifRule } from '../sarif.js';
import { VERSION } from '../../version.js';
import type { GuardRegistration } from './guard.js';

export const DEFAULT_LANES_FILE = '.matriz/lanes.yml';
export const DEFAULT_PROMOTION_AUDIT_LOG = '.matriz/audit/promotion-guard.jsonl';

interface PromotionOptions {
  base?: string;
  head?: string;
  all: boolean;
  lanes?: string;
  format: 'text' | 'json' | 'sarif';
  auditLog: string;
  issuesState?: string;
  githubRepo?: string;
}

export const registerPromotionGuard: GuardRegistration = (group, io, setExitCode) => {
  group
    .command('promotion')
    .description(
      'block promotion while TEMP-STUB markers remain in production lanes or their tracking issues are open (exit 0 allow, 1 block, 2 usage error)',
    )
    .option('--base <rev>', 'the revision the change is based on (e.g. origin/main)')
    .option('--head <rev>', 'the revision to promote (e.g. HEAD)')
    .option('--all', 'scan every file in the production lanes, not only a change', false)
    .option(
      '--lanes <file>',
      `lane manifest (default ${DEFAULT_LANES_FILE}, built-in lanes if absent)`,
    )
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['text', 'json', 'sarif'])
        .default('text'),
    )
    .option(
      '--audit-log <file>',
      'JSON Lines audit log to append the decision to',
      DEFAULT_PROMOTION_AUDIT_LOG,
    )
    .option(
      '--issues-state <file>',
      'offline issue states: JSON object {"<issue>": "open"|"closed"}',
    )
    .option(
      '--github-repo <owner/name>',
      'repository whose issues the markers reference (default $GITHUB_REPOSITORY); token from $GITHUB_TOKEN',
    )
    .action(async (opts: PromotionOptions) => {
      setExitCode(await runPromotionCommand(opts, io));
    });
  group
    .command('promotion-stats')
    .description(
      "the promotion guard's decisions in its audit log: counts (text, json) or Prometheus text for node_exporter's textfile collector (openmetrics)",
    )
    .option('--audit-log <file>', 'JSON Lines audit log to read', DEFAULT_PROMOTION_AUDIT_LOG)
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['text', 'json', 'openmetrics'])
        .default('text'),
    )
    .option('--output <file>', 'write the report to this file (atomically) instead of stdout')
    .action(
      async (opts: {
        auditLog: string;
        format: 'text' | 'json' | 'openmetrics';
        output?: string;
      }) => {
        const file = path.resolve(io.cwd, opts.auditLog);
        const text = await readFile(file, 'utf8').catch((error: unknown) => {
          // No audit log yet: no decisions, which is a valid state to report.
          if ((error as { code?: string }).code === 'ENOENT') return '';
          throw new UsageError(`${opts.auditLog}: ${(error as Error).message}`);
        });
        const result = promotionStats(text, opts.auditLog);
        if (!result.ok) throw new UsageError(result.message);
        const { stats } = result;
        const report =
          opts.format === 'json'
            ? `${JSON.stringify(stats, null, 2)}\n`
            : opts.format === 'openmetrics'
              ? promotionStatsMetrics(stats)
              : `${stats.runs} promotion decisions: ${stats.allowed} allowed, ${stats.blocked} blocked\n`;
        if (opts.output === undefined) io.stdout(report);
        else await writeFileAtomic(path.resolve(io.cwd, opts.output), report, 0o644);
        setExitCode(EXIT_OK);
      },
    );
};

async function runPromotionCommand(opts: PromotionOptions, io: CliIo): Promise<number> {
  const scope = scopeOf(opts);
  const lanesFile = path.resolve(io.cwd, opts.lanes ?? DEFAULT_LANES_FILE);
  const manifest = await loadLaneManifest(lanesFile, opts.lanes !== undefined);
  if (!manifest.ok) throw new UsageError(`${manifest.error.message} [${manifest.error.code}]`);
  const issueStates = await issueStateSourceOf(opts, io);
  let result: PromotionGuardResult;
  try {
    result = await runPromotionGuard({
      cwd: io.cwd,
      manifest: manifest.manifest,
      scope,
      issueStates,
      auditLog: path.resolve(io.cwd, opts.auditLog),
      actor: await decisionActor(io.env, io.cwd),
    });
  } catch (error) {
    if (error instanceof GitError) throw new UsageError(`${error.message} [${error.code}]`);
    // An unwritable audit log or an unreadable lane file: no decision is recorded, none is given.
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === 'string') throw new UsageError(`${(error as Error).message} [${code}]`);
    throw error;
  }
  switch (opts.format) {
    case 'json':
      io.stdout(
        `${JSON.stringify({ ...result.auditRecord, scanned_files: result.scan.scannedFiles, remediation: result.decision.remediation, audit_log: opts.auditLog }, null, 2)}\n`,
      );
      break;
    case 'sarif':
      io.stdout(`${JSON.stringify(toPromotionSarif(result), null, 2)}\n`);
      // Standard output is for code scanning; the CI log still shows what blocked and why.
      io.stderr(toText(result) + remediationText(result));
      break;
    case 'text':
      io.stdout(toText(result) + remediationText(result) + `Audit log: ${opts.auditLog}\n`);
      break;
  }
  return result.decision.decision === 'allow' ? EXIT_OK : EXIT_FINDINGS;
}

function scopeOf(opts: PromotionOptions): { base: string; head: string } | 'all' {
  if (opts.all) {
    if (opts.base !== undefined || opts.head !== undefined)
      throw new UsageError('give either --all or --base and --head, not both');
    return 'all';
  }
  if (opts.base === undefined || opts.head === undefined)
    throw new UsageError('give --base REV and --head REV (the change to check), or --all');
  return { base: opts.base, head: opts.head };
}

async function issueStateSourceOf(opts: PromotionOptions, io: CliIo): Promise<IssueStateSource> {
  if (opts.issuesState !== undefined) {
    const file = await issueStateFile(path.resolve(io.cwd, opts.issuesState));
    if (!file.ok) throw new UsageError(`${file.error.message} [${file.error.code}]`);
    return file.source;
  }
  const repository = opts.githubRepo ?? io.env.GITHUB_REPOSITORY;
  if (repository !== undefined && !isRepositoryName(repository))
    throw new UsageError(`--github-repo must be OWNER/NAME, got ${JSON.stringify(repository)}`);
  const token = io.env.GITHUB_TOKEN;
  if (repository === undefined || !token) return noIssueStateSource;
  return gitHubIssueStates({
    token,
    repository,
    ...(io.env.GITHUB_API_URL ? { baseUrl: io.env.GITHUB_API_URL } : {}),
  });
}

function toText(result: PromotionGuardResult): string {
  let out = '';
  for (const reason of result.decision.reasons) {
    const f = reason.finding;
    const at = reason.removed
      ? `${f.file} (at merge base ${shortSha(result.scan.base)}):${f.line}:${f.column}`
      : `${f.file}:${f.line}:${f.column}`;
    out += `${at}: error: ${reason.message} [${reason.code}]\n`;
  }
  for (const [issue, state] of result.decision.issues)
    out += `issue #${issue}: ${state.state === 'unknown' ? `unknown (${state.reason})` : state.state}\n`;
  const scope =
    result.scan.mode === 'all'
      ? 'every file in the production lanes'
      : `change ${shortSha(result.scan.base)}...${shortSha(result.scan.head)}`;
  const files = result.scan.scannedFiles.length;
  out += `promotion guard: ${result.decision.decision === 'allow' ? 'ALLOWED' : 'BLOCKED'}: ${result.decision.reasons.length} reason(s), ${files} production-lane file${files === 1 ? '' : 's'} scanned (${scope})\n`;
  return out;
}

function remediationText(result: PromotionGuardResult): string {
  return `Remediation:\n${result.decision.remediation.map((step, i) => `  ${i + 1}. ${step}\n`).join('')}`;
}

function shortSha(sha: string | undefined): string {
  return (sha ?? '').slice(0, 12);
}

const RULES: readonly (SarifRule & { id: PromotionReasonCode })[] = [
  {
    id: 'marker-in-production-lane',
    name: 'MarkerInProductionLane',
    severity: 'error',
    rationale: 'Code marked as a stub (TEMP-STUB) must not be promoted into a production lane.',
  },
  {
    id: 'tracking-issue-open',
    name: 'TrackingIssueOpen',
    severity: 'error',
    rationale: 'Work whose tracking issue is still open is not done, so it is not promotable.',
  },
  {
    id: 'tracking-issue-state-unknown',
    name: 'TrackingIssueStateUnknown',
    severity: 'error',
    rationale: 'A tracking issue whose state cannot be established is never assumed closed.',
  },
];

function toPromotionSarif(result: PromotionGuardResult): unknown {
  return toSarif(
    { name: 'matriz guard promotion', version: VERSION, rules: RULES },
    result.decision.reasons.map((reason) => ({
      ruleId: reason.code,
      severity: 'error' as const,
      message: reason.message,
      file: reason.finding.file,
      // A removed marker is not in the head revision; point at the file only.
      ...(reason.removed ? {} : { line: reason.finding.line, column: reason.finding.column }),
    })),
  );
}
