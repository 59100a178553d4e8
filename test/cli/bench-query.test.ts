import { describe, expect, it } from 'vitest';
import type { QueryBenchResult } from '../../src/bench/query.js';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../support/cli.js';

describe('matriz bench query', () => {
  it('builds a registry in the store that matriz serve opens, and reads every filter without an error', async () => {
    const io = captureIo();
    const code = await main(
      ['bench', 'query', '--json', '--entries', '320', '--pages', '40', '--connections', '4'],
      io,
    );
    expect(code, io.err()).toBe(0);
    const result = JSON.parse(io.out()) as QueryBenchResult;
    expect(result.entries).toBe(320);
    expect(result.page_size).toBe(50);
    expect(result.healthz.concurrent.connections).toBe(4);
    expect(result.filters.map((f) => [f.filter, f.matching])).toStrictEqual([
      ['signal', 320],
      ['capability', 320],
      ['lane', 80],
      ['owner', 20],
      ['signal+lane', 80],
    ]);
    for (const filter of result.filters) {
      for (const load of [filter.sequential, filter.concurrent]) {
        expect(load.errors, filter.query).toBe(0);
        expect(load.pages).toBe(40);
        expect(load.per_sec).toBeGreaterThan(0);
        expect(load.p95_ms).toBeGreaterThanOrEqual(load.p50_ms);
      }
    }
    expect(typeof result.pass).toBe('boolean');
  }, 120_000);
});
