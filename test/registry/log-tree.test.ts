/**
 * LogTree.load reads the stored tree while another writer may append (a replica following the
 * sequencer): a checkpoint newer than the size it read is that writer's, not a broken log; a
 * checkpoint beyond a tree that did not grow is.
 */
import { describe, expect, it } from 'vitest';
import { base64Decode } from '../../src/crypto/encoding.js';
import { leafHash } from '../../src/log/hash.js';
import { inclusionProofRanges, verifyInclusion } from '../../src/log/proof.js';
import { rangeHash } from '../../src/log/subtree.js';
import { LogTree } from '../../src/registry/log-tree.js';
import { proveAll } from '../../src/registry/write-results.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { makeOwner, makeRegistry } from '../support/registry.js';

async function twoEntries(): Promise<Store> {
  const { registry, store, sequencer } = await makeRegistry();
  const owner = await makeOwner('ed25519');
  for (const name of ['one', 'two']) {
    await registry.register(owner.request({ op: 'register', nodeSpec: owner.spec(name) }));
    await sequencer.drain();
  }
  expect(await store.treeSize()).toBe(2);
  return store;
}

/** `store`, whose tree size reads `sizes` in turn (then the stored one). */
function withSizes(store: Store, sizes: number[]): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'treeSize') return () => Promise.resolve(sizes.shift() ?? target.treeSize());
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
}

describe('LogTree.load', () => {
  it('checks the checkpoint of the size it read when another writer appended meanwhile', async () => {
    const store = await twoEntries();
    // Size 1 read, then the other writer's append (size 2) landed before the checkpoint read.
    const tree = await LogTree.load(withSizes(store, [1]), undefined);
    expect(tree.size).toBe(1);
    expect(tree.signed?.size).toBe(1);
  });

  it('refuses a checkpoint beyond a tree that did not grow (a lost or removed append)', async () => {
    const store = await twoEntries();
    await expect(LogTree.load(withSizes(store, [1, 1]), undefined)).rejects.toMatchObject({
      slug: 'log-inconsistent',
      detail: 'the latest stored checkpoint (size 2) does not sign the stored tree of size 1',
    });
  });
});

describe('inclusion proofs of the leaves a batch appends, from the tree in memory', () => {
  it('equal the proofs from every stored hash, for every tree size up to 40 and batch up to 17, with no store read', async () => {
    const empty = await LogTree.load(openSqliteStore({ path: ':memory:' }), undefined);
    const noReads = new Proxy({} as Store, {
      get: () => () => Promise.reject(new Error('the store was read')),
    });
    const leaves = Array.from({ length: 57 }, (_, i) => new TextEncoder().encode(`leaf ${i}`));
    let checked = 0;
    for (let before = 0; before <= 40; before++) {
      const first = before === 0 ? undefined : empty.extend(leaves.slice(0, before));
      for (let batch = 1; batch <= 17; batch++) {
        const size = before + batch;
        const second = (first?.tree ?? empty).extend(leaves.slice(before, size));
        const stored = new Map(
          [...(first?.subtreeHashes ?? []), ...second.subtreeHashes].map((h) => [
            `${h.level}/${h.index}`,
            h.hash,
          ]),
        );
        const indexes = Array.from({ length: batch }, (_, i) => before + i);
        const results = await proveAll(noReads, { size, note: 'n' }, indexes, {
          from: before,
          lookup: second.lookup,
        });
        for (const [i, result] of results.entries()) {
          const index = indexes[i] as number;
          const hashes = result.inclusion_proof.hashes.map((h) => base64Decode(h));
          const expected = inclusionProofRanges(index, size).map((range) =>
            rangeHash(range, (level, at) => stored.get(`${level}/${at}`) as Uint8Array),
          );
          expect(hashes, `leaf ${index} of ${size}`).toStrictEqual(expected);
          expect(
            verifyInclusion(
              index,
              size,
              leafHash(leaves[index] as Uint8Array),
              hashes,
              second.root,
            ),
          ).toBe(true);
          checked++;
        }
      }
    }
    expect(checked).toBe(41 * 153);
  });

  it('reads the proofs of earlier leaves (idempotent writes) from the store', async () => {
    const store = await twoEntries();
    const tree = await LogTree.load(store, undefined);
    const next = tree.extend([new TextEncoder().encode('three')]);
    // Leaf 0 is older than the batch: its proof needs stored hashes, not only the frontier.
    const [result] = await proveAll(store, { size: 2, note: 'n' }, [0], {
      from: 2,
      lookup: next.lookup,
    });
    expect(result?.inclusion_proof.hashes).toHaveLength(1);
    const [leaf1] = await store.readLeaves(1, 2);
    expect(result?.inclusion_proof.hashes).toStrictEqual([
      Buffer.from(leafHash(leaf1 as Uint8Array)).toString('base64'),
    ]);
  });
});
