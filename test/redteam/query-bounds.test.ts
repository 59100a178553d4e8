/**
 * Unbounded scans and pages (issue 13): anyone could register thousands of entries near a query
 * (its capability's verb but not its pattern, or one of two filters but not both) to make every
 * such query scan them; and 500 entries of up to 256 KiB each would make one page over 100 MiB.
 * These cases run on an in-process registry whose store reports the candidate ids each query
 * examined, which a client of `matriz serve` cannot see.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PAGE_BYTES, MAX_QUERY_SCAN } from '../../src/registry/registry.js';
import { makeOwner, makeRegistry, type TestRegistry } from '../support/registry.js';

let t: TestRegistry;
let idsRead = 0;

beforeAll(async () => {
  t = await makeRegistry();
  // Counts the candidate ids the store reads for each page, which no client can see.
  const read = t.store.queryPage.bind(t.store);
  t.store.queryPage = async (query) => {
    const page = await read(query);
    idsRead += page.examined;
    return page;
  };
}, 60_000);

afterAll(async () => {
  await t.sequencer.drain();
  await t.store.close();
});

describe('RT-PERF: bounded query work', () => {
  it(`RT-PERF-8: near-miss entries cost a one-filter query nothing, and make no two-filter query examine more than ${MAX_QUERY_SCAN} entries; the cursor leads on to the match`, async () => {
    const flooder = await makeOwner('ed25519');
    const template = flooder.spec('flood_template');
    const flood = (prefix: string, signal: string | undefined, allow: string[]) => {
      const writes = [];
      for (let i = 0; i < MAX_QUERY_SCAN + 100; i++) {
        const spec = structuredClone(template);
        spec.metadata.name = `${prefix}_${String(i).padStart(5, '0')}`;
        spec.interfaces.signals = signal === undefined ? {} : { emits: [{ name: signal }] };
        spec.identity.capabilities_policy = { allow, deny: [] };
        writes.push(t.registry.register(flooder.request({ op: 'register', nodeSpec: spec })));
      }
      return Promise.all(writes);
    };
    // Each filter alone matches more entries than one request may examine; only the target
    // matches both.
    await flood('flood_a', 'flood.signal', ['read:memory/near/miss']);
    await flood('flood_b', undefined, ['read:memory/target/*']);
    const owner = await makeOwner('ed25519');
    const target = owner.spec('zz_target');
    target.interfaces.signals = { emits: [{ name: 'flood.signal' }] };
    target.identity.capabilities_policy = { allow: ['read:memory/target/*'], deny: [] };
    await t.registry.register(owner.request({ op: 'register', nodeSpec: target }));

    const pages = async (filter: { signal?: string; capability: string }) => {
      const found: string[] = [];
      const examined: number[] = [];
      let cursor: string | undefined;
      for (;;) {
        idsRead = 0;
        const page = await t.registry.query({
          ...filter,
          limit: 10,
          ...(cursor === undefined ? {} : { cursor }),
        });
        examined.push(idsRead);
        found.push(...page.entries.map((entry) => entry.registry_id));
        if (page.next_cursor === null) return { found, examined };
        cursor = page.next_cursor;
      }
    };
    // One filter: the near misses of flood_a are in no range the query reads.
    const nearMiss = await pages({ capability: 'read:memory/near/x' });
    expect(nearMiss.found).toEqual([]);
    expect(nearMiss.examined).toEqual([0]);
    const both = await pages({ signal: 'flood.signal', capability: 'read:memory/target/x' });
    expect(both.found).toEqual(['zz_target@0.1.0']);
    expect(both.examined.length).toBeGreaterThan(1);
    for (const count of both.examined) expect(count).toBeLessThanOrEqual(MAX_QUERY_SCAN);
  }, 180_000);

  it('RT-PERF-9: a page carries at most 4 MiB of entries, however high the limit', async () => {
    const owner = await makeOwner('ed25519');
    const big = owner.spec('big_template');
    // As large as a NodeSpec can be: its leaf (the envelope, base64) must fit an entry bundle.
    (big.contracts as Record<string, unknown>).x_padding = 'p'.repeat(40_000);
    const count = Math.ceil((MAX_PAGE_BYTES * 1.5) / 40_000);
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
      expect(bytes).toBeLessThanOrEqual(MAX_PAGE_BYTES);
      expect(page.entries.length).toBeGreaterThan(0);
      seen.push(...page.entries.map((entry) => entry.registry_id));
      if (page.next_cursor === null) break;
      cursor = page.next_cursor;
    }
    expect(seen).toHaveLength(count);
    expect(new Set(seen).size).toBe(count);
  }, 120_000);
});
