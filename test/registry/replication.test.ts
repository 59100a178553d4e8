/**
 * Replicas sharing one PostgreSQL store (registry/replica.ts, store/replication.ts), in one
 * process: the write queue, the fenced lease, and frontends that queue and prove while another
 * replica sequences. The three-process run with kill -9 is test/e2e/replicas.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadSignatureSuite } from '../../src/crypto/suites.js';
import { Registry } from '../../src/registry/registry.js';
import { Replica } from '../../src/registry/replica.js';
import {
  decodeWriteRequest,
  envelopeCheckWith,
  type WriteRequest,
} from '../../src/registry/request.js';
import { encodeQueuedRequest, queuedRequestDigest } from '../../src/registry/request-wire.js';
import { Sequencer } from '../../src/registry/sequencer.js';
import { openPostgresStore, type PostgresStoreHandle } from '../../src/store/postgres-store.js';
import type { Fence } from '../../src/store/replication.js';
import { verifyWriteResult } from '../../src/verify/index.js';
import { dropSchema, POSTGRES_URL, postgresAvailable, uniqueSchema } from '../support/postgres.js';
import { logKeys, makeOwner, ORIGIN, refusal, type Owner } from '../support/registry.js';

const available = await postgresAvailable();
const schemas: string[] = [];
const closing: (() => Promise<unknown>)[] = [];

afterAll(async () => {
  for (const close of closing.reverse()) await close().catch(() => undefined);
  for (const schema of schemas) await dropSchema(schema);
});

function openShared(): () => Promise<PostgresStoreHandle> {
  const schema = uniqueSchema();
  schemas.push(schema);
  return async () => {
    const store = await openPostgresStore({ connectionString: POSTGRES_URL, schema });
    closing.push(() => store.close());
    return store;
  };
}

const check = envelopeCheckWith(loadSignatureSuite);

async function request(
  owner: Owner,
  name: string,
): Promise<{ body: unknown; decoded: WriteRequest }> {
  const body = owner.request({ op: 'register', nodeSpec: owner.spec(name) });
  return { body, decoded: await decodeWriteRequest(body, check) };
}

function queueRow(decoded: WriteRequest) {
  return {
    nonce: decoded.nonce,
    digest: queuedRequestDigest(decoded),
    request: encodeQueuedRequest(decoded),
    expiresAt: decoded.issuedAt + 301,
  };
}

type Keys = Awaited<ReturnType<typeof logKeys>>;

function sequencerOn(store: PostgresStoreHandle, keys: Keys, fence: () => Fence | undefined) {
  return new Sequencer(store, {
    origin: ORIGIN,
    signer: keys.signer,
    freshnessSeconds: 300,
    replicated: { replication: store.replication, fence },
  });
}

describe.runIf(available)('replicas on PostgreSQL', () => {
  it('queues a nonce once: the same request finds its row, another request with it is told apart', async () => {
    const { replication } = await openShared()();
    const owner = await makeOwner('ed25519');
    const { decoded } = await request(owner, 'queued_once');
    const row = queueRow(decoded);
    const [first] = await replication.enqueue([row]);
    const [again, other] = await replication.enqueue([
      row,
      { ...row, nonce: 'another-nonce', digest: 'sha256:00' },
    ]);
    expect(again).toEqual(first);
    expect(other?.id).not.toBe(first?.id);
    const [forged] = await replication.enqueue([{ ...row, digest: 'sha256:ff' }]);
    // The row holding the nonce is the first one: a frontend compares digests and refuses.
    expect(forged).toEqual(first);
    expect(await replication.unsettledCount()).toBe(2);
    expect(await replication.queued(row.nonce)).toEqual(first);
    // Requests travel packed into one binary parameter: each comes back exactly, whatever its
    // characters, empty included, and a batch naming a nonce twice queues it once.
    const odd = ['{"name":"ünïcödé ✓ 𝄞"}', '', '\\ "quoted" {braces} NULL'];
    const queued = await replication.enqueue(
      [...odd, odd[0] as string].map((request, i) => ({
        ...row,
        nonce: `packed-${i % 3}`,
        digest: `sha256:0${i % 3}`,
        request,
      })),
    );
    expect(queued[3]).toEqual(queued[0]);
    const unsettled = await replication.unsettled(10);
    expect(
      Object.fromEntries(
        unsettled
          .filter((pending) => queued.some((q) => q.id === pending.id))
          .map((pending) => [pending.id, pending.request]),
      ),
    ).toStrictEqual(Object.fromEntries(odd.map((request, i) => [queued[i]?.id, request])));
  });

  it('records the newest cosigned checkpoint for every replica, never an older tree over a newer one', async () => {
    const { replication } = await openShared()();
    expect(await replication.cosigned()).toBeUndefined();
    await replication.publishCosigned('note of 5\n', 5);
    await replication.publishCosigned('note of 7\n', 7);
    // A deposed sequencer finishing a late round of an older tree changes nothing.
    await replication.publishCosigned('note of 6\n', 6);
    expect(await replication.cosigned()).toBe('note of 7\n');
    // The same tree signed again (a refreshed checkpoint) replaces it.
    await replication.publishCosigned('note of 7, later\n', 7);
    expect(await replication.cosigned()).toBe('note of 7, later\n');
  });

  it('a deposed sequencer is fenced: its append changes nothing, and the new one settles each write once', async () => {
    const open = openShared();
    const [storeA, storeB] = await Promise.all([open(), open()]);
    const keys = await logKeys();
    const leaseA = await storeA.replication.acquire('replica-a', 60_000);
    expect(leaseA).toMatchObject({ holder: 'replica-a', epoch: 1, previousHolder: undefined });
    // Another replica cannot take a current lease.
    expect(await storeB.replication.acquire('replica-b', 60_000)).toBeUndefined();
    const a = sequencerOn(storeA, keys, () => leaseA);
    await a.start();
    const owner = await makeOwner('ed25519');
    const first = await request(owner, 'before_failover');
    const [queuedFirst] = await storeA.replication.enqueue([queueRow(first.decoded)]);
    expect(await a.submitQueued(queuedFirst?.id ?? -1, first.decoded)).toMatchObject({
      outcome: 'logged',
      index: 0,
      size: 1,
      idempotent: false,
    });

    // A freezes past its lease (as under SIGSTOP): the lease expires by the database's clock and
    // B takes it over with a new epoch.
    const admin = storeB as unknown as { pool: { query(sql: string): Promise<unknown> } };
    await admin.pool.query(
      "UPDATE sequencer_lease SET expires_at = clock_timestamp() - interval '1 second'",
    );
    const leaseB = await storeB.replication.acquire('replica-b', 60_000);
    expect(leaseB).toMatchObject({ epoch: 2, previousHolder: 'replica-a' });
    expect(await storeA.replication.renew(leaseA as Fence, 60_000)).toBe(false);

    const second = await request(owner, 'after_failover');
    const [queuedSecond] = await storeB.replication.enqueue([queueRow(second.decoded)]);
    // A wakes up believing it still sequences: its batch is planned and signed, but not stored.
    const fenced = await a
      .submitQueued(queuedSecond?.id ?? -1, second.decoded)
      .catch((e: unknown) => e);
    expect(fenced).toMatchObject({ code: 'fenced' });
    expect(await storeA.treeSize()).toBe(1);
    expect((await storeA.replication.outcomes([queuedSecond?.id ?? -1])).size).toBe(0);
    // Nor can it settle a write without an append.
    await expect(
      storeA.replication.settle(leaseA as Fence, [
        {
          id: queuedSecond?.id ?? -1,
          settled: { outcome: 'refused', problem: 'conflict', detail: 'x' },
        },
      ]),
    ).rejects.toMatchObject({ code: 'fenced' });

    const b = sequencerOn(storeB, keys, () => leaseB);
    await b.start();
    expect(await b.submitQueued(queuedSecond?.id ?? -1, second.decoded)).toMatchObject({
      outcome: 'logged',
      index: 1,
      size: 2,
    });
    expect(await storeB.treeSize()).toBe(2);
    // Settled once: settling it again (a second sequencer) fails and changes nothing.
    await expect(
      storeB.replication.settle(leaseB as Fence, [
        {
          id: queuedSecond?.id ?? -1,
          settled: { outcome: 'refused', problem: 'conflict', detail: 'x' },
        },
      ]),
    ).rejects.toMatchObject({ code: 'size-conflict' });
    expect(
      (await storeB.replication.outcomes([queuedSecond?.id ?? -1])).get(queuedSecond?.id ?? -1),
    ).toMatchObject({ outcome: 'logged', index: 1 });
    // A replayed write is refused at integration and the refusal is recorded as its outcome.
    const [replay] = await storeB.replication.enqueue([
      { ...queueRow(first.decoded), nonce: 'fresh-row-same-request' },
    ]);
    expect(await b.submitQueued(replay?.id ?? -1, first.decoded)).toMatchObject({
      outcome: 'refused',
      problem: 'replayed-nonce',
    });
    expect(await storeB.treeSize()).toBe(2);
  });

  it('frontends queue, the elected replica sequences, a retry gets the same answer, and a stopped sequencer hands over', async () => {
    const open = openShared();
    const keys = await logKeys();
    const replicas = await Promise.all(
      ['a', 'b'].map(async (name, i) => {
        const store = await open();
        let replica: Replica | undefined = undefined;
        const sequencer = new Sequencer(store, {
          origin: ORIGIN,
          signer: keys.signer,
          freshnessSeconds: 300,
          replicated: { replication: store.replication, fence: () => replica?.fence() },
        });
        await sequencer.start();
        const running = new Replica({
          store,
          replication: store.replication,
          sequencer,
          // Only a stands for election at first; b is a frontend until a stops.
          eligible: i === 0,
          leaseMs: 1000,
          freshnessSeconds: 300,
          writeTimeoutMs: 1500,
          pollMs: 200,
          holder: name,
        });
        replica = running;
        await running.start();
        closing.push(() => running.stop());
        const registry = new Registry({
          origin: ORIGIN,
          store,
          sequencer,
          writes: running,
          logKeys: { ed25519: keys.ed25519, mlDsa44: keys.mlDsa44 },
          loadSuite: (algorithm) => loadSignatureSuite(algorithm),
        });
        return { store, replica: running, registry };
      }),
    );
    const [a, b] = replicas as [(typeof replicas)[0], (typeof replicas)[0]];
    expect(a.replica.role).toBe('sequencer');
    expect(b.replica.role).toBe('frontend');
    const owner = await makeOwner('ed25519');
    const bodies = await Promise.all(
      ['one', 'two', 'three'].map(async (name) => (await request(owner, `through_${name}`)).body),
    );
    const results = await Promise.all(bodies.map((body) => b.registry.register(body)));
    expect(results.map((r) => r.index).sort()).toEqual([0, 1, 2]);
    for (const [i, result] of results.entries()) {
      const [leaf] = await a.store.readLeaves(result.index, result.index + 1);
      expect(() =>
        verifyWriteResult(result, leaf ?? new Uint8Array(), bodies[i], keys.verifier),
      ).not.toThrow();
    }
    // The same signed request again, at the other replica: the first answer, not a replay.
    const retried = await a.registry.register(bodies[0]);
    expect(retried).toMatchObject({ index: results[0]?.index, idempotent: false });

    // The sequencer stops (releasing its lease) and b does not stand for election: a write is
    // queued, the frontend gives up waiting with 503, and the write stays queued.
    await a.replica.stop();
    const late = await request(owner, 'while_no_sequencer');
    const unavailable = await refusal(b.registry.register(late.body));
    expect(unavailable.slug).toBe('sequencer-unavailable');
    expect(unavailable.status).toBe(503);
    expect(await b.store.replication.unsettledCount()).toBe(1);
    // A new eligible replica on the same store takes over and integrates the queued write.
    const c = await open();
    const failovers: string[] = [];
    let replicaC: Replica | undefined = undefined;
    const sequencerC = new Sequencer(c, {
      origin: ORIGIN,
      signer: keys.signer,
      freshnessSeconds: 300,
      replicated: { replication: c.replication, fence: () => replicaC?.fence() },
    });
    await sequencerC.start();
    const runningC = new Replica({
      store: c,
      replication: c.replication,
      sequencer: sequencerC,
      eligible: true,
      leaseMs: 1000,
      freshnessSeconds: 300,
      writeTimeoutMs: 10_000,
      pollMs: 200,
      holder: 'c',
      onFailover: (previous) => failovers.push(previous),
    });
    replicaC = runningC;
    closing.push(() => runningC.stop());
    await runningC.start();
    expect(runningC.role).toBe('sequencer');
    // a released its lease: c's takeover is no failover; and c's lease is current.
    expect(failovers).toEqual([]);
    expect(await c.replication.acquire('d', 1000)).toBeUndefined();
    // The client sends the same signed request again: it waits on the queued write.
    expect(await b.registry.register(late.body)).toMatchObject({ index: 3, idempotent: false });
    expect(await c.treeSize()).toBe(4);
    expect(await b.store.replication.unsettledCount()).toBe(0);
    // And once more, after it was logged: the first answer again, not a replay.
    expect(await b.registry.register(late.body)).toMatchObject({ index: 3 });
  });
});
