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
    // Per thread: the event loop and the busiest others, which add up to the process's CPU.
    const threads = result.server_threads_cpu_ms_per_write;
    expect(threads?.event_loop).toBeGreaterThan(0);
    expect(threads?.others.length).toBeGreaterThanOrEqual(2);
    const sum = (threads?.event_loop ?? 0) + (threads?.others ?? []).reduce((a, b) => a + b, 0);
    // Each reading is in 10 ms clock ticks: allow one tick per thread over the 120 writes.
    const ticks = (1 + (threads?.others.length ?? 0)) * (10 / 120);
    expect(Math.abs(sum - (result.server_cpu_ms_per_write as number))).toBeLessThanOrEqual(
      ticks + 0.1 * sum,
    );
    // Every registration is at least its request read and its answer written.
    expect(result.server_io_per_write?.read_calls).toBeGreaterThanOrEqual(1);
    expect(result.server_io_per_write?.write_bytes).toBeGreaterThan(4000);
    expect(result.healthz_server_cpu_ms_per_request).toBeGreaterThan(0);
  }, 120_000);

  it('refuses a warm-up that is not a whole number, as a usage error', async () => {
    const io = captureIo();
    const code = await main(['bench', 'registry', '--warmup', '-5'], io);
    expect(code).toBe(2);
    expect(io.err()).toMatch(/--warmup/);
    expect(io.err().trim().split('\n')).toHaveLength(1);
  });
});
