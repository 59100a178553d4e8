/**
 * Hybrid-signed checkpoints: a C2SP checkpoint in a signed note where every log key contributes
 * an Ed25519 line (type 0x01, what Go's sumdb/note verifies) and an ML-DSA-44 cosignature line
 * (type 0x06). A log key counts only when both of its lines are present and verify: a note
 * stripped of either is not signed by that key (downgrade protection).
 *
 * A note is opened against a set of log keys and a threshold (a trust root's log role; a single
 * pinned key is the set of one with threshold 1). Lines from unknown keys are ignored, as the
 * signed-note spec requires; a line from a known key that fails to verify rejects the whole note.
 * A key with `revokedAt` counts only for cosignature timestamps before it.
 */
import {
  formatCheckpoint,
  parseCheckpoint,
  CheckpointError,
  type Checkpoint,
  type CheckpointErrorCode,
} from './checkpoint.js';
import { formatNote, NoteError, parseNote, type Note, type NoteSignature } from './note.js';
import {
  ED25519_NOTE_TYPE,
  ML_DSA_44_COSIGNATURE_TYPE,
  ML_DSA_44_SIGNATURE_SIZE,
  mlDsa44CosignedMessage,
  noteKeyId,
} from './note-keys.js';

/** Anything that checks a signature: a crypto SignatureSuite fits. */
export interface SignatureVerifier {
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
}

export interface CheckpointSigner {
  /** Key name for both lines; by convention the log's origin. */
  readonly name: string;
  readonly ed25519: {
    readonly publicKey: Uint8Array;
    sign(message: Uint8Array): Uint8Array | Promise<Uint8Array>;
  };
  readonly mlDsa44: {
    readonly publicKey: Uint8Array;
    sign(message: Uint8Array): Uint8Array | Promise<Uint8Array>;
  };
}

/** One pinned log key: the single-key form, a set of one with threshold 1. */
export interface CheckpointVerifier {
  readonly name: string;
  readonly ed25519PublicKey: Uint8Array;
  readonly mlDsa44PublicKey: Uint8Array;
  readonly ed25519: SignatureVerifier;
  readonly mlDsa44: SignatureVerifier;
}

/** A log key of a key set: the two public keys that sign a checkpoint's two lines. */
export interface CheckpointKey {
  readonly ed25519PublicKey: Uint8Array;
  readonly mlDsa44PublicKey: Uint8Array;
  /**
   * POSIX seconds from which the key is revoked: its lines count only when the ML-DSA-44
   * cosignature timestamp is strictly earlier.
   */
  readonly revokedAt?: number;
  /** How messages name the key (e.g. its trust-root keyid); default its position in the set. */
  readonly label?: string;
}

/** The log keys a note is checked against; `name` is the key name of every line. */
export interface CheckpointKeys {
  readonly name: string;
  readonly keys: readonly CheckpointKey[];
  /** Distinct keys that must have signed (both lines, not revoked at the timestamp). */
  readonly threshold: number;
}

export interface CheckpointKeySet extends CheckpointKeys {
  readonly ed25519: SignatureVerifier;
  readonly mlDsa44: SignatureVerifier;
}

/** Why `openCheckpoint` refused a note: a CheckpointErrorCode (checkpoint.ts documents each). */
export type CheckpointProblem = Exclude<CheckpointErrorCode, 'invalid-signer'>;

export type OpenedCheckpoint =
  | {
      readonly ok: true;
      readonly checkpoint: Checkpoint;
      /**
       * The ML-DSA cosignature's POSIX timestamp: when the log signed this checkpoint (the
       * latest one among the keys that counted, when several did).
       */
      readonly timestamp: number;
    }
  | { readonly ok: false; readonly problem: CheckpointProblem; readonly message: string };

const encoder = new TextEncoder();

/**
 * Signs `checkpoint` with every signer (each an Ed25519 line and an ML-DSA-44 line, in signer
 * order); `timestamp` is POSIX seconds. Returns the signed note. Refuses an empty signer list and
 * two signers sharing a key.
 */
export async function signCheckpoint(
  checkpoint: Checkpoint,
  signers: CheckpointSigner | readonly CheckpointSigner[],
  timestamp: number,
): Promise<string> {
  const list: readonly CheckpointSigner[] = isSignerList(signers) ? signers : [signers];
  if (list.length === 0)
    throw new CheckpointError('invalid-signer', 'a checkpoint needs at least one signer');
  const seen = new Set<string>();
  for (const signer of list) {
    for (const key of [signer.ed25519.publicKey, signer.mlDsa44.publicKey]) {
      const hex = toHex(key);
      if (seen.has(hex))
        throw new CheckpointError('invalid-signer', 'two checkpoint signers share a public key');
      seen.add(hex);
    }
  }
  const text = formatCheckpoint(checkpoint);
  const time = BigInt(timestamp);
  const lines = await Promise.all(list.map((signer) => signLines(signer, text, checkpoint, time)));
  return formatNote({ text, signatures: lines.flat() });
}

/**
 * Verifies a signed checkpoint note against one pinned key or a key set with a threshold, and
 * parses it. Never throws for bad input. The note is accepted iff at least `threshold` distinct
 * keys of the set have both lines present and valid and are not revoked at the cosignature
 * timestamp; any line of a known key that fails to verify rejects it.
 */
