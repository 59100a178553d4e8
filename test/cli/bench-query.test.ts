import { describe, expect, it } from 'vitest';
import type { QueryBenchResult } from '../../src/bench/query.js';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../support/cli.js';
import { postgresAvailable, withScratchDatabase } from '../support/postgres.js';

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

describe('a PostgreSQL database that cannot be reached', () => {
  it('is one line and exit 2, naming the server and database but not the password', async () => {
    const io = captureIo();
    const url = 'postgres://postgres:s3cret@127.0.0.1:1/nowhere';
    expect(await main(['bench', 'query', '--entries', '10', '--database-url', url], io)).toBe(2);
    expect(io.err()).toMatch(
      /^matriz: error: cannot open the PostgreSQL database 127\.0\.0\.1:1\/nowhere: connect ECONNREFUSED[^\n]*\n$/,
    );
    expect(io.err()).not.toContain('s3cret');
  });
});

const postgres = await postgresAvailable();

describe.runIf(postgres)('matriz bench query --database-url', () => {
  it('builds and serves the registry from an empty PostgreSQL database, and refuses one that holds a log', async () => {
    await withScratchDatabase('matriz_bench', async (url) => {
      const args = ['bench', 'query', '--json', '--entries', '120', '--pages', '20'];
      const io = captureIo();
      const code = await main([...args, '--connections', '2', '--database-url', url], io);
      expect(code, io.err()).toBe(0);
      const result = JSON.parse(io.out()) as QueryBenchResult;
      expect(result.store).toBe('postgres');
      expect(result.filters.map((f) => [f.filter, f.matching])).toStrictEqual([
        ['signal', 120],
        ['capability', 120],
        ['lane', 30],
        ['owner', 8],
        ['signal+lane', 30],
      ]);
      for (const filter of result.filters)
        expect(filter.sequential.errors + filter.concurrent.errors, filter.query).toBe(0);

      const again = captureIo();
      expect(await main([...args, '--database-url', url], again)).toBe(2);
      expect(again.err()).toBe(
        'matriz: error: the benchmark builds its own log: --database-url must name an empty database\n',
      );
    });
  }, 180_000);
});
