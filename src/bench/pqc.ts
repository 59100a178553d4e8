/**
 * `matriz bench pqc` (the seed's pqc-bench): key generation, signing and verification of a
 * 1 KiB message for every signature suite on every requested backend, with Ed25519
 * (node:crypto) and HMAC-SHA256 baselines measured in the same process, so that the targets
 * can be stated as ratios that hold across machines.
 *
 * Each operation is warmed up, then timed one call at a time; p50/p95/p99 are nearest-rank
 * percentiles of those samples, ops_per_sec is the reciprocal of their mean. A measurement stops
 * after `iterations` samples or `budgetMs` of samples, whichever comes first (pure-JS Falcon key
 * generation takes about half a second per key), but never with fewer than `MIN_SAMPLES`.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from '../crypto/algorithms.js';
import type { SignatureSuite } from '../crypto/suite.js';
import { loadSignatureSuite } from '../crypto/suites.js';
import { percentile } from './measure.js';

export type PqcOp = 'keygen' | 'sign' | 'verify';

export interface PqcRow {
  readonly alg: string;
  readonly backend: string;
  readonly op: PqcOp;
  readonly p50_ms: number;
  readonly p95_ms: number;
  readonly p99_ms: number;
  readonly ops_per_sec: number;
}

/** Seed SLOs (DESIGN.md, "Seed performance and security numbers"). */
export const PQC_SLO = { sign_p95_ms: 50, verify_p95_ms: 10 } as const;

/** Issue targets, as ratios to Ed25519 on node:crypto from the same run. */
export const PQC_TARGETS = {
  ml_dsa_44_verify_p50_ratio: 1.5,
  ml_dsa_44_sign_p50_ratio: 12,
} as const;

export interface PqcBenchOptions {
  readonly iterations: number;
  readonly backends: readonly ('liboqs' | 'noble')[];
  /** Time budget per measurement, in milliseconds. */
  readonly budgetMs?: number;
  /** Called before each suite is measured (progress on a terminal). */
  readonly onProgress?: (label: string) => void;
}

export interface PqcBenchResult {
  readonly rows: readonly PqcRow[];
  readonly message_bytes: number;
  readonly iterations: number;
  readonly node: string;
  /** ML-DSA-44 on the fastest measured backend against Ed25519 (node:crypto) p50. */
  readonly targets: {
    readonly backend: string;
    readonly ml_dsa_44_verify_p50_ratio: number;
    readonly ml_dsa_44_sign_p50_ratio: number;
    readonly verify_ratio_max: number;
    readonly sign_ratio_max: number;
    readonly pass: boolean;
  } | null;
}

const MESSAGE_BYTES = 1024;
const MIN_SAMPLES = 5;

export async function benchPqc(options: PqcBenchOptions): Promise<PqcBenchResult> {
  const budgetMs = options.budgetMs ?? 5000;
  const message = new Uint8Array(randomBytes(MESSAGE_BYTES));
  const rows: PqcRow[] = [];
  const postQuantum = SIGNATURE_ALGORITHMS.filter((alg) => alg !== 'ed25519');
  for (const backend of options.backends)
    for (const alg of postQuantum) {
      options.onProgress?.(`${alg} on ${backend}`);
      const suite = await loadSignatureSuite(alg, backend);
      rows.push(...measureSuite(alg, suite, message, options.iterations, budgetMs));
    }
  options.onProgress?.('baselines: ed25519 (node:crypto), hmac-sha256');
  const ed25519 = await loadSignatureSuite('ed25519');
  rows.push(...measureSuite('ed25519', ed25519, message, options.iterations, budgetMs));
  rows.push(...measureHmac(message, options.iterations, budgetMs));
  return {
    rows,
    message_bytes: MESSAGE_BYTES,
    iterations: options.iterations,
    node: process.version,
    targets: targets(rows, ed25519.backend),
  };
}

/** PASS/FAIL of a row against the seed SLO; undefined for key generation (no SLO). */
export function sloVerdict(row: PqcRow): boolean | undefined {
  if (row.op === 'sign') return row.p95_ms < PQC_SLO.sign_p95_ms;
  if (row.op === 'verify') return row.p95_ms < PQC_SLO.verify_p95_ms;
  return undefined;
}

