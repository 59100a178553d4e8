/**
 * Unbounded scans and pages (issue 13): capability patterns are matched by the registry, not the
 * store, so anyone could register thousands of entries that share a query's verb but miss its
 * pattern; and 500 entries of up to 256 KiB each would make one page over 100 MiB. These cases
 * run on an in-process registry whose store counts the rows each query reads, which a client of
 * `matriz serve` cannot see.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PAGE_SPEC_BYTES, MAX_QUERY_SCAN } from '../../src/registry/registry.js';
import { makeOwner, makeRegistry, type TestRegistry } from '../support/registry.js';

let t: TestRegistry;
let rowsRead = 0;

beforeAll(async () => {
  t = await makeRegistry();
  const read = t.store.queryEntries.bind(t.store);
  t.store.queryEntries = async (query) => {
    const rows = await read(query);
    rowsRead += rows.length;
    return rows;
  };
}, 60_000);

afterAll(async () => {
  await t.sequencer.drain();
  await t.store.close();
});

describe('RT-PERF: bounded query work', () => {
  it(`RT-PERF-8: ${MAX_QUERY_SCAN + 100} near-miss entries make no query read more than ${MAX_QUERY_SCAN} rows; the cursor leads on to the match`, async () => {
    const flooder = await makeOwner('ed25519');
    const near = flooder.spec('flood_template');
    near.identity.capabilities_policy = { allow: ['read:memory/near/miss'], deny: [] };
    const writes = [];
    for (let i = 0; i < MAX_QUERY_SCAN + 100; i++) {
      const spec = structuredClone(near);
      spec.metadata.name = `flood_${String(i).padStart(5, '0')}`;
      writes.push(t.registry.register(flooder.request({ op: 'register', nodeSpec: spec })));
    }
    await Promise.all(writes);
    const owner = await makeOwner('ed25519');
    const target = owner.spec('zz_target');
    target.identity.capabilities_policy = { allow: ['read:memory/target/*'], deny: [] };
    await t.registry.register(owner.request({ op: 'register', nodeSpec: target }));

    const found: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    for (;;) {
      rowsRead = 0;
      const page = await t.registry.query({
        capability: 'read:memory/target/x',
        limit: 10,
        ...(cursor === undefined ? {} : { cursor }),
      });
      pages++;
      expect(rowsRead).toBeLessThanOrEqual(MAX_QUERY_SCAN);
      found.push(...page.entries.map((entry) => entry.registry_id));
      if (page.next_cursor === null) break;
      cursor = page.next_cursor;
    }
    expect(found).toEqual(['zz_target@0.1.0']);
    expect(pages).toBe(2);
  }, 120_000);

  it('RT-PERF-9: a page carries at most 4 MiB of NodeSpecs, however high the limit', async () => {
    const owner = await makeOwner('ed25519');
    const big = owner.spec('big_template');
    (big.contracts as Record<string, unknown>).x_padding = 'p'.repeat(240_000);
    const count = Math.ceil((MAX_PAGE_SPEC_BYTES * 1.5) / 240_000);
    const writes = [];
    for (let i = 0; i < count; i++) {
      const spec = structuredClone(big);
      spec.metadata.name = `big_${String(i).padStart(3, '0')}`;
      writes.push(t.registry.register(owner.request({ op: 'register', nodeSpec: spec })));
    }
    await Promise.all(writes);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await t.registry.query({
        owner: owner.ownerId,
        limit: 500,
        ...(cursor === undefined ? {} : { cursor }),
      });
      const bytes = page.entries.reduce((sum, e) => sum + JSON.stringify(e.node_spec).length, 0);
      expect(bytes).toBeLessThanOrEqual(MAX_PAGE_SPEC_BYTES);
      expect(page.entries.length).toBeGreaterThan(0);
      seen.push(...page.entries.map((entry) => entry.registry_id));
      if (page.next_cursor === null) break;
      cursor = page.next_cursor;
    }
    expect(seen).toHaveLength(count);
    expect(new Set(seen).size).toBe(count);
  }, 120_000);
});
