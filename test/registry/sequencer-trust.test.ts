import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { loadSignatureSuite } from '../../src/crypto/suites.js';
import { signCheckpoint } from '../../src/log/checkpoint-signature.js';
import { leafHash } from '../../src/log/hash.js';
import { completedSubtrees, rangeHash } from '../../src/log/subtree.js';
import { RegistryProblem } from '../../src/registry/problems.js';
import { decodeWriteRequest, envelopeCheckWith } from '../../src/registry/request.js';
import { Sequencer } from '../../src/registry/sequencer.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { buildEnrolment } from '../../src/trust/enrolment.js';
import { buildRevocationList } from '../../src/trust/revocations.js';
import { logKeys, makeRegistry, makeOwner, ORIGIN } from '../support/registry.js';
import { trustRootFor } from '../support/trust-root.js';
import { tempDir } from '../support/tmp.js';

describe('sequencer and the trust records of its batch', () => {
  it('a registration sees an enrolment earlier in the same batch, and a revocation refuses the next one', async () => {
    const { registry, sequencer, keys, store } = await makeRegistry({ maxDelayMs: 20 });
    const trust = await trustRootFor(keys);
    await sequencer.submitControl({ kind: 'trust-root', envelope: trust.envelope });
    const owner = await makeOwner();
    const spec = owner.spec('core_node');
    spec.identity.lane = 'core';
    spec.identity.tier = 4;
    const enrolment = buildEnrolment(
      { origin: ORIGIN, owner: owner.key, lanes: ['core'], maxTier: 4, enrolledAt: new Date() },
      [trust.enrolment.signer],
    );
    // Queued together: one batch, the enrolment first. (The server's front door checked
    // entitlement against the state before the batch; the sequencer decides at integration.)
    const request = await decodeWriteRequest(
      owner.request({ op: 'register', nodeSpec: spec }),
      envelopeCheckWith(loadSignatureSuite),
    );
    const [enrolled, registered] = await Promise.all([
      sequencer.submitControl({ kind: 'enrolment', envelope: enrolment }),
      sequencer.submit(request),
    ]);
    expect(registered.inclusion_proof.size).toBe(enrolled.inclusion_proof.size);
    expect(registered.index).toBe(enrolled.index + 1);

    const revocations = buildRevocationList(
      {
        origin: ORIGIN,
        version: 1,
        issuedAt: new Date(),
        revoked: [{ keyid: owner.key.keyid, revokedAt: new Date(), reason: 'key leaked' }],
      },
      [trust.revocation.signer],
    );
    await sequencer.submitControl({ kind: 'revocations', envelope: revocations });
    const size = await store.treeSize();
    const refused = await registry
      .register(owner.request({ op: 'register', nodeSpec: owner.spec('later_node') }))
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RegistryProblem);
    expect((refused as RegistryProblem).slug).toBe('revoked-key');
    expect((refused as RegistryProblem).detail).toMatch(/revoked at .* \(key leaked\)/);
    expect(await store.treeSize()).toBe(size);
  });

  it('refuses a trust record that does not follow, and appends nothing', async () => {
    const { sequencer, keys, store } = await makeRegistry();
    const trust = await trustRootFor(keys);
    const owner = await makeOwner();
    const enrolment = buildEnrolment(
      { origin: ORIGIN, owner: owner.key, lanes: ['core'], maxTier: 4, enrolledAt: new Date() },
      [trust.enrolment.signer],
    );
    await expect(
      sequencer.submitControl({ kind: 'enrolment', envelope: enrolment }),
    ).rejects.toThrow(/needs a trust root in the log first/);
    await sequencer.submitControl({ kind: 'trust-root', envelope: trust.envelope });
    await expect(
      sequencer.submitControl({ kind: 'trust-root', envelope: trust.envelope }),
    ).rejects.toThrow(/rollback/);
    expect(await store.treeSize()).toBe(1);
  });

  it('halts when the stored history no longer contains the tree it signed, and says why', async () => {
    const file = path.join(tempDir(), 'registry.sqlite3');
    const store = openSqliteStore({ path: file });
    const keys = await logKeys();
    const reasons: string[] = [];
    const sequencer = new Sequencer(store, {
      origin: ORIGIN,
      signer: keys.signer,
      freshnessSeconds: 300,
      onInconsistent: (reason) => reasons.push(reason),
    });
    await sequencer.start();
    const owner = await makeOwner();
    const check = envelopeCheckWith(loadSignatureSuite);
    const write = (name: string) =>
      decodeWriteRequest(owner.request({ op: 'register', nodeSpec: owner.spec(name) }), check);
    await Promise.all([sequencer.submit(await write('a')), sequencer.submit(await write('b'))]);
    expect(await store.treeSize()).toBe(2);

    // Someone with the log key rewrites leaf history under the running sequencer: a new hash
    // for the first two leaves, a third leaf, and a validly signed checkpoint of that tree.
    const forged = new Uint8Array(32).fill(9);
    const db = new Database(file);
    db.prepare('UPDATE subtrees SET hash = ? WHERE level = 1 AND idx = 0').run(forged);
    db.close();
    const leaf = new TextEncoder().encode('{"forged":true}');
    const hashes = new Map<string, Uint8Array>([['1/0', forged]]);
    const lookup = (level: number, index: number) => hashes.get(`${level}/${index}`) as Uint8Array;
    const subtreeHashes = completedSubtrees(2, leafHash(leaf), lookup);
    for (const s of subtreeHashes) hashes.set(`${s.level}/${s.index}`, s.hash);
    const root = rangeHash({ start: 0, end: 3 }, lookup);
    const note = await signCheckpoint(
      { origin: ORIGIN, size: 3, rootHash: root, extensions: [] },
      keys.signer,
      Math.floor(Date.now() / 1000),
    );
    await store.append({
      expectedSize: 2,
      leaves: [leaf],
      subtreeHashes,
      checkpoint: { size: 3, note, signedAt: 0 },
      entries: [],
      nonces: [],
    });

    await expect(sequencer.submit(await write('c'))).rejects.toMatchObject({
      slug: 'log-inconsistent',
      detail: expect.stringMatching(/no longer contains the tree of size 2 this log signed/),
    });
    expect(reasons).toHaveLength(1);
    // Halted: nothing more is signed, whatever comes next.
    await expect(sequencer.submit(await write('d'))).rejects.toMatchObject({
      slug: 'log-inconsistent',
    });
    expect(await store.treeSize()).toBe(3);
    await store.close();
  });

  it('a refusal changes nothing: when another writer appends first, the whole batch is decided again and each write answered once, by the plan that was committed', async () => {
    // Two owners register the same id in one batch: planned on its own, the first is appended
    // and the second refused (conflict). Before that batch lands, an operator appends a
    // revocation of the first owner's key. The replan refuses the first and appends the second:
    // the second must be told it was appended, never "conflict" for a write the log holds.
    const inner = openSqliteStore({ path: ':memory:' });
    let operatorWrite: (() => Promise<unknown>) | undefined;
    const raced: number[] = [];
    const store = new Proxy(inner, {
      get: (target, property, receiver) => {
        if (property !== 'append') return Reflect.get(target, property, receiver) as unknown;
        return async (batch: Parameters<typeof inner.append>[0]) => {
          const write = operatorWrite;
          operatorWrite = undefined;
          if (write) {
            raced.push(batch.leaves.length);
            await write();
          }
          await target.append(batch);
        };
      },
    });
    const { sequencer, keys } = await makeRegistry({ store, maxDelayMs: 20 });
    const trust = await trustRootFor(keys);
    await sequencer.submitControl({ kind: 'trust-root', envelope: trust.envelope });
    const operator = new Sequencer(inner, {
      origin: ORIGIN,
      signer: keys.signer,
      freshnessSeconds: 300,
    });
    await operator.start();

    const [first, second] = await Promise.all([makeOwner('ed25519'), makeOwner('ed25519')]);
    const check = envelopeCheckWith(loadSignatureSuite);
    const requestOf = (owner: typeof first) =>
      decodeWriteRequest(
        owner.request({ op: 'register', nodeSpec: owner.spec('shared_name', '1.0.0') }),
        check,
      );
    const [a, b] = await Promise.all([requestOf(first), requestOf(second)]);
    operatorWrite = () =>
      operator.submitControl({
        kind: 'revocations',
        envelope: buildRevocationList(
          {
            origin: ORIGIN,
            version: 1,
            issuedAt: new Date(),
            revoked: [{ keyid: first.key.keyid, revokedAt: new Date(), reason: 'key leaked' }],
          },
          [trust.revocation.signer],
        ),
      });

    const outcomes = await Promise.allSettled([sequencer.submit(a), sequencer.submit(b)]);
    // The first plan appended one leaf (the first owner's) and lost the race.
    expect(raced).toStrictEqual([1]);
    expect(outcomes[0]).toMatchObject({ status: 'rejected', reason: { slug: 'revoked-key' } });
    expect(outcomes[1]).toMatchObject({
      status: 'fulfilled',
      value: { registry_id: 'shared_name@1.0.0', index: 2, idempotent: false },
    });
    // What the log holds is what the clients were told.
    expect(await inner.treeSize()).toBe(3);
    expect(await inner.getEntry('shared_name@1.0.0')).toMatchObject({
      ownerId: second.ownerId,
      registeredIndex: 2,
    });
    const [leaf] = await inner.readLeaves(2, 3);
    expect(new TextDecoder().decode(leaf)).toContain(b.canonicalEnvelope);
  });
});