function measureSuite(
  alg: SignatureAlgorithm,
  suite: SignatureSuite,
  message: Uint8Array,
  iterations: number,
  budgetMs: number,
): PqcRow[] {
  const keys = suite.generateKeyPair();
  const signature = suite.sign(message, keys.secretKey);
  const row = (op: PqcOp, work: () => unknown): PqcRow => ({
    alg,
    backend: suite.backend,
    op,
    ...sample(work, iterations, budgetMs),
  });
  return [
    row('keygen', () => suite.generateKeyPair()),
    row('sign', () => suite.sign(message, keys.secretKey)),
    row('verify', () => {
      if (!suite.verify(signature, message, keys.publicKey))
        throw new Error(`${alg} on ${suite.backend}: a fresh signature did not verify`);
    }),
  ];
}

function measureHmac(message: Uint8Array, iterations: number, budgetMs: number): PqcRow[] {
  const key = randomBytes(32);
  const mac = createHmac('sha256', key).update(message).digest();
  const row = (op: PqcOp, work: () => unknown): PqcRow => ({
    alg: 'hmac-sha256',
    backend: 'node',
    op,
    ...sample(work, iterations, budgetMs),
  });
  return [
    row('keygen', () => randomBytes(32)),
    row('sign', () => createHmac('sha256', key).update(message).digest()),
    row('verify', () => timingSafeEqual(createHmac('sha256', key).update(message).digest(), mac)),
  ];
}

function sample(
  work: () => unknown,
  iterations: number,
  budgetMs: number,
): Omit<PqcRow, 'alg' | 'backend' | 'op'> {
  const warmupEnd = performance.now() + Math.min(budgetMs / 10, 500);
  for (let i = 0; i < Math.max(3, iterations / 10) && performance.now() < warmupEnd; i++) work();
  const samples: number[] = [];
  const end = performance.now() + budgetMs;
  while (samples.length < iterations && (samples.length < MIN_SAMPLES || performance.now() < end)) {
    const start = performance.now();
    work();
    samples.push(performance.now() - start);
  }
  const mean = samples.reduce((sum, x) => sum + x, 0) / samples.length;
  samples.sort((a, b) => a - b);
  return {
    p50_ms: round(percentile(samples, 50)),
    p95_ms: round(percentile(samples, 95)),
    p99_ms: round(percentile(samples, 99)),
    ops_per_sec: Math.round(1000 / mean),
  };
}

function targets(rows: readonly PqcRow[], ed25519Backend: string): PqcBenchResult['targets'] {
  const find = (alg: string, backend: string, op: PqcOp): PqcRow | undefined =>
    rows.find((r) => r.alg === alg && r.backend === backend && r.op === op);
  const edSign = find('ed25519', ed25519Backend, 'sign');
  const edVerify = find('ed25519', ed25519Backend, 'verify');
  const candidates = rows.filter((r) => r.alg === 'ml-dsa-44' && r.op === 'sign');
  const fastest = candidates.sort((a, b) => a.p50_ms - b.p50_ms)[0];
  if (!edSign || !edVerify || !fastest) return null;
  const sign = fastest;
  const verify = find('ml-dsa-44', fastest.backend, 'verify');
  if (!verify) return null;
  const signRatio = round(sign.p50_ms / edSign.p50_ms, 2);
  const verifyRatio = round(verify.p50_ms / edVerify.p50_ms, 2);
  return {
    backend: fastest.backend,
    ml_dsa_44_verify_p50_ratio: verifyRatio,
    ml_dsa_44_sign_p50_ratio: signRatio,
    verify_ratio_max: PQC_TARGETS.ml_dsa_44_verify_p50_ratio,
    sign_ratio_max: PQC_TARGETS.ml_dsa_44_sign_p50_ratio,
    pass:
      verifyRatio <= PQC_TARGETS.ml_dsa_44_verify_p50_ratio &&
      signRatio <= PQC_TARGETS.ml_dsa_44_sign_p50_ratio,
  };
}

function round(value: number, digits = 4): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
