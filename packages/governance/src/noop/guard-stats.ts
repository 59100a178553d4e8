/**
 * The seed's metric from the audit log: how often the guard flags, and how often a flag was a
 * false positive by human judgement. `false_positive_rate = FP / (FP + TN)`, where FP are flagged
 * runs labelled `false-positive` and TN are runs the guard let through (verdict `substantive`).
 * The latest label of a run wins.
 */
import type { AuditRecord, Judgement } from './audit-log.js';

export interface GuardStats {
  readonly runs: number;
  readonly flags: number;
  readonly labelled_false_positives: number;
  readonly labelled_true_positives: number;
  readonly unlabelled_flags: number;
  readonly true_negatives: number;
  /** FP / (FP + TN); null before there is any run to divide by. */
  readonly false_positive_rate: number | null;
  readonly reasons: Readonly<Record<string, number>>;
}

export function computeStats(records: readonly AuditRecord[]): GuardStats {
  const labels = new Map<string, Judgement>();
  for (const record of records)
    if (record.type === 'label') labels.set(record.run_id, record.label);
  let runs = 0;
  let flags = 0;
  let falsePositives = 0;
  let truePositives = 0;
  let trueNegatives = 0;
  const reasons: Record<string, number> = {};
  for (const record of records) {
    if (record.type !== 'run') continue;
    runs++;
    for (const p of record.paths) reasons[p.reason] = (reasons[p.reason] ?? 0) + 1;
    if (record.verdict === 'substantive') {
      trueNegatives++;
      continue;
    }
    flags++;
    const label = labels.get(record.run_id);
    if (label === 'false-positive') falsePositives++;
    else if (label === 'true-positive') truePositives++;
  }
  const denominator = falsePositives + trueNegatives;
  return {
    runs,
    flags,
    labelled_false_positives: falsePositives,
    labelled_true_positives: truePositives,
    unlabelled_flags: flags - falsePositives - truePositives,
    true_negatives: trueNegatives,
    false_positive_rate: denominator === 0 ? null : falsePositives / denominator,
    reasons,
  };
}
