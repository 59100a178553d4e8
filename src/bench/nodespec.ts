/**
 * NodeSpec throughput: schema validations and full lints (schema + rules) per second over the
 * bundled examples, parsed once, on one core. A JSON.parse of the same documents runs in the
 * same process as a baseline, so the numbers can be compared across machines as ratios.
 */
import { parseJson, type JsonValue } from '../json/parse.js';
import { lintNodeSpec, validateNodeSpec } from '../nodespec/index.js';
import { measureThroughput } from './measure.js';

export interface NodeSpecBenchResult {
  readonly documents: number;
  readonly seconds_per_measurement: number;
  readonly validations_per_sec: number;
  readonly lint_per_sec: number;
  readonly parse_with_positions_per_sec: number;
  readonly json_parse_baseline_per_sec: number;
  readonly targets: { readonly validations_per_sec: number; readonly lint_per_sec: number };
  readonly pass: boolean;
}

export const NODESPEC_TARGETS = { validations_per_sec: 500_000, lint_per_sec: 100_000 } as const;

export function benchNodeSpec(sources: readonly string[], seconds: number): NodeSpecBenchResult {
  const documents: JsonValue[] = sources.map((source) => {
    const parsed = parseJson(source);
    if (!parsed.ok) throw new Error(`benchmark input is not JSON: ${parsed.error.message}`);
    return parsed.value;
  });
  const now = new Date();
  let i = 0;
  let sink = 0;
  const next = <T>(items: readonly T[]): T => items[i++ % items.length] as T;

  const validations = measureThroughput(() => {
    if (validateNodeSpec(next(documents)).valid) sink++;
  }, seconds);
  const lints = measureThroughput(() => {
    sink += lintNodeSpec(next(documents), { now }).length;
  }, seconds);
  const parses = measureThroughput(() => {
    if (parseJson(next(sources)).ok) sink++;
  }, seconds);
  const baseline = measureThroughput(() => {
    if (JSON.parse(next(sources)) !== null) sink++;
  }, seconds);
  if (sink < 0) throw new Error('unreachable: keeps the measured work observable');

  const result = {
    documents: documents.length,
    seconds_per_measurement: seconds,
    validations_per_sec: Math.round(validations.perSecond),
    lint_per_sec: Math.round(lints.perSecond),
    parse_with_positions_per_sec: Math.round(parses.perSecond),
    json_parse_baseline_per_sec: Math.round(baseline.perSecond),
    targets: NODESPEC_TARGETS,
  };
  return {
    ...result,
    pass:
      result.validations_per_sec >= NODESPEC_TARGETS.validations_per_sec &&
      result.lint_per_sec >= NODESPEC_TARGETS.lint_per_sec,
  };
}
