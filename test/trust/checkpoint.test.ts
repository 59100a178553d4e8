import { beforeAll, describe, expect, it } from 'vitest';
import { signCheckpoint, type CheckpointSigner } from '../../src/log/checkpoint-signature.js';
import type { Checkpoint } from '../../src/log/checkpoint.js';
import { checkpointKeysFromRoot, verifyCheckpoint } from '../../src/trust/checkpoint.js';
import { TrustError, type TrustErrorCode } from '../../src/trust/errors.js';
import {
  buildRevocationList,
  parseRevocationList,
  type RevocationList,
} from '../../src/trust/revocations.js';
import { buildTrustRoot, peekTrustRoot, type TrustRoot } from '../../src/trust/trust-root.js';
import { checkpointSigner, testKey, testSuites, type TestKey, type TestSuites } from './keys.js';

const ORIGIN = 'registry.test/matriz';
const CHECKPOINT: Checkpoint = {
  origin: ORIGIN,
  size: 42,
  rootHash: new Uint8Array(32).fill(9),
  extensions: [],
};
/** 2026-05-01T00:00:00Z */
const REVOKED_AT = 1_777_593_600;

let suites: TestSuites;
let A: TestKey, L1: TestKey, L2: TestKey;
let s1: CheckpointSigner, s2: CheckpointSigner;

beforeAll(async () => {
  suites = await testSuites();
  [A, L1, L2] = [testKey(suites.ed25519), testKey(suites.hybrid), testKey(suites.hybrid)];
  s1 = checkpointSigner(L1, ORIGIN, suites);
  s2 = checkpointSigner(L2, ORIGIN, suites);
});

function rootWith(logKeys: readonly TestKey[], threshold = 1): TrustRoot {
  return peekTrustRoot(
    buildTrustRoot({
      origin: ORIGIN,
      version: 1,
      expires: '2030-01-01T00:00:00Z',
      keys: [A.key, ...logKeys.map((l) => l.key)],
      roles: {
        root: { keyids: [A.key.keyid], threshold: 1 },
        log: { keyids: logKeys.map((l) => l.key.keyid), threshold },
        enrolment: { keyids: [A.key.keyid], threshold: 1 },
        revocation: { keyids: [A.key.keyid], threshold: 1 },
      },
    }),
  );
}

function revoking(key: TestKey): RevocationList {
  const envelope = buildRevocationList({
    origin: ORIGIN,
    version: 1,
    issuedAt: '2026-05-01T00:00:00Z',
    revoked: [{ keyid: key.key.keyid, revokedAt: '2026-05-01T00:00:00Z', reason: 'compromised' }],
  });
  return parseRevocationList(Buffer.from(envelope.payload, 'base64'));
}

function verdict(
  note: string,
  root: TrustRoot,
  revocations?: RevocationList,
): 'ok' | TrustErrorCode {
  try {
    verifyCheckpoint(note, root, revocations, suites);
    return 'ok';
  } catch (error) {
    if (error instanceof TrustError) return error.code;
    throw error;
  }
}

/** Removes the `n`th signature line (0-based) of a note. */
function stripLine(note: string, n: number): string {
  const signatures = note.split('\n').filter((l) => l.startsWith('—'));
  return note.replace(`${signatures[n] ?? 'x'}\n`, '');
}

