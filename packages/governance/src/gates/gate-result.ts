/**
 * How a gate's execution becomes its status, and whether a run passes overall.
 *
 * PASS    the command exited 0
 * FAIL    it exited non-zero or was killed by a signal
 * ERROR   it could not start (no shell, no log file, or sh's 126/127: not executable, not found)
 * TIMEOUT it outlived its timeout and was killed
 * SKIP    it was not run (the reason says why)
 * WAIVED  it did not pass, and an unexpired waiver covers it
 *
 * `overall` is FAIL if any required gate is neither PASS nor WAIVED. An expired waiver covers
 * nothing, so a gate behind one keeps its FAIL, ERROR or TIMEOUT.
 */
import type { Gate } from './gate-config.js';
import type { GateExecution } from './gate-execution.js';
import { isWaiverExpired } from './waiver.js';

export type GateStatus = 'PASS' | 'FAIL' | 'ERROR' | 'TIMEOUT' | 'SKIP' | 'WAIVED';

export interface GateResult {
  readonly name: string;
  readonly command: string;
  readonly required: boolean;
  readonly status: GateStatus;
  /** What the status would be without a waiver (for WAIVED gates: what was waived). */
  readonly outcome: GateStatus;
  readonly durationMs: number;
  /** Path of the log file, relative to the working directory (null when not run). */
  readonly log: string | null;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timeoutSeconds: number;
  /** Why the gate has its status, in a sentence (always set unless PASS). */
  readonly reason?: string;
  readonly waiver?: {
    readonly issue: string;
    readonly reason: string;
    readonly expires: string;
    readonly expired: boolean;
  };
}

/** sh's exit statuses for "found but not executable" and "not found" (POSIX, 2.8.2). */
const COULD_NOT_START = new Map([
  [126, 'the command was found but could not be executed (sh exit 126)'],
  [127, 'the command was not found (sh exit 127)'],
]);

export function gateResult(
  gate: Gate,
  execution: GateExecution,
  log: string,
  now: Date,
): GateResult {
  let outcome: GateStatus;
  let reason: string | undefined;
  let exitCode: number | null = null;
  let signal: string | null = null;
  if (execution.kind === 'not-started') {
    outcome = 'ERROR';
    reason = `could not start: ${execution.error}`;
  } else if (execution.kind === 'timed-out') {
    outcome = 'TIMEOUT';
    reason = `killed after the ${gate.timeoutSeconds} s timeout`;
  } else {
    exitCode = execution.exitCode;
    signal = execution.signal;
    const notStarted = exitCode === null ? undefined : COULD_NOT_START.get(exitCode);
    if (exitCode === 0) {
      outcome = 'PASS';
    } else if (notStarted) {
      outcome = 'ERROR';
      reason = `could not start: ${notStarted}`;
    } else {
      outcome = 'FAIL';
      reason = signal ? `killed by ${signal}` : `exited with status ${exitCode ?? 'unknown'}`;
    }
  }

  let status: GateStatus = outcome;
  let waiver: GateResult['waiver'];
  if (gate.waiver) {
    const expired = isWaiverExpired(gate.waiver, now);
    waiver = {
      issue: gate.waiver.issue,
      reason: gate.waiver.reason,
      expires: gate.waiver.expiresText,
      expired,
    };
    if (outcome !== 'PASS') {
      if (expired) {
        reason = `${reason ?? ''}; the waiver (issue ${gate.waiver.issue}) expired ${gate.waiver.expiresText}`;
      } else {
        status = 'WAIVED';
        reason = `${reason ?? ''}; waived until ${gate.waiver.expiresText} (issue ${gate.waiver.issue}: ${gate.waiver.reason})`;
      }
    }
  }
  return {
    name: gate.name,
    command: gate.command,
    required: gate.required,
    status,
    outcome,
    durationMs: execution.durationMs,
    log,
    exitCode,
    signal,
    timeoutSeconds: gate.timeoutSeconds,
    ...(reason === undefined ? {} : { reason }),
    ...(waiver ? { waiver } : {}),
  };
}

export function skippedGate(gate: Gate, reason: string): GateResult {
  return {
    name: gate.name,
    command: gate.command,
    required: gate.required,
    status: 'SKIP',
    outcome: 'SKIP',
    durationMs: 0,
    log: null,
    exitCode: null,
    signal: null,
    timeoutSeconds: gate.timeoutSeconds,
    reason,
  };
}

export function overallStatus(results: readonly GateResult[]): 'PASS' | 'FAIL' {
  return results.some((r) => r.required && r.status !== 'PASS' && r.status !== 'WAIVED')
    ? 'FAIL'
    : 'PASS';
}
