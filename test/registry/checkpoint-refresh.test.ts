/**
 * Re-signing the checkpoint without new writes: a new log's signed size-0 checkpoint, and a
 * same-size checkpoint with a newer timestamp, so readers and witnesses can tell a live log from
 * a stale one. Also the trust records a sequencer sees appended by another writer.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../src/log/checkpoint-signature.js';
import { emptyTreeHash } from '../../src/log/hash.js';
import { RegistryProblem } from '../../src/registry/problems.js';
import { Sequencer } from '../../src/registry/sequencer.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { makeOwner, makeRegistry, ORIGIN, type TestRegistry } from '../support/registry.js';
import { tempDir } from '../support/tmp.js';
import { trustRootFor } from '../support/trust-root.js';

function opened(t: TestRegistry, note: string) {
  const result = openCheckpoint(note, t.keys.verifier, ORIGIN);
  if (!result.ok) throw new Error(result.message);
  return result.checkpoint;
}

describe('checkpoint refresh', () => {
  it('signs the empty log: a size-0 checkpoint of the empty tree, served as the latest', async () => {
    const now = Math.floor(Date.now() / 1000) * 1000;
    const t = await makeRegistry({ clock: () => now });
    await expect(t.registry.checkpoint()).rejects.toMatchObject({ slug: 'not-found' });
    const stored = await t.sequencer.refreshCheckpoint();
    expect(stored.size).toBe(0);
    expect(stored.signedAt).toBe(now / 1000);
    expect(await t.registry.checkpoint()).toBe(stored.note);
    const checkpoint = opened(t, stored.note);
    expect(checkpoint.size).toBe(0);
    expect(checkpoint.rootHash).toStrictEqual(emptyTreeHash());
    expect(await t.store.treeSize()).toBe(0);
  });

  it('signs the same tree again with a newer timestamp, and later writes still extend it', async () => {
    const start = Math.floor(Date.now() / 1000) * 1000;
    let now = start;
    const t = await makeRegistry({ clock: () => now });
    const alice = await makeOwner('ed25519');
    const written = await t.registry.register(
      alice.request({ op: 'register', nodeSpec: alice.spec('a') }),
    );
    now += 60_000;
    const resigned = await t.sequencer.refreshCheckpoint();
    expect(resigned.size).toBe(1);
    expect(resigned.signedAt).toBe(start / 1000 + 60);
    expect(resigned.note).not.toBe(written.checkpoint);
    expect(opened(t, resigned.note).rootHash).toStrictEqual(opened(t, written.checkpoint).rootHash);
    expect(await t.store.latestCheckpoint()).toStrictEqual(resigned);
    expect(t.sequencer.lastSignedAt).toBe(now);
    // The consistency proof between equal sizes is empty.
    expect((await t.registry.consistencyProof(1, 1)).hashes).toStrictEqual([]);
    const bob = await makeOwner('ed25519');
    const next = await t.registry.register(
      bob.request({ op: 'register', nodeSpec: bob.spec('b') }),
    );
    expect(next.index).toBe(1);
    expect(opened(t, next.checkpoint).size).toBe(2);
  });

  it('starts counting the interval from the newest stored checkpoint, not from the start', async () => {
    const t = await makeRegistry();
    const stored = await t.sequencer.refreshCheckpoint();
    const restarted = new Sequencer(t.store, {
      origin: ORIGIN,
      signer: t.keys.signer,
      freshnessSeconds: 300,
    });
    expect(restarted.lastSignedAt).toBeUndefined();
    await restarted.start();
    expect(restarted.lastSignedAt).toBe(stored.signedAt * 1000);
  });

  it('answers a refresh queued with a write from the checkpoint that write produced', async () => {
    const t = await makeRegistry({ maxDelayMs: 20 });
    const alice = await makeOwner('ed25519');
    const [written, refreshed] = await Promise.all([
      t.registry.register(alice.request({ op: 'register', nodeSpec: alice.spec('a') })),
      t.sequencer.refreshCheckpoint(),
    ]);
    expect(refreshed.note).toBe(written.checkpoint);
    expect(refreshed.size).toBe(1);
  });

  it('refuses to re-sign a log whose stored tree no longer matches its checkpoint', async () => {
    const file = path.join(tempDir(), 'registry.sqlite3');
    const first = await makeRegistry({ store: openSqliteStore({ path: file }) });
    const alice = await makeOwner('ed25519');
    for (const name of ['a', 'b'])
      await first.registry.register(alice.request({ op: 'register', nodeSpec: alice.spec(name) }));
    const signed = await first.store.latestCheckpoint();
    await first.sequencer.drain();
    await first.store.close();
    const db = new Database(file);
    db.prepare('UPDATE subtrees SET hash = zeroblob(32) WHERE level = 1 AND idx = 0').run();
    db.close();
    const store = openSqliteStore({ path: file });
    const sequencer = new Sequencer(store, {
      origin: ORIGIN,
      signer: first.keys.signer,
      freshnessSeconds: 300,
    });
    await sequencer.start();
    expect(sequencer.haltedReason).toMatch(/does not sign the stored tree of size 2/);
    await expect(sequencer.refreshCheckpoint()).rejects.toMatchObject({
      slug: 'log-inconsistent',
    });
    expect(await store.latestCheckpoint()).toStrictEqual(signed);
    await store.close();
  });
});

describe('trust records seen', () => {
  it('reports the trust records another writer appended, when the sequencer reloads', async () => {
    const t = await makeRegistry();
    const seen: string[] = [];
    const server = new Sequencer(t.store, {
      origin: ORIGIN,
      signer: t.keys.signer,
      freshnessSeconds: 300,
      onTrustRecords: (kinds) => seen.push(...kinds),
    });
    await server.start();
    await server.refreshCheckpoint();
    expect(seen).toStrictEqual([]);
    // An operator command appends a trust root through its own sequencer.
    const trust = await trustRootFor(t.keys);
    await t.sequencer.submitControl({ kind: 'trust-root', envelope: trust.envelope });
    const alice = await makeOwner('ed25519');
    await t.registry.register(alice.request({ op: 'register', nodeSpec: alice.spec('a') }));
    await server.refreshCheckpoint();
    expect(seen).toStrictEqual(['trust-root']);
  });

  it('reports the trust records it appends itself', async () => {
    const t = await makeRegistry();
    const seen: string[] = [];
    const server = new Sequencer(t.store, {
      origin: ORIGIN,
      signer: t.keys.signer,
      freshnessSeconds: 300,
      onTrustRecords: (kinds) => seen.push(...kinds),
    });
    await server.start();
    const trust = await trustRootFor(t.keys);
    await server.submitControl({ kind: 'trust-root', envelope: trust.envelope });
    await expect(
      server.submitControl({ kind: 'trust-root', envelope: trust.envelope }),
    ).rejects.toBeInstanceOf(RegistryProblem);
    expect(seen).toStrictEqual(['trust-root']);
  });
});
