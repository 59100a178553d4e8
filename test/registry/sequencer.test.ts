/**
 * The sequencer's ordering and failure rules, with appends held back by the test: a write is
 * acknowledged only after its own batch is durable; batches append in order; a write queued
 * behind a failed append is decided on the durable state, never on the failed batch; size and
 * nonce conflicts (another process appended) replan, a bounded number of times.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { base64Decode } from '../../src/crypto/encoding.js';
import { openCheckpoint } from '../../src/log/checkpoint-signature.js';
import { leafHash } from '../../src/log/hash.js';
import { verifyInclusion } from '../../src/log/proof.js';
import type { WriteResult } from '../../src/verify/wire.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { StoreError, type AppendBatch, type Store } from '../../src/store/store.js';
import {
  makeOwner,
  makeRegistry,
  ORIGIN,
  type Owner,
  type TestRegistry,
} from '../support/registry.js';

/**
 * A store whose appends wait for the test to release them, one by one, in order; a released
 * append can be made to fail instead. Records every append it was asked for.
 */
class GatedStore {
  readonly calls: AppendBatch[] = [];
  private readonly gates: {
    batch: AppendBatch;
    release: (error?: Error) => void;
  }[] = [];
  private arrivedWaiters: (() => void)[] = [];

  readonly store: Store;

  constructor(readonly inner: Store) {
    this.store = this.gate(inner);
  }

