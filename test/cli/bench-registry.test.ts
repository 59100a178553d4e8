import { describe, expect, it } from 'vitest';
import type { RegistryBenchResult } from '../../src/bench/registry.js';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../support/cli.js';

describe('matriz bench registry', () => {
  it('warms the server up unmeasured, then measures registrations and the server CPU they cost', async () => {
    const io = captureIo();
    const code = await main(
      ['bench', 'registry', '--json', '--requests', '120', '--warmup', '60', '--connections', '8'],
      io,
    );
    expect(code, io.err()).toBe(0);
    const result = JSON.parse(io.out()) as RegistryBenchResult;
    expect(result.warmup).toStrictEqual({ registrations: 60, healthz: 60, errors: 0 });
    expect(result.registrations).toMatchObject({ requests: 120, ok: 120, errors: 0 });
    expect(result.healthz_baseline.errors).toBe(0);
    expect(result.ratio_to_healthz).toBeGreaterThan(0);
    // Read from /proc around the registrations only: some CPU, and a per-write figure from it.
    expect(result.server_cpu_seconds).toBeTypeOf('number');
    expect(result.server_cpu_ms_per_write).toBe(
      Math.round(((result.server_cpu_seconds as number) * 1_000_000) / 120) / 1000,
    );
    expect(typeof result.write_path_pass).toBe('boolean');
  }, 120_000);

  it('refuses a warm-up that is not a whole number, as a usage error', async () => {
    const io = captureIo();
    const code = await main(['bench', 'registry', '--warmup', '-5'], io);
    expect(code).toBe(2);
    expect(io.err()).toMatch(/--warmup/);
    expect(io.err().trim().split('\n')).toHaveLength(1);
  });
});
