/**
 * The No-Op guard's audit log: JSON Lines, appended. Each run adds a `run` record (time,
 * repository, base, head, verdict, per-path reasons, guard version, config digest); each human
 * judgement adds a `label` record naming a run. A missing log is created atomically (written
 * aside, then linked into place) so no reader sees half a first line; an existing log is appended
 * to with O_APPEND, one write per line.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { appendAuditRecord as appendJsonLine } from '../files/audit-log.js';
import type { PathDecision, Verdict } from './path-decision.js';

export interface AuditPath {
  readonly path: string;
  readonly old_path?: string;
  readonly status: string;
  readonly verdict: Verdict;
  readonly reason: string;
  readonly detail: string;
  readonly line?: number;
}

export interface RunRecord {
  readonly type: 'run';
  readonly run_id: string;
  readonly time: string;
  readonly repository: string;
  readonly base: string;
  readonly head: string;
  readonly verdict: Verdict;
  readonly paths: readonly AuditPath[];
  readonly guard_version: string;
  readonly config_digest: string;
}

export type Judgement = 'false-positive' | 'true-positive';

export interface LabelRecord {
  readonly type: 'label';
  readonly run_id: string;
  readonly label: Judgement;
  readonly by: string;
  readonly time: string;
}

export type AuditRecord = RunRecord | LabelRecord;

/** A fresh run id: 128 random bits, hexadecimal. */
export function newRunId(): string {
  return randomBytes(16).toString('hex');
}

export function auditPaths(decisions: readonly PathDecision[]): AuditPath[] {
  return decisions.map((d) => ({
    path: d.path,
    ...(d.oldPath === undefined ? {} : { old_path: d.oldPath }),
    status: d.status,
    verdict: d.verdict,
    reason: d.reason,
    detail: d.detail,
    ...(d.line === undefined ? {} : { line: d.line }),
  }));
}

/** Appends one run or label record to the audit log (created atomically when absent). */
export function appendAuditRecord(file: string, record: AuditRecord): Promise<void> {
  return appendJsonLine(file, record);
}

export interface AuditLogError {
  readonly code: 'audit-log-unreadable' | 'audit-log-invalid';
  readonly message: string;
}

export type AuditLogRead =
  | { readonly ok: true; readonly records: readonly AuditRecord[] }
  | { readonly ok: false; readonly error: AuditLogError };

/** Reads every record; a missing log has none. A line that is not a record is an error with its line number. */
export async function readAuditLog(file: string): Promise<AuditLogRead> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, records: [] };
    return {
      ok: false,
      error: { code: 'audit-log-unreadable', message: `${file}: ${(error as Error).message}` },
    };
  }
  const records: AuditRecord[] = [];
  const lines = text.split('\n');
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      record = undefined;
    }
    if (!isAuditRecord(record))
      return {
        ok: false,
        error: {
          code: 'audit-log-invalid',
          message: `${file}:${index + 1}: not a No-Op guard audit record`,
        },
      };
    records.push(record);
  }
  return { ok: true, records };
}

function isAuditRecord(value: unknown): value is AuditRecord {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  if (typeof record.run_id !== 'string') return false;
  if (record.type === 'run') return record.verdict === 'noop' || record.verdict === 'substantive';
  if (record.type === 'label')
    return record.label === 'false-positive' || record.label === 'true-positive';
  return false;
}