  private gate(inner: Store): Store {
    return new Proxy(inner, {
      get: (target, property, receiver) => {
        if (property === 'append') {
          return (batch: AppendBatch) => {
            this.calls.push(batch);
            return new Promise<void>((resolve, reject) => {
              this.gates.push({
                batch,
                release: (error) => {
                  if (error) reject(error);
                  else target.append(batch).then(resolve, reject);
                },
              });
              for (const waiter of this.arrivedWaiters.splice(0)) waiter();
            });
          };
        }
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
  }

  /** Resolves once `n` appends have been asked for in total. */
  async appends(n: number): Promise<void> {
    while (this.calls.length < n) {
      await new Promise<void>((resolve) => this.arrivedWaiters.push(resolve));
    }
  }

  /** Lets the oldest waiting append run (or fail with `error`). */
  release(error?: Error): AppendBatch {
    const gate = this.gates.shift();
    if (!gate) throw new Error('no append is waiting');
    gate.release(error);
    return gate.batch;
  }

  get waiting(): number {
    return this.gates.length;
  }
}

/** Lets the event loop run long enough for the sequencer to plan and sign what is queued. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

async function expectProven(t: TestRegistry, result: WriteResult): Promise<void> {
  const opened = openCheckpoint(result.checkpoint, t.keys.verifier, ORIGIN);
  if (!opened.ok) throw new Error(opened.message);
  expect(result.inclusion_proof.size).toBe(opened.checkpoint.size);
  const leaf = await t.registry.leaf(result.index);
  expect(
    verifyInclusion(
      result.index,
      opened.checkpoint.size,
      leafHash(leaf),
      result.inclusion_proof.hashes.map((h) => base64Decode(h)),
      opened.checkpoint.rootHash,
    ),
  ).toBe(true);
}

function track<T>(promise: Promise<T>): { settled: boolean; promise: Promise<T> } {
  const tracked = { settled: false, promise };
  promise.then(
    () => (tracked.settled = true),
    () => (tracked.settled = true),
  );
  return tracked;
}

let gated: GatedStore;
let t: TestRegistry;
let alice: Owner;
let bob: Owner;

beforeEach(async () => {
  gated = new GatedStore(openSqliteStore({ path: ':memory:' }));
  t = await makeRegistry({ store: gated.store, maxDelayMs: 0 });
  [alice, bob] = await Promise.all([makeOwner('ed25519'), makeOwner('ed25519')]);
});

afterEach(async () => {
  while (gated.waiting > 0) gated.release();
  await t.sequencer.drain();
});

describe('the sequencer, appends held back', () => {
  it('appends the next batch only after the one in flight, and acknowledges each after its own append', async () => {
    const first = track(
      t.registry.register(alice.request({ op: 'register', nodeSpec: alice.spec('a') })),
    );
    await gated.appends(1);
    const second = track(
      t.registry.register(bob.request({ op: 'register', nodeSpec: bob.spec('b') })),
    );
    await settle();
    // The second write waits: nothing is appended on top of an append in flight.
    expect(gated.calls).toHaveLength(1);
    expect(first.settled).toBe(false);
    gated.release();
    const a = await first.promise;
    await gated.appends(2);
    expect(gated.calls[1]?.expectedSize).toBe(1);
    expect(second.settled).toBe(false);
    gated.release();
    const b = await second.promise;
    expect([a.index, b.index]).toStrictEqual([0, 1]);
    expect(a.inclusion_proof.size).toBe(1);
    expect(b.inclusion_proof.size).toBe(2);
    await expectProven(t, a);
    await expectProven(t, b);
  });

  it('decides writes queued behind an append on its outcome: idempotent, conflict and replayed nonce', async () => {
    const spec = alice.spec('x');
    const request = alice.request({ op: 'register', nodeSpec: spec });
    const first = t.registry.register(request);
    await gated.appends(1);
    const again = t.registry.register(alice.request({ op: 'register', nodeSpec: spec }));
    const other = alice.spec('x');
    other.node_type = 'matriz.memory.other';
    const conflicting = t.registry.register(alice.request({ op: 'register', nodeSpec: other }));
    const replayed = t.registry.register(request);
    await settle();
    gated.release();
    const original = await first;
    expect(await again).toMatchObject({ index: original.index, idempotent: true });
    await expect(conflicting).rejects.toMatchObject({ slug: 'conflict' });
    await expect(replayed).rejects.toMatchObject({ slug: 'replayed-nonce' });
    expect(gated.calls).toHaveLength(1);
    expect(await t.store.treeSize()).toBe(1);
  });

  it('when an append fails, decides the writes queued behind it on the durable state', async () => {
    const spec = alice.spec('x');
    const first = track(t.registry.register(alice.request({ op: 'register', nodeSpec: spec })));
    await gated.appends(1);
    // Queued during the first append: would conflict with it, had it succeeded.
    const other = alice.spec('x');
    other.node_type = 'matriz.memory.other';
    const second = track(t.registry.register(alice.request({ op: 'register', nodeSpec: other })));
    const third = track(
      t.registry.register(bob.request({ op: 'register', nodeSpec: bob.spec('y') })),
    );
    await settle();
    expect(second.settled).toBe(false);
    gated.release(new Error('disk on fire'));
    await expect(first.promise).rejects.toThrow('disk on fire');
    await gated.appends(2);
    // Nothing was appended on top of the failed batch: the next append builds on size 0.
    expect(gated.calls.map((c) => c.expectedSize)).toStrictEqual([0, 0]);
    gated.release();
    const [s, y] = await Promise.all([second.promise, third.promise]);
    expect(s).toMatchObject({ registry_id: 'x@0.1.0', index: 0, idempotent: false });
    expect(y).toMatchObject({ index: 1 });
    expect((await t.registry.get('x@0.1.0')).node_spec).toMatchObject({
      node_type: 'matriz.memory.other',
    });
    await expectProven(t, s);
    await expectProven(t, y);
  });

  it('on a size conflict (another process appended), plans the writes again on the new tree, in order', async () => {
    const first = track(
      t.registry.register(alice.request({ op: 'register', nodeSpec: alice.spec('a') })),
    );
    await gated.appends(1);
    const second = track(
      t.registry.register(bob.request({ op: 'register', nodeSpec: bob.spec('b') })),
    );
    await settle();
    // Another writer takes index 0 first, through its own sequencer on the same store.
    const replica = await makeRegistry({ store: gated.inner, maxDelayMs: 0 });
    const carol = await makeOwner('ed25519');
    const foreign = await replica.registry.register(
      carol.request({ op: 'register', nodeSpec: carol.spec('c') }),
    );
    expect(foreign.index).toBe(0);
    while (!(first.settled && second.settled)) {
      if (gated.waiting > 0) gated.release();
      await settle();
    }
    const [a, b] = await Promise.all([first.promise, second.promise]);
    expect([a.index, b.index]).toStrictEqual([1, 2]);
    expect(a.registry_id).toBe('a@0.1.0');
    expect(gated.calls[0]?.expectedSize).toBe(0);
    expect(gated.calls.slice(1).every((c) => c.expectedSize >= 1)).toBe(true);
    await expectProven(t, a);
    await expectProven(t, b);
  });

  it('fails the writes of a batch that keeps conflicting, and goes on with the next', async () => {
    const first = t.registry.register(alice.request({ op: 'register', nodeSpec: alice.spec('a') }));
    for (let i = 0; i < 6; i++) {
      await gated.appends(i + 1);
      gated.release(new StoreError('size-conflict', 'someone else appended'));
    }
    await expect(first).rejects.toMatchObject({ code: 'size-conflict' });
    const next = t.registry.register(bob.request({ op: 'register', nodeSpec: bob.spec('b') }));
    await gated.appends(7);
    gated.release();
    expect(await next).toMatchObject({ index: 0 });
  });

  it('keeps every write of a long concurrent run in order, each proven', async () => {
    const owners = [alice, bob];
    const writes = Array.from({ length: 30 }, (_, i) => {
      const owner = owners[i % 2] as Owner;
      return t.registry.register(owner.request({ op: 'register', nodeSpec: owner.spec(`n${i}`) }));
    });
    const releasing = (async () => {
      let released = 0;
      while (released < gated.calls.length || released === 0) {
        await gated.appends(released + 1);
        gated.release();
        released++;
        await settle();
      }
    })();
    const results = await Promise.all(writes);
    await releasing;
    expect(new Set(results.map((r) => r.index)).size).toBe(30);
    expect(gated.calls.map((c) => c.expectedSize)).toStrictEqual(
      gated.calls.map((_, i) => gated.calls.slice(0, i).reduce((n, c) => n + c.leaves.length, 0)),
    );
    for (const result of results) await expectProven(t, result);
  });
});
