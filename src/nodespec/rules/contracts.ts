import type { LintRule } from './rule.js';

type Percentile = 'p50' | 'p95' | 'p99';
const PERCENTILES: readonly Percentile[] = ['p50', 'p95', 'p99'];

export const orderedPercentiles: LintRule = {
  id: 'NS002',
  name: 'ordered-percentiles',
  severity: 'error',
  rationale: 'A higher percentile can never be faster than a lower one: p50 <= p95 <= p99.',
  check(spec, _context, report) {
    const hints = spec.contracts.performance_hints;
    if (!hints) return;
    let previous: { name: Percentile; value: number } | undefined;
    for (const name of PERCENTILES) {
      const value = hints[name];
      if (value === undefined) continue;
      if (previous && value < previous.value) {
        report(
          `/contracts/performance_hints/${name}`,
          `\`contracts.performance_hints.${name}\` is ${value}, below ${previous.name} (${previous.value}); percentiles must satisfy p50 <= p95 <= p99`,
        );
      }
      previous = { name, value };
    }
  },
};

export const timeoutAbovePercentiles: LintRule = {
  id: 'NS003',
  name: 'timeout-above-percentiles',
  severity: 'error',
  rationale:
    'A timeout at or below a latency percentile abandons requests the contract promises to serve.',
  check(spec, _context, report) {
    const hints = spec.contracts.performance_hints;
    if (hints?.timeout_ms === undefined) return;
    let largest: { name: Percentile; value: number } | undefined;
    for (const name of PERCENTILES) {
      const value = hints[name];
      if (value !== undefined && (!largest || value >= largest.value)) largest = { name, value };
    }
    if (largest && hints.timeout_ms <= largest.value) {
      report(
        '/contracts/performance_hints/timeout_ms',
        `\`contracts.performance_hints.timeout_ms\` is ${hints.timeout_ms}; must be above the largest percentile, ${largest.name} = ${largest.value}`,
      );
    }
  },
};
