import { beforeEach, describe, expect, it } from 'vitest';
import { base64Decode, base64Encode } from '../../src/crypto/encoding.js';
import { canonicalize } from '../../src/json/canonicalize.js';
import { openCheckpoint } from '../../src/log/checkpoint-signature.js';
import { leafHash } from '../../src/log/hash.js';
import { verifyConsistency, verifyInclusion } from '../../src/log/proof.js';
import { parsePolicy } from '../../src/registry/policy.js';
import {
  decodeWriteRequest,
  envelopeCheckWith,
  ownerLeafBytes,
} from '../../src/registry/request.js';
import { loadSignatureSuite } from '../../src/crypto/suites.js';
import { RegistryProblem, type ProblemSlug } from '../../src/registry/problems.js';
import type { WriteResult } from '../../src/verify/wire.js';
import {
  makeOwner,
  makeRegistry,
  ORIGIN,
  type Owner,
  type TestRegistry,
  refusal,
} from '../support/registry.js';

let t: TestRegistry;
let alice: Owner;

beforeEach(async () => {
  t = await makeRegistry();
  alice = await makeOwner();
});

async function expectRefused(
  promise: Promise<unknown>,
  slug: ProblemSlug,
): Promise<RegistryProblem> {
  const problem = await refusal(promise);
  expect(problem.slug).toBe(slug);
  expect(problem.toDocument()).toMatchObject({
    type: `urn:matriz:problem:${slug}`,
    status: problem.status,
  });
  return problem;
}

/** Checks a write result the way a client must: checkpoint signatures, then the inclusion proof. */
async function expectProven(result: WriteResult): Promise<void> {
  const opened = openCheckpoint(result.checkpoint, t.keys.verifier, ORIGIN);
  if (!opened.ok) throw new Error(opened.message);
  expect(result.inclusion_proof.size).toBe(opened.checkpoint.size);
  const leaf = await t.registry.leaf(result.index);
  const proof = result.inclusion_proof.hashes.map((h) => base64Decode(h));
  expect(
    verifyInclusion(
      result.index,
      opened.checkpoint.size,
      leafHash(leaf),
      proof,
      opened.checkpoint.rootHash,
    ),
  ).toBe(true);
}

