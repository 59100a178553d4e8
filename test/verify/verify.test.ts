/**
 * matriz/verify on evidence built here with real keys: trust root chains, revocation lists,
 * checkpoints under a root, a log key set and a witness set, write answers and proofs. Every
 * refusal is checked by its error class and stable code.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { checkpointVerifierFor } from '../../src/client/log-verifier.js';
import { base64Encode } from '../../src/crypto/encoding.js';
import { publicKeyOf, publicKeyToJson } from '../../src/crypto/keys.js';
import { ed25519VerifierKey } from '../../src/log/note-keys.js';
import { consistencyProofRanges, inclusionProofRanges } from '../../src/log/proof.js';
import { signCheckpoint, type CheckpointSigner } from '../../src/log/checkpoint-signature.js';
import type { Checkpoint } from '../../src/log/checkpoint.js';
import { buildRevocationList } from '../../src/trust/revocations.js';
import { buildTrustRoot, type TrustRootInput } from '../../src/trust/trust-root.js';
import {
  checkpointKeysFromRoot,
  checkpointVerifierForKeys,
  loadVerifierSuites,
  peekCheckpoint,
  verifyCheckpointByWitnesses,
  verifyCheckpointUnderRoot,
  verifyCheckpoint,
  verifyCheckpointWithKeys,
  verifyConsistencyProof,
  verifyInclusionProof,
  verifyRevocations,
  verifyTrustRootChain,
  verifyWriteResult,
  type CheckpointKeySet,
  type VerifierSuites,
  type WriteResult,
} from '../../src/verify/index.js';
import { MemoryLog } from '../support/memory-log.js';
import { checkpointSigner, testKey, testSuites, type TestKey } from '../trust/keys.js';

const ORIGIN = 'registry.test/verify';
/** 2026-05-01T00:00:00Z */
const REVOKED_AT = 1_777_593_600;
const encoder = new TextEncoder();

let suites: VerifierSuites;
let A: TestKey, B: TestKey, L1: TestKey, L2: TestKey;
let s1: CheckpointSigner, s2: CheckpointSigner;

beforeAll(async () => {
  suites = await loadVerifierSuites();
  const test = await testSuites();
  [A, B, L1, L2] = [
    testKey(test.ed25519),
    testKey(test.mlDsa44),
    testKey(test.hybrid),
    testKey(test.hybrid),
  ];
  s1 = checkpointSigner(L1, ORIGIN, test);
  s2 = checkpointSigner(L2, ORIGIN, test);
});

function rootInput(version: number, rootKey: TestKey, logKeys: TestKey[]): TrustRootInput {
  return {
    origin: ORIGIN,
    version,
    expires: '2030-01-01T00:00:00Z',
    keys: [rootKey.key, ...logKeys.map((l) => l.key)],
    roles: {
      root: { keyids: [rootKey.key.keyid], threshold: 1 },
      log: { keyids: logKeys.map((l) => l.key.keyid), threshold: 1 },
      enrolment: { keyids: [rootKey.key.keyid], threshold: 1 },
      revocation: { keyids: [rootKey.key.keyid], threshold: 1 },
    },
  };
}

/** v1 (root key A, log key L1); v2 (root key B, log keys L1 and L2), signed by A and B. */
function rootEnvelopes() {
  const v1 = buildTrustRoot(rootInput(1, A, [L1]), [A.signer]);
  const v2 = buildTrustRoot(rootInput(2, B, [L1, L2]), [A.signer, B.signer]);
  return { v1, v2 };
}

function revocationOfL1() {
  return buildRevocationList(
    {
      origin: ORIGIN,
      version: 1,
      issuedAt: '2026-05-01T00:00:00Z',
      revoked: [{ keyid: L1.key.keyid, revokedAt: '2026-05-01T00:00:00Z', reason: 'leaked' }],
    },
    [B.signer],
  );
}

function logOf(size: number): MemoryLog {
  const log = new MemoryLog();
  for (let i = 0; i < size; i++) log.append(encoder.encode(`{"entry":${i}}`));
  return log;
}

function checkpointOf(log: MemoryLog, size = log.leaves.length): Checkpoint {
  return { origin: ORIGIN, size, rootHash: log.root(size), extensions: [] };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a refusal, but it was accepted');
    },
    (error: unknown) => error,
  );
}

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a refusal, but it was accepted');
}

