/**
 * The gate report, `matriz.gate-report.v1` (schemas/gate-report.v1.schema.json): what ran, on
 * which commit, with which tools, each gate's status, duration and log, and the overall verdict.
 */
import { execFile } from 'node:child_process';
import { overallStatus, type GateResult, type GateStatus } from './gate-result.js';

export const GATE_REPORT_SCHEMA_VERSION = 'matriz.gate-report.v1';

export interface GateReport {
  readonly schema_version: typeof GATE_REPORT_SCHEMA_VERSION;
  readonly run_id: string;
  readonly commit: string | null;
  readonly started_at: string;
  readonly finished_at: string;
  readonly config: string;
  readonly tools: Readonly<Record<string, string | null>>;
  readonly gates: readonly GateReportEntry[];
  readonly summary: Readonly<Record<GateStatus, number>>;
  readonly overall: 'PASS' | 'FAIL';
  /** Required gates that made `overall` FAIL. */
  readonly failing_required: readonly string[];
}

export interface GateReportEntry {
  readonly name: string;
  readonly status: GateStatus;
  readonly required: boolean;
  readonly duration_ms: number;
  readonly log: string | null;
  readonly command: string;
  readonly timeout_s: number;
  readonly exit_code: number | null;
  readonly signal: string | null;
  readonly outcome: GateStatus;
  readonly reason?: string;
  readonly waiver?: {
    readonly issue: string;
    readonly reason: string;
    readonly expires: string;
    readonly expired: boolean;
  };
}

export interface GateReportContext {
  readonly runId: string;
  readonly commit: string | null;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly config: string;
  readonly tools: Readonly<Record<string, string | null>>;
}

export function buildGateReport(
  results: readonly GateResult[],
  context: GateReportContext,
): GateReport {
  const summary: Record<GateStatus, number> = {
    PASS: 0,
    FAIL: 0,
    ERROR: 0,
    TIMEOUT: 0,
    SKIP: 0,
    WAIVED: 0,
  };
  for (const r of results) summary[r.status]++;
  return {
    schema_version: GATE_REPORT_SCHEMA_VERSION,
    run_id: context.runId,
    commit: context.commit,
    started_at: context.startedAt.toISOString(),
    finished_at: context.finishedAt.toISOString(),
    config: context.config,
    tools: context.tools,
    gates: results.map((r) => ({
      name: r.name,
      status: r.status,
      required: r.required,
      duration_ms: r.durationMs,
      log: r.log,
      command: r.command,
      timeout_s: r.timeoutSeconds,
      exit_code: r.exitCode,
      signal: r.signal,
      outcome: r.outcome,
      ...(r.reason === undefined ? {} : { reason: r.reason }),
      ...(r.waiver ? { waiver: r.waiver } : {}),
    })),
    summary,
    overall: overallStatus(results),
    failing_required: results
      .filter((r) => r.required && r.status !== 'PASS' && r.status !== 'WAIVED')
      .map((r) => r.name),
  };
}

/** Output of a command's `--version`, first line, or null if it cannot be run. */
export function commandVersion(
  command: string,
  args: readonly string[],
  cwd: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(command, [...args], { cwd, env, timeout: 10_000 }, (error, stdout) => {
      resolve(error ? null : (stdout.split('\n')[0]?.trim() ?? null));
    });
  });
}

/** The commit being checked: $GITHUB_SHA in Actions, else `git rev-parse HEAD`, else null. */
export async function reportCommit(
  cwd: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<string | null> {
  if (env.GITHUB_SHA) return env.GITHUB_SHA;
  const head = await commandVersion('git', ['rev-parse', 'HEAD'], cwd, env);
  return head && /^[0-9a-f]{40,64}$/.test(head) ? head : null;
}
