/** The human-readable table of `matriz bench pqc`. */
import { PQC_SLO, sloVerdict, type PqcBenchResult } from './pqc.js';

export function formatPqcBench(result: PqcBenchResult): string {
  const header = `${'alg'.padEnd(13)} ${'backend'.padEnd(7)} ${'op'.padEnd(7)} ${'p50 ms'.padStart(9)} ${'p95 ms'.padStart(9)} ${'p99 ms'.padStart(9)} ${'ops/s'.padStart(9)}  SLO\n`;
  const lines = result.rows.map((row) => {
    const verdict = sloVerdict(row);
    const slo = verdict === undefined ? '-' : verdict ? 'PASS' : 'FAIL';
    return `${row.alg.padEnd(13)} ${row.backend.padEnd(7)} ${row.op.padEnd(7)} ${fixed(row.p50_ms)} ${fixed(row.p95_ms)} ${fixed(row.p99_ms)} ${String(row.ops_per_sec).padStart(9)}  ${slo}\n`;
  });
  const targets = result.targets;
  const summary = targets
    ? `\nML-DSA-44 (${targets.backend}) vs Ed25519 (node:crypto), p50: verify ${targets.ml_dsa_44_verify_p50_ratio}x (target <= ${targets.verify_ratio_max}x), sign ${targets.ml_dsa_44_sign_p50_ratio}x (target <= ${targets.sign_ratio_max}x): ${targets.pass ? 'PASS' : 'FAIL'}\n`
    : '';
  return (
    `${result.message_bytes}-byte message, up to ${result.iterations} samples per row, Node.js ${result.node}; SLO: sign p95 < ${PQC_SLO.sign_p95_ms} ms, verify p95 < ${PQC_SLO.verify_p95_ms} ms\n` +
    header +
    lines.join('') +
    summary
  );
}

function fixed(ms: number): string {
  return ms.toFixed(ms < 1 ? 4 : 2).padStart(9);
}