describe('trust root chain and revocation list', () => {
  it('walks from a pinned v1 to v2 signed by the old and the new root keys', async () => {
    const { v1, v2 } = rootEnvelopes();
    const walked = await verifyTrustRootChain(v1, [v2], { suites, now: new Date('2027-01-01') });
    expect([walked.pinned.version, ...walked.chain.map((r) => r.version)]).toStrictEqual([1, 2]);
    expect(walked.newest.roles.log.keyids).toStrictEqual([L1.key.keyid, L2.key.keyid]);
  });

  it('refuses v2 signed only by its own root key (threshold), and a v1 after v2 (rollback)', async () => {
    const { v1 } = rootEnvelopes();
    const selfOnly = buildTrustRoot(rootInput(2, B, [L1, L2]), [B.signer]);
    expect(await rejection(verifyTrustRootChain(v1, [selfOnly], { suites }))).toMatchObject({
      name: 'TrustError',
      code: 'threshold',
    });
    const { v2 } = rootEnvelopes();
    expect(await rejection(verifyTrustRootChain(v2, [v1], { suites }))).toMatchObject({
      code: 'rollback',
    });
  });

  it('refuses an expired newest root and a pinned root of another origin', async () => {
    const { v1 } = rootEnvelopes();
    expect(
      await rejection(verifyTrustRootChain(v1, [], { suites, now: new Date('2031-01-01') })),
    ).toMatchObject({ code: 'expired' });
    expect(
      await rejection(verifyTrustRootChain(v1, [], { suites, origin: 'other.test/log' })),
    ).toMatchObject({ code: 'wrong-origin' });
  });

  it('verifies a revocation list signed by the revocation role, and refuses one signed by another key', async () => {
    const { v1, v2 } = rootEnvelopes();
    const { newest } = await verifyTrustRootChain(v1, [v2], { suites });
    const list = await verifyRevocations(revocationOfL1(), newest, { suites });
    expect(list.revoked.map((r) => r.keyid)).toStrictEqual([L1.key.keyid]);
    const byA = buildRevocationList(
      { origin: ORIGIN, version: 1, issuedAt: '2026-05-01T00:00:00Z', revoked: [] },
      [A.signer],
    );
    expect(await rejection(verifyRevocations(byA, newest, { suites }))).toMatchObject({
      code: 'threshold',
    });
  });
});

