/**
 * The promotion guard's decisions, read back from its audit log (JSON Lines, one
 * PromotionAuditRecord per run), as counts and as Prometheus metrics for node_exporter's textfile
 * collector (`matriz guard promotion-stats --format openmetrics --output FILE`; the text format
 * 0.0.4, like guard-stats-metrics.ts).
 */
import { parseJson } from '../json/parse.js';

export interface PromotionStats {
  readonly runs: number;
  readonly allowed: number;
  readonly blocked: number;
  /** Block reasons by code, over every blocked run. */
  readonly reasons: Readonly<Record<string, number>>;
  /** Unix seconds of the newest decision, null for an empty log. */
  readonly last_decision_seconds: number | null;
}

export type PromotionStatsResult =
  | { readonly ok: true; readonly stats: PromotionStats }
  | { readonly ok: false; readonly message: string };

/** Counts the decisions in the audit log's text; a line that is no decision record is an error. */
export function promotionStats(text: string, file: string): PromotionStatsResult {
  let allowed = 0;
  let blocked = 0;
  let last: number | null = null;
  const reasons: Record<string, number> = {};
  const lines = text.split('\n');
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const parsed = parseJson(line);
    const record = parsed.ok ? parsed.value : undefined;
    const fields =
      typeof record === 'object' && record !== null && !Array.isArray(record) ? record : undefined;
    const time = typeof fields?.time === 'string' ? Date.parse(fields.time) : NaN;
    if (
      fields === undefined ||
      (fields.decision !== 'allow' && fields.decision !== 'block') ||
      Number.isNaN(time)
    )
      return {
        ok: false,
        message: `${file}:${i + 1}: not a promotion guard decision (JSON with "decision" allow|block and an RFC 3339 "time")`,
      };
    if (fields.decision === 'allow') allowed++;
    else {
      blocked++;
      for (const reason of Array.isArray(fields.reasons) ? fields.reasons : []) {
        const code = (reason as { code?: unknown } | null)?.code;
        if (typeof code === 'string') reasons[code] = (reasons[code] ?? 0) + 1;
      }
    }
    last = Math.max(last ?? 0, Math.floor(time / 1000));
  }
  return {
    ok: true,
    stats: { runs: allowed + blocked, allowed, blocked, reasons, last_decision_seconds: last },
  };
}

export function promotionStatsMetrics(stats: PromotionStats): string {
  const family = (name: string, type: string, help: string, samples: string[]): string =>
    `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${samples.join('')}`;
  const sorted = Object.entries(stats.reasons).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return [
    family(
      'promotion_guard_decisions_total',
      'counter',
      'Promotion guard decisions in the audit log, by decision.',
      [
        `promotion_guard_decisions_total{decision="allow"} ${stats.allowed}\n`,
        `promotion_guard_decisions_total{decision="block"} ${stats.blocked}\n`,
      ],
    ),
    family(
      'promotion_guard_block_reasons_total',
      'counter',
      'Reasons given by blocked promotions, by code.',
      sorted.map(
        ([code, n]) => `promotion_guard_block_reasons_total{code="${escapeLabel(code)}"} ${n}\n`,
      ),
    ),
    ...(stats.last_decision_seconds === null
      ? []
      : [
          family(
            'promotion_guard_last_decision_timestamp_seconds',
            'gauge',
            'Unix time of the newest decision in the audit log.',
            [`promotion_guard_last_decision_timestamp_seconds ${stats.last_decision_seconds}\n`],
          ),
        ]),
  ].join('');
}

function escapeLabel(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}