export function openCheckpoint(
  note: string,
  verifier: CheckpointVerifier | CheckpointKeySet,
  expectedOrigin?: string,
): OpenedCheckpoint {
  const set = 'keys' in verifier ? verifier : singleKeySet(verifier);
  if (!Number.isSafeInteger(set.threshold) || set.threshold < 1)
    return fail('missing-signature', `the key set's threshold ${set.threshold} is not >= 1`);
  let parsed: Note;
  let checkpoint: Checkpoint;
  try {
    parsed = parseNote(note);
    checkpoint = parseCheckpoint(parsed.text);
  } catch (error) {
    if (error instanceof NoteError || error instanceof CheckpointError)
      return fail('malformed', error.message);
    throw error;
  }
  if (expectedOrigin !== undefined && checkpoint.origin !== expectedOrigin) {
    return fail(
      'wrong-origin',
      `checkpoint origin is ${JSON.stringify(checkpoint.origin)}, expected ${JSON.stringify(expectedOrigin)}`,
    );
  }
  const used = new Set<NoteSignature>();
  const find = (type: number, publicKey: Uint8Array): NoteSignature | undefined => {
    const keyId = noteKeyId(set.name, type, publicKey);
    return parsed.signatures.find((s) => s.name === set.name && s.keyId === keyId);
  };
  // A single pinned key keeps the single-key messages.
  const single = !('keys' in verifier);
  let counted = 0;
  let revokedValid = 0;
  let latest = -1;
  const incomplete: string[] = [];
  const revoked: string[] = [];
  for (const [index, key] of set.keys.entries()) {
    const label = single ? 'the log key' : `log key ${key.label ?? String(index)}`;
    const ed = find(ED25519_NOTE_TYPE, key.ed25519PublicKey);
    const ml = find(ML_DSA_44_COSIGNATURE_TYPE, key.mlDsa44PublicKey);
    if (ed && !set.ed25519.verify(ed.signature, encoder.encode(parsed.text), key.ed25519PublicKey))
      return fail('bad-signature', `the Ed25519 checkpoint signature of ${label} does not verify`);
    let time: bigint | undefined;
    if (ml) {
      if (ml.signature.length !== 8 + ML_DSA_44_SIGNATURE_SIZE)
        return fail('bad-signature', `the ML-DSA-44 cosignature of ${label} has the wrong length`);
      time = new DataView(ml.signature.buffer, ml.signature.byteOffset).getBigUint64(0);
      if (time > BigInt(Number.MAX_SAFE_INTEGER))
        return fail(
          'bad-signature',
          `the ML-DSA-44 cosignature timestamp of ${label} is out of range`,
        );
      const message = mlDsa44CosignedMessage(set.name, time, checkpoint);
      if (!set.mlDsa44.verify(ml.signature.subarray(8), message, key.mlDsa44PublicKey))
        return fail(
          'bad-signature',
          `the ML-DSA-44 checkpoint signature of ${label} does not verify`,
        );
    }
    if (!ed || !ml || time === undefined) {
      if (ed || ml || single)
        incomplete.push(
          `checkpoint has no ${ed ? 'ML-DSA-44' : 'Ed25519'} signature from ${label}; both signatures are required`,
        );
      continue;
    }
    // A line shared by two keys of the set (same public key listed twice) counts once.
    if (used.has(ed) || used.has(ml)) continue;
    used.add(ed);
    used.add(ml);
    const seconds = Number(time);
    if (key.revokedAt !== undefined && seconds >= key.revokedAt) {
      revokedValid++;
      revoked.push(`${label} (revoked at ${key.revokedAt}, signed at ${seconds})`);
      continue;
    }
    counted++;
    latest = Math.max(latest, seconds);
  }
  if (counted >= set.threshold) return { ok: true, checkpoint, timestamp: latest };
  if (revokedValid > 0 && counted + revokedValid >= set.threshold)
    return fail(
      'revoked-key',
      `checkpoint is signed by ${counted} of the required ${set.threshold} log keys; the other signatures are by keys revoked before they signed: ${revoked.join(', ')}`,
    );
  if (single && incomplete.length > 0) return fail('missing-signature', incomplete.join('; '));
  return fail(
    'missing-signature',
    `checkpoint is signed by ${counted} of the required ${set.threshold} log keys (each key needs both its Ed25519 and ML-DSA-44 line; lines by keys not in the set are ignored)${incomplete.length > 0 ? `: ${incomplete.join('; ')}` : ''}`,
  );
}

async function signLines(
  signer: CheckpointSigner,
  text: string,
  checkpoint: Checkpoint,
  time: bigint,
): Promise<NoteSignature[]> {
  const [edSignature, mlSignature] = await Promise.all([
    signer.ed25519.sign(encoder.encode(text)),
    signer.mlDsa44.sign(mlDsa44CosignedMessage(signer.name, time, checkpoint)),
  ]);
  const stamped = new Uint8Array(8 + mlSignature.length);
  new DataView(stamped.buffer).setBigUint64(0, time);
  stamped.set(mlSignature, 8);
  return [
    {
      name: signer.name,
      keyId: noteKeyId(signer.name, ED25519_NOTE_TYPE, signer.ed25519.publicKey),
      signature: edSignature,
    },
    {
      name: signer.name,
      keyId: noteKeyId(signer.name, ML_DSA_44_COSIGNATURE_TYPE, signer.mlDsa44.publicKey),
      signature: stamped,
    },
  ];
}

function singleKeySet(verifier: CheckpointVerifier): CheckpointKeySet {
  return {
    name: verifier.name,
    keys: [
      { ed25519PublicKey: verifier.ed25519PublicKey, mlDsa44PublicKey: verifier.mlDsa44PublicKey },
    ],
    threshold: 1,
    ed25519: verifier.ed25519,
    mlDsa44: verifier.mlDsa44,
  };
}

function isSignerList(
  signers: CheckpointSigner | readonly CheckpointSigner[],
): signers is readonly CheckpointSigner[] {
  return Array.isArray(signers);
}

function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}

function fail(problem: CheckpointProblem, message: string): OpenedCheckpoint {
  return { ok: false, problem, message };
}