describe('register', () => {
  it('appends one leaf holding the signed envelope, and proves it in a signed checkpoint', async () => {
    const body = alice.request({ op: 'register', nodeSpec: alice.spec() });
    const result = await t.registry.register(body);
    expect(result).toMatchObject({
      registry_id: 'memoria_adapter_v1@0.1.0',
      index: 0,
      idempotent: false,
    });
    await expectProven(result);
    const leaf = JSON.parse(new TextDecoder().decode(await t.registry.leaf(0))) as Record<
      string,
      unknown
    >;
    expect(leaf.envelope).toStrictEqual(body);
    expect(leaf.registry_id).toBe('memoria_adapter_v1@0.1.0');
    expect(new TextDecoder().decode(await t.registry.leaf(0))).toBe(canonicalize(leaf));
    expect(await t.registry.get('memoria_adapter_v1@0.1.0')).toMatchObject({
      owner_id: alice.ownerId,
      status: 'active',
      log_index: 0,
    });
  });

  it('is idempotent for the same content: same id and index, nothing appended', async () => {
    const first = await t.registry.register(
      alice.request({ op: 'register', nodeSpec: alice.spec() }),
    );
    const again = await t.registry.register(
      alice.request({ op: 'register', nodeSpec: alice.spec() }),
    );
    expect(again).toMatchObject({
      registry_id: first.registry_id,
      index: first.index,
      idempotent: true,
    });
    expect(await t.store.treeSize()).toBe(1);
    await expectProven(again);
  });

  it('refuses other content under an existing id with conflict', async () => {
    await t.registry.register(alice.request({ op: 'register', nodeSpec: alice.spec() }));
    const changed = alice.spec();
    changed.node_type = 'matriz.memory.other';
    await expectRefused(
      t.registry.register(alice.request({ op: 'register', nodeSpec: changed })),
      'conflict',
    );
    expect(await t.store.treeSize()).toBe(1);
  });

  it('refuses a resent request as replayed-nonce, without changing the tree', async () => {
    const body = alice.request({ op: 'register', nodeSpec: alice.spec() });
    await t.registry.register(body);
    await expectRefused(t.registry.register(body), 'replayed-nonce');
    expect(await t.store.treeSize()).toBe(1);
  });

  it('refuses a one-byte change to the signed body as bad-signature', async () => {
    const body = alice.request({ op: 'register', nodeSpec: alice.spec() }) as { payload: string };
    const bytes = base64Decode(body.payload);
    const at = new TextDecoder().decode(bytes).indexOf('"tier":2') + 7;
    bytes[at] = '1'.charCodeAt(0);
    await expectRefused(
      t.registry.register({ ...body, payload: base64Encode(bytes) }),
      'bad-signature',
    );
    expect(await t.store.treeSize()).toBe(0);
  });

  it('refuses an envelope signed by another key than the one the payload names', async () => {
    const mallory = await makeOwner();
    const body = alice.request({ op: 'register', nodeSpec: alice.spec() }) as {
      signatures: unknown[];
    };
    const forged = mallory.request({ op: 'register', nodeSpec: mallory.spec() }) as {
      signatures: unknown[];
    };
    const problem = await expectRefused(
      t.registry.register({ ...body, signatures: forged.signatures }),
      'bad-signature',
    );
    expect(problem.detail).toContain('no signature by the owner key');
  });

  it('lists every schema violation with its JSON pointer', async () => {
    const spec = alice.spec() as any;
    spec.identity.tier = 9;
    delete spec.metadata.created_at;
    const problem = await expectRefused(
      t.registry.register(alice.request({ op: 'register', nodeSpec: spec })),
      'schema-violation',
    );
    expect(problem.extensions.errors).toEqual(
      expect.arrayContaining([
        {
          pointer: '/node_spec/identity/tier',
          message: '`identity.tier` is 9; must be an integer from 0 to 7',
        },
        expect.objectContaining({ pointer: '/node_spec/metadata' }),
      ]),
    );
  });

  it('refuses a NodeSpec whose owner_id is not the signing key (owner-mismatch)', async () => {
    const spec = alice.spec();
    spec.identity.owner_id = `GLYMPH:${'0'.repeat(64)}`;
    await expectRefused(
      t.registry.register(alice.request({ op: 'register', nodeSpec: spec })),
      'owner-mismatch',
    );
  });

  it('refuses a write whose log entry would not fit an entry bundle (entry-too-large), appending nothing', async () => {
    const small = await t.registry.register(
      alice.request({ op: 'register', nodeSpec: alice.spec('sized') }),
    );
    const stored = await t.registry.leaf(small.index);
    const decoded = await decodeWriteRequest(
      JSON.parse(new TextDecoder().decode(stored)).envelope,
      envelopeCheckWith(loadSignatureSuite),
    ).catch(() => undefined);
    // The stored envelope carries only the verified signature, so it decodes to the same request.
    expect(decoded && ownerLeafBytes(decoded.canonicalEnvelope, decoded.registryId)).toBe(
      stored.length,
    );

    const spec = alice.spec('huge');
    spec.interfaces.inputs = Array.from({ length: 1200 }, (_, i) => ({
      name: `Input${i}`,
      schema_ref: `schemas/input_${i}.json`,
    }));
    const size = await t.store.treeSize();
    const problem = await expectRefused(
      t.registry.register(alice.request({ op: 'register', nodeSpec: spec })),
      'entry-too-large',
    );
    expect(problem.status).toBe(413);
    expect(problem.detail).toMatch(/would be \d+ bytes; entries are at most 65535 bytes/);
    expect(await t.store.treeSize()).toBe(size);
    expect(await t.store.getEntry('huge@1.0.0')).toBeUndefined();
  });

  it('refuses requests outside the freshness window, in either direction', async () => {
    const old = alice.request(
      { op: 'register', nodeSpec: alice.spec() },
      { now: Date.now() - 301_000 },
    );
    expect((await expectRefused(t.registry.register(old), 'stale-request')).detail).toMatch(
      /issued 30\d s ago/,
    );
    const future = alice.request(
      { op: 'register', nodeSpec: alice.spec() },
      { now: Date.now() + 400_000 },
    );
    expect((await expectRefused(t.registry.register(future), 'stale-request')).detail).toContain(
      'in the future',
    );
  });

  it('refuses a request meant for another log', async () => {
    const body = alice.request(
      { op: 'register', nodeSpec: alice.spec() },
      { origin: 'other.example/log' },
    );
    await expectRefused(t.registry.register(body), 'wrong-origin');
  });

  it('refuses lanes and tiers the owner may not claim, and admits enrolled owners', async () => {
    const core = alice.spec();
    core.identity.lane = 'core';
    await expectRefused(
      t.registry.register(alice.request({ op: 'register', nodeSpec: core })),
      'not-entitled',
    );
    const high = alice.spec('high', '1.0.0');
    high.identity.tier = 3;
    const problem = await expectRefused(
      t.registry.register(alice.request({ op: 'register', nodeSpec: high })),
      'not-entitled',
    );
    expect(problem.detail).toContain('up to tier 2');
    const enrolled = await makeRegistry({
      policy: parsePolicy({ owners: { [alice.ownerId]: { lanes: ['core'], max_tier: 5 } } }),
    });
    const result = await enrolled.registry.register(
      alice.request({ op: 'register', nodeSpec: core }),
    );
    expect(result.index).toBe(0);
  });

  it('refuses glymph_enabled: false', async () => {
    const spec = alice.spec();
    spec.provenance_manifest.glymph_enabled = false;
    await expectRefused(
      t.registry.register(alice.request({ op: 'register', nodeSpec: spec })),
      'glymph-required',
    );
  });

  it.each([
    ['a body that is not an envelope', { hello: 'world' }, 'bad-signature'],
    [
      'another payload type',
      { payloadType: 'text/plain', payload: '', signatures: [] },
      'bad-signature',
    ],
  ] as const)('refuses %s', async (_name, body, slug) => {
    await expectRefused(t.registry.register(body), slug);
  });

  it('accepts an Ed25519 or hybrid owner key as well as ML-DSA', async () => {
    for (const algorithm of ['ed25519', 'hybrid-ml-dsa-44-ed25519'] as const) {
      const owner = await makeOwner(algorithm);
      const result = await t.registry.register(
        owner.request({ op: 'register', nodeSpec: owner.spec(`node-${algorithm}`) }),
      );
      await expectProven(result);
    }
  });
});

