/**
 * The No-Op guard's statistics (guard-stats.ts) as Prometheus metrics, for node_exporter's
 * textfile collector: `matriz guard noop-stats --format openmetrics --output
 * /var/lib/node_exporter/textfile/noop-guard.prom`. The text is the Prometheus text exposition
 * format 0.0.4, the one that collector parses; OpenMetrics' `# EOF` line and its counter family
 * names without `_total` are left out because that parser does not take them. Counters count
 * over the whole audit log; the ratio is absent until there is a run to divide by.
 */
import type { GuardStats } from './guard-stats.js';

interface Family {
  readonly name: string;
  readonly type: 'counter' | 'gauge';
  readonly help: string;
  readonly samples: readonly { readonly labels?: string; readonly value: number }[];
}

export function guardStatsMetrics(stats: GuardStats): string {
  const counter = (name: string, help: string, value: number): Family => ({
    name,
    type: 'counter',
    help,
    samples: [{ value }],
  });
  const families: Family[] = [
    counter('noop_guard_runs_total', 'No-Op guard runs in the audit log.', stats.runs),
    counter('noop_guard_flags_total', 'Runs judged no-op (refused).', stats.flags),
    counter(
      'noop_guard_false_positives_total',
      'Flagged runs a human labelled false-positive (noop-label).',
      stats.labelled_false_positives,
    ),
    counter(
      'noop_guard_true_positives_total',
      'Flagged runs a human labelled true-positive.',
      stats.labelled_true_positives,
    ),
    counter(
      'noop_guard_unlabelled_flags_total',
      'Flagged runs without a label yet.',
      stats.unlabelled_flags,
    ),
    counter(
      'noop_guard_true_negatives_total',
      'Runs judged substantive (let through).',
      stats.true_negatives,
    ),
    {
      name: 'noop_guard_path_reasons_total',
      type: 'counter',
      help: 'Changed paths judged, by the reason of their verdict.',
      samples: Object.entries(stats.reasons)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([reason, value]) => ({ labels: `reason="${escapeLabel(reason)}"`, value })),
    },
  ];
  if (stats.false_positive_rate !== null)
    families.push({
      name: 'noop_guard_false_positive_ratio',
      type: 'gauge',
      help: 'FP / (FP + TN): flagged runs labelled false-positive over those and the runs let through.',
      samples: [{ value: stats.false_positive_rate }],
    });
  return families
    .map(
      (family) =>
        `# HELP ${family.name} ${family.help}\n# TYPE ${family.name} ${family.type}\n` +
        family.samples
          .map(
            (sample) =>
              `${family.name}${sample.labels === undefined ? '' : `{${sample.labels}}`} ${sample.value}\n`,
          )
          .join(''),
    )
    .join('');
}

/** A label value in the text format: backslash, double quote and newline escaped. */
function escapeLabel(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}
