/**
 * The sequencer's decisions do not depend on how writes are batched: for any sequence of owners'
 * writes and trust records (registrations, conflicts, replays, deregistrations, enrolments,
 * revocations), committing them one per batch and committing them in any batching give the same
 * answer to every write, the same tree (root hash) and the same registry state; and fsck, which
 * replays the log through the same ledgers, finds that state clean.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSignatureSuite } from '../../src/crypto/suites.js';
import { parseCheckpoint } from '../../src/log/checkpoint.js';
import { parseNote } from '../../src/log/note.js';
import { fsck } from '../../src/registry/fsck.js';
import {
  decodeWriteRequest,
  envelopeCheckWith,
  type WriteRequest,
} from '../../src/registry/request.js';
import { Sequencer } from '../../src/registry/sequencer.js';
import type { ControlWrite } from '../../src/registry/trust-ledger.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { buildEnrolment } from '../../src/trust/enrolment.js';
import { buildRevocationList } from '../../src/trust/revocations.js';
import { logKeys, makeOwner, ORIGIN, type Owner } from '../support/registry.js';
import { trustRootFor } from '../support/trust-root.js';

type Op =
  | { kind: 'register'; owner: number; name: number; variant: number; core: boolean }
  | { kind: 'deregister'; owner: number; name: number }
  | { kind: 'replay'; of: number }
  | { kind: 'enrol'; owner: number }
  | { kind: 'revoke'; owner: number };

const OWNERS = 3;
const NAMES = 3;
const NOW = Date.now();

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('register' as const),
      owner: fc.nat(OWNERS - 1),
      name: fc.nat(NAMES - 1),
      variant: fc.nat(1),
      core: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('deregister' as const),
      owner: fc.nat(OWNERS - 1),
      name: fc.nat(NAMES - 1),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('replay' as const), of: fc.nat(20) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('enrol' as const), owner: fc.nat(OWNERS - 1) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('revoke' as const), owner: fc.nat(OWNERS - 1) }),
  },
);

type Write = { request: WriteRequest } | { control: ControlWrite };

let keys: Awaited<ReturnType<typeof logKeys>>;
let trust: Awaited<ReturnType<typeof trustRootFor>>;
let owners: Owner[];

beforeAll(async () => {
  keys = await logKeys();
  trust = await trustRootFor(keys, NOW);
  owners = await Promise.all(Array.from({ length: OWNERS }, () => makeOwner('ed25519')));
});

/** The signed writes of `ops`, built once so both runs submit the very same envelopes. */
async function writesOf(ops: readonly Op[]): Promise<Write[]> {
  const check = envelopeCheckWith(loadSignatureSuite);
  const writes: Write[] = [{ control: { kind: 'trust-root', envelope: trust.envelope } }];
  const revoked: number[] = [];
  let revocationVersion = 0;
  const requests: WriteRequest[] = [];
  for (const o of ops) {
    if (o.kind === 'enrol' || o.kind === 'revoke') {
      const owner = owners[o.owner] as Owner;
      if (o.kind === 'enrol') {
        writes.push({
          control: {
            kind: 'enrolment',
            envelope: buildEnrolment(
              {
                origin: ORIGIN,
                owner: owner.key,
                lanes: ['core'],
                maxTier: 4,
                enrolledAt: new Date(NOW),
              },
              [trust.enrolment.signer],
            ),
          },
        });
      } else {
        if (!revoked.includes(o.owner)) revoked.push(o.owner);
        writes.push({
          control: {
            kind: 'revocations',
            envelope: buildRevocationList(
              {
                origin: ORIGIN,
                version: ++revocationVersion,
                issuedAt: new Date(NOW),
                revoked: revoked.map((i) => ({
                  keyid: (owners[i] as Owner).key.keyid,
                  revokedAt: new Date(NOW),
                  reason: 'property test',
                })),
              },
              [trust.revocation.signer],
            ),
          },
        });
      }
      continue;
    }
    let request: WriteRequest;
    if (o.kind === 'replay') {
      if (requests.length === 0) continue;
      request = requests[o.of % requests.length] as WriteRequest;
    } else {
      const owner = owners[o.owner] as Owner;
      const body =
        o.kind === 'register'
          ? (() => {
              const spec = owner.spec(`node_${o.name}`, '1.0.0');
              if (o.variant === 1) spec.node_type = 'matriz.memory.variant';
              if (o.core) {
                spec.identity.lane = 'core';
                spec.identity.tier = 4;
              }
              return owner.request({ op: 'register', nodeSpec: spec }, { now: NOW });
            })()
          : owner.request({ op: 'deregister', registryId: `node_${o.name}@1.0.0` }, { now: NOW });
      request = await decodeWriteRequest(body, check);
    }
    requests.push(request);
    writes.push({ request });
  }
  return writes;
}

/** Commits `writes` in batches of the given sizes; returns each answer and the final state. */
async function run(writes: readonly Write[], batchSizes: readonly number[]) {
  const store = openSqliteStore({ path: ':memory:' });
  const sequencer = new Sequencer(store, {
    origin: ORIGIN,
    signer: keys.signer,
    freshnessSeconds: 300,
    maxBatch: 1024,
    clock: () => NOW,
  });
  await sequencer.start();
  const answers: string[] = [];
  let next = 0;
  for (let b = 0; next < writes.length; b++) {
    const size = Math.max(1, batchSizes[b % batchSizes.length] ?? 1);
    const batch = writes.slice(next, next + size);
    next += batch.length;
    // Submitted in one tick: group commit makes them one batch.
    const settled = await Promise.allSettled(
      batch.map((w) =>
        'request' in w ? sequencer.submit(w.request) : sequencer.submitControl(w.control),
      ),
    );
    for (const s of settled)
      answers.push(
        s.status === 'rejected'
          ? `refused ${(s.reason as { slug?: string }).slug ?? String(s.reason)}`
          : `index ${s.value.index}${'idempotent' in s.value && s.value.idempotent ? ' idempotent' : ''}`,
      );
  }
  const latest = await store.latestCheckpoint();
  const root = latest ? bytesToHex(parseCheckpoint(parseNote(latest.note).text).rootHash) : '';
  const entries = await store.queryEntries({ limit: 500 });
  return { store, answers, size: await store.treeSize(), root, entries };
}

describe('batching does not change what the sequencer decides', () => {
  it('one write per batch and any batching: same answers, same tree, same state; fsck replays it clean', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 14 }),
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 6 }),
        async (ops, batchSizes) => {
          const writes = await writesOf(ops);
          const single = await run(writes, [1]);
          const batched = await run(writes, batchSizes);
          expect(batched.answers).toStrictEqual(single.answers);
          expect(batched.size).toBe(single.size);
          expect(batched.root).toBe(single.root);
          expect(batched.entries).toStrictEqual(single.entries);
          const report = await fsck({
            store: batched.store,
            verifier: keys.verifier,
            loadSuite: (algorithm) => loadSignatureSuite(algorithm),
          });
          expect(report.problems).toStrictEqual([]);
          expect(report.entries).toBe(batched.entries.length);
          await Promise.all([single.store.close(), batched.store.close()]);
        },
      ),
      { numRuns: 25 },
    );
  });
});