describe('deregister', () => {
  it('is logged like any write, only for the owner, and keeps the id reserved', async () => {
    await t.registry.register(alice.request({ op: 'register', nodeSpec: alice.spec() }));
    const id = 'memoria_adapter_v1@0.1.0';
    const mallory = await makeOwner();
    await expectRefused(
      t.registry.deregister(id, mallory.request({ op: 'deregister', registryId: id })),
      'not-owner',
    );
    await expectRefused(
      t.registry.deregister('other@1.0.0', alice.request({ op: 'deregister', registryId: id })),
      'invalid-request',
    );
    const result = await t.registry.deregister(
      id,
      alice.request({ op: 'deregister', registryId: id }),
    );
    expect(result.index).toBe(1);
    await expectProven(result);
    expect(await t.registry.get(id)).toMatchObject({
      status: 'deregistered',
      deregistered_log_index: 1,
    });
    await expectRefused(
      t.registry.deregister(id, alice.request({ op: 'deregister', registryId: id })),
      'already-deregistered',
    );
    await expectRefused(
      t.registry.register(alice.request({ op: 'register', nodeSpec: alice.spec() })),
      'conflict',
    );
    await expectRefused(
      t.registry.deregister(
        'ghost@1.0.0',
        alice.request({ op: 'deregister', registryId: 'ghost@1.0.0' }),
      ),
      'not-found',
    );
    expect((await t.registry.query({})).entries).toStrictEqual([]);
  });
});

