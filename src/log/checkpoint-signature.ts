/**
 * Hybrid-signed checkpoints: a C2SP checkpoint in a signed note with an Ed25519 line (type
 * 0x01, what Go's sumdb/note verifies) and an ML-DSA-44 cosignature line (type 0x06). Opening
 * requires both: a note stripped of either is refused (downgrade protection). Lines from
 * unknown keys are ignored, as the signed-note spec requires; a line from a known key that
 * fails to verify rejects the whole note.
 */
import {
  formatCheckpoint,
  parseCheckpoint,
  CheckpointError,
  type Checkpoint,
} from './checkpoint.js';
import { formatNote, NoteError, parseNote, type NoteSignature } from './note.js';
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

export interface CheckpointVerifier {
  readonly name: string;
  readonly ed25519PublicKey: Uint8Array;
  readonly mlDsa44PublicKey: Uint8Array;
  readonly ed25519: SignatureVerifier;
  readonly mlDsa44: SignatureVerifier;
}

export type CheckpointProblem =
  'malformed' | 'missing-signature' | 'bad-signature' | 'wrong-origin';

export type OpenedCheckpoint =
  | {
      readonly ok: true;
      readonly checkpoint: Checkpoint;
      /** The ML-DSA cosignature's POSIX timestamp: when the log signed this checkpoint. */
      readonly timestamp: number;
    }
  | { readonly ok: false; readonly problem: CheckpointProblem; readonly message: string };

const encoder = new TextEncoder();

/** Signs `checkpoint` with both keys; `timestamp` is POSIX seconds. Returns the signed note. */
export async function signCheckpoint(
  checkpoint: Checkpoint,
  signer: CheckpointSigner,
  timestamp: number,
): Promise<string> {
  const text = formatCheckpoint(checkpoint);
  const time = BigInt(timestamp);
  const [edSignature, mlSignature] = await Promise.all([
    signer.ed25519.sign(encoder.encode(text)),
    signer.mlDsa44.sign(mlDsa44CosignedMessage(signer.name, time, checkpoint)),
  ]);
  const stamped = new Uint8Array(8 + mlSignature.length);
  new DataView(stamped.buffer).setBigUint64(0, time);
  stamped.set(mlSignature, 8);
  return formatNote({
    text,
    signatures: [
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
    ],
  });
}

/** Verifies both signatures of a signed checkpoint note and parses it. Never throws for bad input. */
export function openCheckpoint(
  note: string,
  verifier: CheckpointVerifier,
  expectedOrigin?: string,
): OpenedCheckpoint {
  let parsed;
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
  const find = (type: number, publicKey: Uint8Array): NoteSignature | undefined => {
    const keyId = noteKeyId(verifier.name, type, publicKey);
    return parsed.signatures.find((s) => s.name === verifier.name && s.keyId === keyId);
  };
  const ed = find(ED25519_NOTE_TYPE, verifier.ed25519PublicKey);
  const ml = find(ML_DSA_44_COSIGNATURE_TYPE, verifier.mlDsa44PublicKey);
  if (!ed)
    return fail(
      'missing-signature',
      'checkpoint has no Ed25519 signature from the log key; both signatures are required',
    );
  if (!ml)
    return fail(
      'missing-signature',
      'checkpoint has no ML-DSA-44 signature from the log key; both signatures are required',
    );
  if (
    !verifier.ed25519.verify(ed.signature, encoder.encode(parsed.text), verifier.ed25519PublicKey)
  ) {
    return fail('bad-signature', 'the Ed25519 checkpoint signature does not verify');
  }
  if (ml.signature.length !== 8 + ML_DSA_44_SIGNATURE_SIZE) {
    return fail('bad-signature', 'the ML-DSA-44 cosignature has the wrong length');
  }
  const time = new DataView(ml.signature.buffer, ml.signature.byteOffset).getBigUint64(0);
  if (time > BigInt(Number.MAX_SAFE_INTEGER))
    return fail('bad-signature', 'the ML-DSA-44 cosignature timestamp is out of range');
  const message = mlDsa44CosignedMessage(verifier.name, time, checkpoint);
  if (!verifier.mlDsa44.verify(ml.signature.subarray(8), message, verifier.mlDsa44PublicKey)) {
    return fail('bad-signature', 'the ML-DSA-44 checkpoint signature does not verify');
  }
  return { ok: true, checkpoint, timestamp: Number(time) };
}

function fail(problem: CheckpointProblem, message: string): OpenedCheckpoint {
  return { ok: false, problem, message };
}