describe('checkpoints under a trust root', () => {
  interface Row {
    readonly name: string;
    readonly root: () => TrustRoot;
    readonly signers: () => readonly CheckpointSigner[];
    readonly at?: number;
    readonly revoked?: () => RevocationList;
    readonly edit?: (note: string) => string;
    readonly expect: 'ok' | TrustErrorCode;
  }
  const ROWS: readonly Row[] = [
    {
      name: 'overlap, threshold 1: signed by the old key',
      root: () => rootWith([L1, L2]),
      signers: () => [s1],
      expect: 'ok',
    },
    {
      name: 'overlap, threshold 1: signed by the new key',
      root: () => rootWith([L1, L2]),
      signers: () => [s2],
      expect: 'ok',
    },
    {
      name: 'overlap, threshold 1: signed by both',
      root: () => rootWith([L1, L2]),
      signers: () => [s1, s2],
      expect: 'ok',
    },
    {
      name: 'threshold 2: signed by one key',
      root: () => rootWith([L1, L2], 2),
      signers: () => [s1],
      expect: 'threshold',
    },
    {
      name: 'threshold 2: signed by both keys',
      root: () => rootWith([L1, L2], 2),
      signers: () => [s1, s2],
      expect: 'ok',
    },
    {
      name: 'old key retired (not in the root)',
      root: () => rootWith([L2]),
      signers: () => [s1],
      expect: 'threshold',
    },
    {
      name: 'signed by a key revoked before the timestamp',
      root: () => rootWith([L1, L2]),
      signers: () => [s1],
      at: REVOKED_AT + 10,
      revoked: () => revoking(L1),
      expect: 'revoked-key',
    },
    {
      name: 'signed by a key revoked exactly at the timestamp',
      root: () => rootWith([L1, L2]),
      signers: () => [s1],
      at: REVOKED_AT,
      revoked: () => revoking(L1),
      expect: 'revoked-key',
    },
    {
      name: 'signed by a key revoked after the timestamp',
      root: () => rootWith([L1, L2]),
      signers: () => [s1],
      at: REVOKED_AT - 1,
      revoked: () => revoking(L1),
      expect: 'ok',
    },
    {
      name: 'signed by a revoked key and a current one',
      root: () => rootWith([L1, L2]),
      signers: () => [s1, s2],
      at: REVOKED_AT + 10,
      revoked: () => revoking(L1),
      expect: 'ok',
    },
    {
      name: 'threshold 2 with one key stripped of its ML-DSA line',
      root: () => rootWith([L1, L2], 2),
      signers: () => [s1, s2],
      edit: (note) => stripLine(note, 3),
      expect: 'threshold',
    },
    {
      name: 'threshold 2 with one key stripped of its Ed25519 line',
      root: () => rootWith([L1, L2], 2),
      signers: () => [s1, s2],
      edit: (note) => stripLine(note, 0),
      expect: 'threshold',
    },
    {
      name: 'threshold 1 with one of two keys stripped of a line',
      root: () => rootWith([L1, L2]),
      signers: () => [s1, s2],
      edit: (note) => stripLine(note, 2),
      expect: 'ok',
    },
    {
      name: 'a changed tree size',
      root: () => rootWith([L1, L2]),
      signers: () => [s1],
      edit: (note) => note.replace('\n42\n', '\n43\n'),
      expect: 'bad-signature',
    },
    {
      name: 'a checkpoint of another origin',
      root: () => rootWith([L1]),
      signers: () => [{ ...s1, name: 'other.example/log' }],
      edit: (note) => note,
      expect: 'wrong-origin',
    },
  ];

  it.each(ROWS)('$name: $expect', async (row) => {
    const checkpoint =
      row.name === 'a checkpoint of another origin'
        ? { ...CHECKPOINT, origin: 'other.example/log' }
        : CHECKPOINT;
    const note = await signCheckpoint(checkpoint, row.signers(), row.at ?? REVOKED_AT - 100);
    expect(verdict(row.edit ? row.edit(note) : note, row.root(), row.revoked?.())).toBe(row.expect);
  });

  it('reports the checkpoint and its timestamp', async () => {
    const note = await signCheckpoint(CHECKPOINT, [s1, s2], 1_790_000_000);
    expect(verifyCheckpoint(note, rootWith([L1, L2], 2), undefined, suites)).toStrictEqual({
      checkpoint: CHECKPOINT,
      timestamp: 1_790_000_000,
    });
  });

  it('says why a retired key does not count', async () => {
    const note = await signCheckpoint(CHECKPOINT, s1, 1);
    expect(() => verifyCheckpoint(note, rootWith([L2]), undefined, suites)).toThrow(
      /trust root v1: checkpoint is signed by 0 of the required 1 log keys .*lines by keys not in the set are ignored/,
    );
  });

  it('splits each hybrid log key into its ML-DSA-44 and Ed25519 keys, with revocation times', () => {
    const keys = checkpointKeysFromRoot(rootWith([L1, L2], 2), revoking(L2));
    expect(keys.name).toBe(ORIGIN);
    expect(keys.threshold).toBe(2);
    expect(keys.keys.map((k) => [k.label, k.revokedAt])).toStrictEqual([
      [L1.key.keyid, undefined],
      [L2.key.keyid, REVOKED_AT],
    ]);
    expect(keys.keys[0]?.mlDsa44PublicKey).toStrictEqual(s1.mlDsa44.publicKey);
    expect(keys.keys[0]?.ed25519PublicKey).toStrictEqual(s1.ed25519.publicKey);
  });
});