describe('query', () => {
  it('filters by signal (emitted or subscribed), capability pattern, lane and owner, page by page', async () => {
    const bob = await makeOwner();
    const a = alice.spec('a-node');
    a.interfaces.signals.emits = [{ name: 'memory_stored' }];
    a.identity.capabilities_policy = { allow: ['read:memory/*'], deny: [] };
    const b = bob.spec('b-node');
    b.interfaces.signals.emits = [];
    b.interfaces.signals.subscribes = [{ signal: 'memory_stored', handler: 'h' }];
    b.identity.capabilities_policy = { allow: ['write:memory/semantic/x'], deny: [] };
    const c = alice.spec('c-node');
    c.interfaces.signals = { emits: [{ name: 'other' }], subscribes: [] };
    c.identity.capabilities_policy = { allow: ['*:memory/episodic'], deny: [] };
    await Promise.all([
      t.registry.register(alice.request({ op: 'register', nodeSpec: a })),
      t.registry.register(bob.request({ op: 'register', nodeSpec: b })),
      t.registry.register(alice.request({ op: 'register', nodeSpec: c })),
    ]);
    const ids = async (q: Parameters<typeof t.registry.query>[0]) =>
      (await t.registry.query(q)).entries.map((e) => e.registry_id);
    expect(await ids({ signal: 'memory_stored' })).toStrictEqual(['a-node@0.1.0', 'b-node@0.1.0']);
    expect(await ids({ capability: 'read:memory/episodic' })).toStrictEqual([
      'a-node@0.1.0',
      'c-node@0.1.0',
    ]);
    expect(await ids({ capability: 'write:memory/semantic/x' })).toStrictEqual(['b-node@0.1.0']);
    expect(await ids({ owner: bob.ownerId })).toStrictEqual(['b-node@0.1.0']);
    expect(await ids({ lane: 'core' })).toStrictEqual([]);
    const page1 = await t.registry.query({ limit: 2 });
    expect(page1.next_cursor).toBe('b-node@0.1.0');
    const page2 = await t.registry.query({ limit: 2, cursor: page1.next_cursor ?? '' });
    expect(page2).toMatchObject({ next_cursor: null });
    expect(page2.entries.map((e) => e.registry_id)).toStrictEqual(['c-node@0.1.0']);
    await expectRefused(t.registry.query({ limit: 0 }), 'invalid-parameter');
    await expectRefused(t.registry.query({ capability: 'nonsense' }), 'invalid-parameter');
  });

  it('narrows to node names starting with a prefix, every version, with the other filters', async () => {
    const specs = [
      alice.spec('node', '1.0.0'),
      alice.spec('node', '1.1.0'),
      alice.spec('node_v2', '0.1.0'),
      alice.spec('nodes', '2.0.0'),
      alice.spec('nod', '1.0.0'),
    ];
    const quiet = specs[1];
    if (quiet) quiet.interfaces.signals = { emits: [{ name: 'other' }], subscribes: [] };
    await Promise.all(
      specs.map((nodeSpec) => t.registry.register(alice.request({ op: 'register', nodeSpec }))),
    );
    const ids = async (q: Parameters<typeof t.registry.query>[0]) =>
      (await t.registry.query(q)).entries.map((e) => e.registry_id);
    expect(await ids({ name: 'node' })).toStrictEqual([
      'node@1.0.0',
      'node@1.1.0',
      'node_v2@0.1.0',
      'nodes@2.0.0',
    ]);
    expect(await ids({ name: 'node', signal: 'memory_stored' })).toStrictEqual([
      'node@1.0.0',
      'node_v2@0.1.0',
      'nodes@2.0.0',
    ]);
    expect(await ids({ name: 'node', lane: 'core' })).toStrictEqual([]);
    expect(await ids({ name: 'nodez' })).toStrictEqual([]);
    const first = await t.registry.query({ name: 'node', limit: 3 });
    expect(first.next_cursor).toBe('node_v2@0.1.0');
    expect(
      await t.registry.query({ name: 'node', limit: 3, cursor: 'node_v2@0.1.0' }),
    ).toMatchObject({ entries: [{ registry_id: 'nodes@2.0.0' }], next_cursor: null });
    for (const [name, detail] of [
      ['', 'name must not be empty'],
      ['n'.repeat(129), 'name must be at most 128 characters'],
      ['../node', 'may hold only letters, digits'],
      ['node@1.0.0', 'may hold only letters, digits'],
    ] as const) {
      const problem = await expectRefused(t.registry.query({ name }), 'invalid-parameter');
      expect(problem.toDocument().detail).toContain(detail);
    }
  });
});

