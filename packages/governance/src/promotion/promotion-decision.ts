/**
 * The promotion decision. Promotion into a production lane is blocked when
 *  - any marker is present in a production lane (code that says it is a stub is not done), or
 *  - any tracking issue a marker references (present, or just removed) is still open, or
 *  - the state of such an issue cannot be established (unknown never counts as closed).
 * Every decision carries its reasons and the steps that would turn it into `allow`.
 */
import type { IssueState } from './issue-state.js';
import type { MarkerFinding, PromotionScan } from './promotion-scan.js';

export type PromotionReasonCode =
  'marker-in-production-lane' | 'tracking-issue-open' | 'tracking-issue-state-unknown';

export interface PromotionReason {
  readonly code: PromotionReasonCode;
  readonly message: string;
  /** Where the reason points: the marker, or the removed marker at the merge base. */
  readonly finding: MarkerFinding;
  readonly removed: boolean;
}

export interface PromotionDecision {
  readonly decision: 'allow' | 'block';
  readonly reasons: readonly PromotionReason[];
  /** Issue number -> state, for every referenced issue. */
  readonly issues: ReadonlyMap<number, IssueState>;
  readonly remediation: readonly string[];
}

/** The issue numbers the scan references, in ascending order. */
export function referencedIssues(scan: PromotionScan): number[] {
  const numbers = new Set<number>();
  for (const m of [...scan.markers, ...scan.removedMarkers])
    if (m.issue !== undefined) numbers.add(m.issue);
  return [...numbers].sort((a, b) => a - b);
}

function describeMarker(m: MarkerFinding): string {
  return `${m.marker}${m.issue === undefined ? '' : `(#${m.issue})`}${m.reason === undefined ? '' : `: ${m.reason}`}`;
}

export function decidePromotion(
  scan: PromotionScan,
  issues: ReadonlyMap<number, IssueState>,
): PromotionDecision {
  const reasons: PromotionReason[] = [];
  for (const finding of scan.markers) {
    reasons.push({
      code: 'marker-in-production-lane',
      message: `${describeMarker(finding)} in production lane "${finding.lane}"${finding.issue === undefined ? ` (no tracking issue named: write ${finding.marker}(#<issue>): <reason>)` : ''}`,
      finding,
      removed: false,
    });
  }
  const issueReasons = (finding: MarkerFinding, removed: boolean): void => {
    if (finding.issue === undefined) return;
    const state = issues.get(finding.issue) ?? { state: 'unknown', reason: 'not looked up' };
    const where = removed ? 'removed by this change but its ' : '';
    if (state.state === 'open') {
      reasons.push({
        code: 'tracking-issue-open',
        message: `${where}tracking issue #${finding.issue} is still open`,
        finding,
        removed,
      });
    } else if (state.state === 'unknown') {
      reasons.push({
        code: 'tracking-issue-state-unknown',
        message: `${where}tracking issue #${finding.issue} has an unknown state: ${state.reason}`,
        finding,
        removed,
      });
    }
  };
  for (const finding of scan.markers) issueReasons(finding, false);
  for (const finding of scan.removedMarkers) issueReasons(finding, true);

  const codes = new Set(reasons.map((r) => r.code));
  const remediation: string[] = [];
  if (codes.has('marker-in-production-lane'))
    remediation.push(
      'Finish the stubbed work and delete each marker listed above, or keep the code out of the production lanes (see the lane manifest) until it is done.',
    );
  if (codes.has('tracking-issue-open'))
    remediation.push(
      'Close each open tracking issue when its work is complete, then re-run the guard; if the work is not complete, keep the code in a non-production lane.',
    );
  if (codes.has('tracking-issue-state-unknown'))
    remediation.push(
      'Make issue states knowable: run with GITHUB_TOKEN (Issues: read) and --github-repo OWNER/NAME, or pass --issues-state FILE listing every referenced issue.',
    );
  if (remediation.length === 0)
    remediation.push('Nothing to do: no marker in production lanes and no open tracking issue.');
  return { decision: reasons.length === 0 ? 'allow' : 'block', reasons, issues, remediation };
}
