import { describe, expect, it } from 'vitest';
import { CoalescedLookUp, type StateRead } from '../../src/store/coalesced-lookup.js';
import type { RegistryEntry, StateQuery } from '../../src/store/store.js';

/** A read that records what it was asked and waits until released. */
function gatedReads(stored: { ids: string[]; nonces: Record<string, number> }) {
  const asked: Omit<StateQuery, 'now'>[] = [];
  const gates: (() => void)[] = [];
  let fail: Error | undefined;
  const read = async (query: Omit<StateQuery, 'now'>): Promise<StateRead> => {
    asked.push(query);
    await new Promise<void>((resolve) => gates.push(resolve));
    if (fail !== undefined) throw fail;
    return {
      entries: new Map(
        query.registryIds
          .filter((id) => stored.ids.includes(id))
          .map((id) => [id, { registryId: id } as RegistryEntry]),
      ),
      versions: new Map(
        query.names.map((name) => [name, [{ registryId: `${name}@1`, ownerId: 'o' }]]),
      ),
      nonceExpiry: new Map(
        query.nonces.flatMap((n) => (n in stored.nonces ? [[n, stored.nonces[n] as number]] : [])),
      ),
    };
  };
  const release = async () => {
    while (gates.length === 0) await new Promise((resolve) => setImmediate(resolve));
    gates.shift()?.();
  };
  return { read, asked, release, failWith: (error: Error | undefined) => (fail = error) };
}

const query = (ids: string[], nonces: string[], now: number, names: string[] = []): StateQuery => ({
  registryIds: ids,
  names,
  nonces,
  now,
});

describe('CoalescedLookUp', () => {
  it('answers a lone call with its own read, and calls made during a read with one read after it', async () => {
    const reads = gatedReads({ ids: ['a', 'b', 'c'], nonces: { n1: 150, n2: 300 } });
    const coalesced = new CoalescedLookUp(reads.read);
    const first = coalesced.lookUp(query(['a'], ['n1'], 100));
    const second = coalesced.lookUp(query(['b', 'x'], ['n1', 'n2'], 200, ['node']));
    const third = coalesced.lookUp(query(['c'], [], 100));
    expect(reads.asked).toHaveLength(1);
    await reads.release();
    const one = await first;
    expect([...one.entries.keys()]).toStrictEqual(['a']);
    expect([...one.seenNonces]).toStrictEqual(['n1']);
    // The two calls that waited share the next read, which asks for the union of their keys.
    await reads.release();
    const [two, three] = await Promise.all([second, third]);
    expect(reads.asked).toHaveLength(2);
    expect(reads.asked[1]).toStrictEqual({
      registryIds: ['b', 'x', 'c'],
      names: ['node'],
      nonces: ['n1', 'n2'],
    });
    // Each gets only its own keys; n1 expired at 150 is not seen at 200, n2 is.
    expect([...two.entries.keys()]).toStrictEqual(['b']);
    expect([...two.seenNonces]).toStrictEqual(['n2']);
    expect(two.versions.get('node')).toStrictEqual([{ registryId: 'node@1', ownerId: 'o' }]);
    expect([...three.entries.keys()]).toStrictEqual(['c']);
    expect(three.versions.size).toBe(0);
  });

  it('rejects the calls of a failed read only, and reads again for the next', async () => {
    const reads = gatedReads({ ids: ['a'], nonces: {} });
    const coalesced = new CoalescedLookUp(reads.read);
    reads.failWith(new Error('connection lost'));
    const failed = coalesced.lookUp(query(['a'], [], 0));
    await reads.release();
    await expect(failed).rejects.toThrow('connection lost');
    // The same instance reads again for the next call, and the failure does not stick.
    reads.failWith(undefined);
    const next = coalesced.lookUp(query(['a'], [], 0));
    await reads.release();
    expect([...(await next).entries.keys()]).toStrictEqual(['a']);
    expect(reads.asked).toHaveLength(2);
  });
});