describe('the sequencer', () => {
  it('batches concurrent writes under fewer checkpoints, each write proven in its own', async () => {
    const slow = await makeRegistry({ maxDelayMs: 30 });
    const owners = await Promise.all(Array.from({ length: 4 }, () => makeOwner('ed25519')));
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => {
        const owner = owners[i % owners.length] as Owner;
        return slow.registry.register(
          owner.request({ op: 'register', nodeSpec: owner.spec(`n${i}`) }),
        );
      }),
    );
    expect(new Set(results.map((r) => r.index)).size).toBe(40);
    const checkpoints = new Set(results.map((r) => r.checkpoint));
    expect(checkpoints.size).toBeLessThan(10);
    t = slow;
    for (const result of results) await expectProven(result);
  });

  it('serves consistency proofs between any two checkpoints', async () => {
    const sizes: string[] = [];
    for (let i = 0; i < 5; i++) {
      const result = await t.registry.register(
        alice.request({ op: 'register', nodeSpec: alice.spec(`n${i}`) }),
      );
      sizes.push(result.checkpoint);
    }
    const opened = sizes.map((note) => openCheckpoint(note, t.keys.verifier));
    for (let from = 0; from < opened.length; from++) {
      const first = opened[from];
      const last = opened[opened.length - 1];
      if (!first?.ok || !last?.ok) throw new Error('checkpoint did not open');
      const proof = await t.registry.consistencyProof(first.checkpoint.size, last.checkpoint.size);
      const hashes = proof.hashes.map((h) => base64Decode(h));
      expect(
        verifyConsistency(
          first.checkpoint.size,
          last.checkpoint.size,
          first.checkpoint.rootHash,
          last.checkpoint.rootHash,
          hashes,
        ),
      ).toBe(true);
    }
    await expectRefused(t.registry.consistencyProof(3, 99), 'invalid-parameter');
    await expectRefused(t.registry.inclusionProof(5, 5), 'invalid-parameter');
    await expectRefused(t.registry.leaf(5), 'not-found');
  });

  it('resumes from the stored tree after a restart', async () => {
    await t.registry.register(alice.request({ op: 'register', nodeSpec: alice.spec('before') }));
    const restarted = await makeRegistry({ store: t.store, keys: t.keys });
    const result = await restarted.registry.register(
      alice.request({ op: 'register', nodeSpec: alice.spec('after') }),
    );
    expect(result.index).toBe(1);
    t = { ...restarted, store: t.store };
    await expectProven(result);
  });

  it('judges freshness again when the sequencer integrates: a request that waited past its window is stale, not a forgotten nonce', async () => {
    const old = await decodeWriteRequest(
      alice.request(
        { op: 'register', nodeSpec: alice.spec('waited') },
        { now: Date.now() - 301_000 },
      ),
      envelopeCheckWith(loadSignatureSuite),
    );
    const size = await t.store.treeSize();
    expect((await refusal(t.sequencer.submit(old))).slug).toBe('stale-request');
    expect(await t.store.treeSize()).toBe(size);
  });

  it('halts writes after a restart whose log keys do not verify the latest checkpoint', async () => {
    await t.registry.register(alice.request({ op: 'register', nodeSpec: alice.spec('mine') }));
    const size = await t.store.treeSize();
    // Other key files behind the same database: what they would sign is not this log.
    const impostor = await makeRegistry({ store: t.store });
    expect(impostor.sequencer.haltedReason).toMatch(
      /latest stored checkpoint does not verify under the data directory's log key \(missing-signature\)/,
    );
    const refused = await refusal(
      impostor.registry.register(alice.request({ op: 'register', nodeSpec: alice.spec('theirs') })),
    );
    expect(refused.slug).toBe('log-inconsistent');
    expect(await t.store.treeSize()).toBe(size);
  });
});
