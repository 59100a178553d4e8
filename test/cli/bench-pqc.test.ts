import { describe, expect, it } from 'vitest';
import { formatPqcBench } from '../../src/bench/pqc-report.js';
import { sloVerdict, type PqcBenchResult, type PqcRow } from '../../src/bench/pqc.js';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../support/cli.js';

describe('matriz bench pqc', () => {
  it('--json prints one row per suite, backend and operation, with the baselines', async () => {
    const io = captureIo();
    const code = await main(
      ['bench', 'pqc', '--json', '--backend', 'liboqs', '--iterations', '3'],
      io,
    );
    expect(code).toBe(0);
    const result = JSON.parse(io.out()) as PqcBenchResult;
    const suites = ['ml-dsa-44', 'ml-dsa-65', 'ml-dsa-87', 'falcon-512', 'falcon-1024'];
    expect(result.rows.map((r) => `${r.alg}/${r.backend}/${r.op}`)).toEqual([
      ...suites.flatMap((alg) => ['keygen', 'sign', 'verify'].map((op) => `${alg}/liboqs/${op}`)),
      'ed25519/node/keygen',
      'ed25519/node/sign',
      'ed25519/node/verify',
      'hmac-sha256/node/keygen',
      'hmac-sha256/node/sign',
      'hmac-sha256/node/verify',
    ]);
    for (const row of result.rows) {
      expect(Object.keys(row)).toEqual([
        'alg',
        'backend',
        'op',
        'p50_ms',
        'p95_ms',
        'p99_ms',
        'ops_per_sec',
      ]);
      expect(row.p50_ms).toBeGreaterThan(0);
      expect(row.p95_ms).toBeGreaterThanOrEqual(row.p50_ms);
      expect(row.p99_ms).toBeGreaterThanOrEqual(row.p95_ms);
      expect(row.ops_per_sec).toBeGreaterThan(0);
    }
    expect(result.targets).toMatchObject({
      backend: 'liboqs',
      verify_ratio_max: 1.5,
      sign_ratio_max: 12,
    });
    expect(io.err()).toBe('');
  }, 120_000);

  it('refuses an unknown backend', async () => {
    const io = captureIo();
    expect(await main(['bench', 'pqc', '--backend', 'openssl'], io)).toBe(2);
  });

  it('prints PASS/FAIL against the seed SLOs (sign p95 < 50 ms, verify p95 < 10 ms)', () => {
    const row = (op: PqcRow['op'], p95: number): PqcRow => ({
      alg: 'ml-dsa-44',
      backend: 'noble',
      op,
      p50_ms: p95 / 2,
      p95_ms: p95,
      p99_ms: p95,
      ops_per_sec: 1,
    });
    expect(sloVerdict(row('sign', 49))).toBe(true);
    expect(sloVerdict(row('sign', 50))).toBe(false);
    expect(sloVerdict(row('verify', 9.9))).toBe(true);
    expect(sloVerdict(row('verify', 10))).toBe(false);
    expect(sloVerdict(row('keygen', 1000))).toBeUndefined();
    const text = formatPqcBench({
      rows: [row('keygen', 3), row('sign', 60), row('verify', 0.5)],
      message_bytes: 1024,
      iterations: 10,
      node: 'v20',
      targets: {
        backend: 'noble',
        ml_dsa_44_verify_p50_ratio: 2,
        ml_dsa_44_sign_p50_ratio: 20,
        verify_ratio_max: 1.5,
        sign_ratio_max: 12,
        pass: false,
      },
    });
    expect(text).toMatch(/keygen .* -\n/);
    expect(text).toMatch(/sign .* FAIL\n/);
    expect(text).toMatch(/verify .* PASS\n/);
    expect(text).toContain('verify 2x (target <= 1.5x), sign 20x (target <= 12x): FAIL');
  });
});
