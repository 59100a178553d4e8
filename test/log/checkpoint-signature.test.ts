import { describe, expect, it } from 'vitest';
import {
  openCheckpoint,
  parseNote,
  signCheckpoint,
  type Checkpoint,
  type CheckpointKeySet,
  type CheckpointVerifier,
} from '../../src/log/index.js';
import { testLogKeys } from '../support/log-keys.js';

const ORIGIN = 'registry.test/matriz';
const CHECKPOINT: Checkpoint = {
  origin: ORIGIN,
  size: 7,
  rootHash: new Uint8Array(32).fill(3),
  extensions: [],
};
const one = testLogKeys(ORIGIN);
const two = testLogKeys(ORIGIN);

function keySet(
  verifiers: readonly CheckpointVerifier[],
  threshold: number,
  revokedAt: readonly (number | undefined)[] = [],
): CheckpointKeySet {
  return {
    name: ORIGIN,
    threshold,
    keys: verifiers.map((v, i) => ({
      ed25519PublicKey: v.ed25519PublicKey,
      mlDsa44PublicKey: v.mlDsa44PublicKey,
      label: `k${i}`,
      ...(revokedAt[i] === undefined ? {} : { revokedAt: revokedAt[i] }),
    })),
    ed25519: one.verifier.ed25519,
    mlDsa44: one.verifier.mlDsa44,
  };
}

describe('checkpoints signed by several log keys', () => {
  it('write an Ed25519 and an ML-DSA-44 line per key, all named by the origin', async () => {
    const note = await signCheckpoint(CHECKPOINT, [one.signer, two.signer], 100);
    const { signatures } = parseNote(note);
    expect(signatures.map((s) => s.name)).toStrictEqual([ORIGIN, ORIGIN, ORIGIN, ORIGIN]);
    expect(new Set(signatures.map((s) => s.keyId)).size).toBe(4);
    expect(openCheckpoint(note, one.verifier)).toMatchObject({ ok: true, timestamp: 100 });
    expect(openCheckpoint(note, two.verifier)).toMatchObject({ ok: true, timestamp: 100 });
  });

  it('refuse to sign with no signer or with the same key twice', async () => {
    await expect(signCheckpoint(CHECKPOINT, [], 1)).rejects.toThrow(/at least one signer/);
    await expect(signCheckpoint(CHECKPOINT, [one.signer, one.signer], 1)).rejects.toThrow(
      /share a public key/,
    );
  });

  it('open when the number of distinct signing keys meets the threshold', async () => {
    const both = await signCheckpoint(CHECKPOINT, [one.signer, two.signer], 100);
    const first = await signCheckpoint(CHECKPOINT, one.signer, 100);
    const set = keySet([one.verifier, two.verifier], 2);
    expect(openCheckpoint(both, set, ORIGIN)).toMatchObject({ ok: true });
    expect(openCheckpoint(first, set, ORIGIN)).toMatchObject({
      ok: false,
      problem: 'missing-signature',
      message: expect.stringMatching(/signed by 1 of the required 2 log keys/),
    });
  });

  it('count a key listed twice in the set once', async () => {
    const note = await signCheckpoint(CHECKPOINT, one.signer, 100);
    expect(openCheckpoint(note, keySet([one.verifier, one.verifier], 2))).toMatchObject({
      ok: false,
      problem: 'missing-signature',
    });
  });

  it('count a revoked key only for timestamps before its revocation', async () => {
    const note = await signCheckpoint(CHECKPOINT, one.signer, 100);
    expect(openCheckpoint(note, keySet([one.verifier], 1, [101]))).toMatchObject({ ok: true });
    expect(openCheckpoint(note, keySet([one.verifier], 1, [100]))).toMatchObject({
      ok: false,
      problem: 'revoked-key',
      message: expect.stringMatching(/k0 \(revoked at 100, signed at 100\)/),
    });
  });

  it('reject the note when any known key line fails, even with the threshold met', async () => {
    const note = await signCheckpoint(CHECKPOINT, [one.signer, two.signer], 100);
    const other = await signCheckpoint({ ...CHECKPOINT, size: 8 }, two.signer, 100);
    const otherLines = other.split('\n').filter((l) => l.startsWith('—'));
    const lines = note.split('\n').filter((l) => l.startsWith('—'));
    const forged = note.replace(lines[2] ?? 'x', otherLines[0] ?? 'y');
    expect(openCheckpoint(forged, keySet([one.verifier, two.verifier], 1))).toMatchObject({
      ok: false,
      problem: 'bad-signature',
      message: expect.stringMatching(/Ed25519 checkpoint signature of log key k1/),
    });
  });

  it('report the latest timestamp among the keys that counted', async () => {
    const a = await signCheckpoint(CHECKPOINT, one.signer, 100);
    const b = await signCheckpoint(CHECKPOINT, two.signer, 200);
    const merged = `${a}${b.slice(b.indexOf('\n\n') + 2)}`;
    expect(openCheckpoint(merged, keySet([one.verifier, two.verifier], 2))).toMatchObject({
      ok: true,
      timestamp: 200,
    });
  });

  it('refuse a key set with a threshold below 1', async () => {
    const note = await signCheckpoint(CHECKPOINT, one.signer, 100);
    expect(openCheckpoint(note, keySet([one.verifier], 0))).toMatchObject({ ok: false });
  });
});
