/**
 * LogTree.load reads the stored tree while another writer may append (a replica following the
 * sequencer): a checkpoint newer than the size it read is that writer's, not a broken log; a
 * checkpoint beyond a tree that did not grow is.
 */
import { describe, expect, it } from 'vitest';
import { LogTree } from '../../src/registry/log-tree.js';
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
