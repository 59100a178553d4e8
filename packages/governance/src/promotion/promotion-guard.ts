/**
 * The promotion guard use case: scan, look up every referenced tracking issue, decide, and append
 * the decision to the audit log. The caller chooses how to print the result.
 */
import { appendAuditRecord } from '../files/audit-log.js';
import type { IssueState, IssueStateSource } from './issue-state.js';
import type { LaneManifest } from './lane-manifest.js';
import { decidePromotion, referencedIssues, type PromotionDecision } from './promotion-decision.js';
import { scanAll, scanChange, type MarkerFinding, type PromotionScan } from './promotion-scan.js';

export interface PromotionGuardOptions {
  /** Repository root (or any directory in it). */
  readonly cwd: string;
  readonly manifest: LaneManifest;
  /** A change to check, or every file in the lanes. */
  readonly scope: { readonly base: string; readonly head: string } | 'all';
  readonly issueStates: IssueStateSource;
  readonly auditLog: string;
  readonly actor: string;
  readonly now?: Date;
}

export interface PromotionGuardResult {
  readonly scan: PromotionScan;
  readonly decision: PromotionDecision;
  /** The line appended to the audit log. */
  readonly auditRecord: PromotionAuditRecord;
}

export interface PromotionAuditRecord {
  readonly time: string;
  readonly actor: string;
  readonly mode: 'change' | 'all';
  readonly base: string | null;
  readonly head: string | null;
  readonly decision: 'allow' | 'block';
  readonly findings: readonly AuditFinding[];
  readonly removed_markers: readonly AuditFinding[];
  readonly issues: Readonly<Record<string, string>>;
  readonly reasons: readonly {
    code: string;
    message: string;
    file: string;
    line: number;
    column: number;
  }[];
}

interface AuditFinding {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly lane: string;
  readonly marker: string;
  readonly issue: number | null;
  readonly reason: string | null;
}

export async function runPromotionGuard(
  options: PromotionGuardOptions,
): Promise<PromotionGuardResult> {
  const scan =
    options.scope === 'all'
      ? await scanAll(options.cwd, options.manifest)
      : await scanChange(options.cwd, options.manifest, options.scope.base, options.scope.head);
  const issues = new Map<number, IssueState>();
  for (const issue of referencedIssues(scan)) issues.set(issue, await options.issueStates(issue));
  const decision = decidePromotion(scan, issues);
  const auditRecord: PromotionAuditRecord = {
    time: (options.now ?? new Date()).toISOString(),
    actor: options.actor,
    mode: scan.mode,
    base: scan.base ?? null,
    head: scan.head ?? null,
    decision: decision.decision,
    findings: scan.markers.map(auditFinding),
    removed_markers: scan.removedMarkers.map(auditFinding),
    issues: Object.fromEntries(
      [...issues].map(([n, s]) => [
        String(n),
        s.state === 'unknown' ? `unknown: ${s.reason}` : s.state,
      ]),
    ),
    reasons: decision.reasons.map((r) => ({
      code: r.code,
      message: r.message,
      file: r.finding.file,
      line: r.finding.line,
      column: r.finding.column,
    })),
  };
  await appendAuditRecord(options.auditLog, auditRecord);
  return { scan, decision, auditRecord };
}

function auditFinding(m: MarkerFinding): AuditFinding {
  return {
    file: m.file,
    line: m.line,
    column: m.column,
    lane: m.lane,
    marker: m.marker,
    issue: m.issue ?? null,
    reason: m.reason ?? null,
  };
}