describe('checkpoints', () => {
  it('refuses a checkpoint signed by a revoked log key after its revocation, and accepts it signed before', async () => {
    const { v1, v2 } = rootEnvelopes();
    const { newest } = await verifyTrustRootChain(v1, [v2], { suites });
    const revocations = await verifyRevocations(revocationOfL1(), newest, { suites });
    const checkpoint = checkpointOf(logOf(5));
    const after = await signCheckpoint(checkpoint, s1, REVOKED_AT + 60);
    expect(
      thrown(() => verifyCheckpointUnderRoot(after, newest, { suites, revocations })),
    ).toMatchObject({ name: 'TrustError', code: 'revoked-key' });
    const before = await signCheckpoint(checkpoint, s1, REVOKED_AT - 60);
    expect(verifyCheckpointUnderRoot(before, newest, { suites, revocations })).toMatchObject({
      checkpoint: { size: 5 },
      timestamp: REVOKED_AT - 60,
    });
    // Signed by the new key too: the threshold of one is met without the revoked key.
    const both = await signCheckpoint(checkpoint, [s1, s2], REVOKED_AT + 60);
    expect(verifyCheckpointUnderRoot(both, newest, { suites, revocations }).checkpoint.size).toBe(
      5,
    );
  });

  it('refuses a checkpoint stripped of its ML-DSA-44 line under an explicit log key set (missing-signature)', async () => {
    const { v1 } = rootEnvelopes();
    const { newest } = await verifyTrustRootChain(v1, [], { suites });
    const keys: CheckpointKeySet = { ...checkpointKeysFromRoot(newest), ...suites };
    const note = await signCheckpoint(checkpointOf(logOf(3)), s1, REVOKED_AT);
    expect(verifyCheckpointWithKeys(note, keys).checkpoint.size).toBe(3);
    const mlLine = note.split('\n').filter((l) => l.startsWith('—'))[1] ?? '';
    expect(
      thrown(() => verifyCheckpointWithKeys(note.replace(`${mlLine}\n`, ''), keys)),
    ).toMatchObject({
      name: 'CheckpointError',
      code: 'missing-signature',
    });
    expect(thrown(() => verifyCheckpointWithKeys(note, keys, 'other.test/log'))).toMatchObject({
      code: 'wrong-origin',
    });
    // verifyCheckpoint takes any of the three trusts and decides the same.
    expect(verifyCheckpoint(note, { keys }).checkpoint.size).toBe(3);
    expect(verifyCheckpoint(note, { root: newest, suites }).checkpoint.size).toBe(3);
    expect(thrown(() => verifyCheckpoint(note, { keys, origin: 'other.test/log' }))).toMatchObject({
      code: 'wrong-origin',
    });
  });

  it("builds the checkpoint verifier of a log's published keys document, and refuses one whose keys are not for its origin", async () => {
    const note = await signCheckpoint(checkpointOf(logOf(3)), s1, REVOKED_AT);
    const keys = {
      origin: ORIGIN,
      ed25519_vkey: ed25519VerifierKey(ORIGIN, s1.ed25519.publicKey),
      ml_dsa_44: publicKeyToJson(publicKeyOf('ml-dsa-44', s1.mlDsa44.publicKey)),
      ed25519: publicKeyToJson(publicKeyOf('ed25519', s1.ed25519.publicKey)),
    };
    expect(
      verifyCheckpointWithKeys(note, checkpointVerifierForKeys(keys, suites)).checkpoint.size,
    ).toBe(3);
    expect(
      thrown(() => checkpointVerifierForKeys({ ...keys, origin: 'other.test/log' }, suites)),
    ).toMatchObject({ name: 'CheckpointError', code: 'malformed', message: /is not its origin/ });
    expect(
      thrown(() => checkpointVerifierForKeys({ ...keys, ml_dsa_44: keys.ed25519 }, suites)),
    ).toMatchObject({ name: 'CheckpointError', code: 'malformed', message: /not ML-DSA-44/ });
    // The client reports the same refusals as verification failures (exit 3).
    expect(
      thrown(() => checkpointVerifierFor({ ...keys, origin: 'other.test/log' }, suites)),
    ).toMatchObject({ name: 'VerificationError', message: /is not its origin/ });
  });

  it("opens a hybrid checkpoint with the log's Ed25519 key as a witness set, as Go does", async () => {
    const note = await signCheckpoint(checkpointOf(logOf(4)), [s1, s2], REVOKED_AT);
    const vkey = (signer: CheckpointSigner) => ed25519VerifierKey(ORIGIN, signer.ed25519.publicKey);
    const opened = verifyCheckpointByWitnesses(
      note,
      { keys: [vkey(s1), vkey(s2)], threshold: 2 },
      suites.ed25519,
      ORIGIN,
    );
    expect(opened.checkpoint.size).toBe(4);
    expect(opened.note.verified).toHaveLength(2);
    // The ML-DSA-44 lines are from keys a Go verifier does not know: ignored, not refused.
    expect(opened.note.unverified).toHaveLength(2);
    const tampered = note.replace('\n4\n', '\n5\n');
    expect(
      thrown(() => verifyCheckpointByWitnesses(tampered, { keys: [vkey(s1)] }, suites.ed25519)),
    ).toMatchObject({
      name: 'NoteError',
      code: 'bad-signature',
    });
  });

  it('reads a checkpoint without verifying it, and refuses a note that is not one', () => {
    expect(thrown(() => peekCheckpoint('not a note'))).toMatchObject({ code: 'malformed' });
  });
});

describe('proofs and write answers', () => {
  const log = logOf(11);
  const proof = (index: number, size: number) =>
    inclusionProofRanges(index, size).map((range) => base64Encode(log.hash(range)));

  it('verifies inclusion and consistency, and refuses a proof hash of the wrong length', () => {
    verifyInclusionProof(log.leaves[6] ?? new Uint8Array(), 6, proof(6, 11), checkpointOf(log));
    const consistency = consistencyProofRanges(7, 11).map((r) => base64Encode(log.hash(r)));
    verifyConsistencyProof(checkpointOf(log, 7), checkpointOf(log), consistency);
    expect(
      thrown(() => {
        verifyInclusionProof(log.leaves[6] ?? new Uint8Array(), 6, ['AAAA'], checkpointOf(log));
      }),
    ).toMatchObject({ name: 'EvidenceError', code: 'malformed-proof' });
    expect(
      thrown(() => {
        verifyConsistencyProof(
          checkpointOf(log, 7),
          { ...checkpointOf(log), origin: 'other.test/log' },
          consistency,
        );
      }),
    ).toMatchObject({ code: 'not-newer' });
  });

  const envelope = {
    payload: base64Encode(encoder.encode('{"node_spec":{"a":1}}')),
    payloadType: 'x',
    signatures: [],
  };

  async function answer(): Promise<{
    result: WriteResult;
    leaf: Uint8Array;
    keys: CheckpointKeySet;
  }> {
    const write = new MemoryLog();
    for (let i = 0; i < 3; i++) write.append(encoder.encode(`{"entry":${i}}`));
    const leaf = encoder.encode(JSON.stringify({ envelope, registry_id: 'demo@1.0.0' }));
    write.append(leaf);
    const size = write.leaves.length;
    const note = await signCheckpoint(
      { origin: ORIGIN, size, rootHash: write.root(), extensions: [] },
      s1,
      REVOKED_AT,
    );
    const hashes = inclusionProofRanges(3, size).map((range) => base64Encode(write.hash(range)));
    const { v1 } = rootEnvelopes();
    const { newest } = await verifyTrustRootChain(v1, [], { suites });
    return {
      leaf,
      keys: { ...checkpointKeysFromRoot(newest), ...suites },
      result: {
        index: 3,
        registry_id: 'demo@1.0.0',
        idempotent: false,
        checkpoint: note,
        inclusion_proof: { index: 3, size, hashes },
      },
    };
  }

  it('accepts a write answer whose leaf is exactly the request sent', async () => {
    const { result, leaf, keys } = await answer();
    expect(verifyWriteResult(result, leaf, envelope, keys).checkpoint.size).toBe(4);
  });

  it('accepts a leaf that kept only part of what was sent: the log drops unsigned members and signatures it did not verify', async () => {
    const { result, leaf, keys } = await answer();
    const padded = {
      ...envelope,
      note: 'unsigned',
      signatures: [...envelope.signatures, { keyid: 'junk', sig: 'AAAA' }],
    };
    expect(verifyWriteResult(result, leaf, padded, keys).checkpoint.size).toBe(4);
    // A logged payload the request did not carry is still refused.
    expect(
      thrown(() =>
        verifyWriteResult(
          result,
          leaf,
          { ...padded, payload: base64Encode(encoder.encode('{}')) },
          keys,
        ),
      ),
    ).toMatchObject({ name: 'EvidenceError', code: 'leaf-mismatch' });
  });

  it('refuses a write answer whose leaf holds another request, another id, or a proof for another entry', async () => {
    const { result, leaf, keys } = await answer();
    expect(
      thrown(() => verifyWriteResult(result, leaf, { ...envelope, payloadType: 'y' }, keys)),
    ).toMatchObject({
      name: 'EvidenceError',
      code: 'leaf-mismatch',
    });
    expect(
      thrown(() =>
        verifyWriteResult({ ...result, registry_id: 'other@1.0.0' }, leaf, envelope, keys),
      ),
    ).toMatchObject({
      code: 'wrong-entry',
    });
    expect(
      thrown(() =>
        verifyWriteResult(
          { ...result, inclusion_proof: { ...result.inclusion_proof, index: 2 } },
          leaf,
          envelope,
          keys,
        ),
      ),
    ).toMatchObject({ code: 'wrong-proof' });
    const hashes = [...result.inclusion_proof.hashes].reverse();
    expect(
      thrown(() =>
        verifyWriteResult(
          { ...result, inclusion_proof: { ...result.inclusion_proof, hashes } },
          leaf,
          envelope,
          keys,
        ),
      ),
    ).toMatchObject({ code: 'inclusion-mismatch' });
  });
});
