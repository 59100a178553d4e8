/**
 * The client's use of `matriz/verify` (src/verify): the log's published keys document turned
 * into a pinned key, and every refusal of the verifier turned into a VerificationError, which
 * the CLI reports as "verification failed" (exit 3). The checks themselves live in src/verify.
 */
import { publicKeyFromJson } from '../crypto/keys.js';
import type { SignatureSuite } from '../crypto/suite.js';
import type { CheckpointKeySet, CheckpointVerifier } from '../log/checkpoint-signature.js';
import { parseEd25519VerifierKey } from '../log/note-keys.js';
import type { Checkpoint } from '../log/checkpoint.js';
import {
  CheckpointError,
  EvidenceError,
  verifyCheckpointWithKeys,
  verifyConsistencyProof,
  verifyWriteResult as verifyWriteEvidence,
  type WriteResult,
} from '../verify/index.js';
import type { LogKeysDocument } from './http-client.js';

export class VerificationError extends Error {
  override readonly name = 'VerificationError';
}

/** A verifier for a log's checkpoints from its published keys document. */
export function checkpointVerifierFor(
  keys: LogKeysDocument,
  suites: { ed25519: SignatureSuite; mlDsa44: SignatureSuite },
): CheckpointVerifier {
  const { name, publicKey } = parseEd25519VerifierKey(keys.ed25519_vkey);
  const mlDsa = publicKeyFromJson(keys.ml_dsa_44, 'ml_dsa_44');
  if (mlDsa.algorithm !== 'ml-dsa-44')
    throw new VerificationError('the log ML-DSA key is not ML-DSA-44');
  if (name !== keys.origin)
    throw new VerificationError(`the log key name ${name} is not its origin ${keys.origin}`);
  return {
    name,
    ed25519PublicKey: publicKey,
    mlDsa44PublicKey: mlDsa.publicKey,
    ed25519: suites.ed25519,
    mlDsa44: suites.mlDsa44,
  };
}

export function openVerifiedCheckpoint(
  note: string,
  verifier: CheckpointVerifier | CheckpointKeySet,
): Checkpoint & { timestamp: number } {
  return refusalsAsVerificationErrors(() => {
    const { checkpoint, timestamp } = verifyCheckpointWithKeys(note, verifier);
    return { ...checkpoint, timestamp };
  });
}

/**
 * Checks a write's answer: the checkpoint's two signatures, that `leaf` holds exactly the
 * envelope that was sent, and the inclusion proof of that leaf in the checkpoint's tree.
 */
export function verifyWriteResult(
  result: WriteResult,
  leaf: Uint8Array,
  sentEnvelope: unknown,
  verifier: CheckpointVerifier | CheckpointKeySet,
): Checkpoint {
  return refusalsAsVerificationErrors(
    () => verifyWriteEvidence(result, leaf, sentEnvelope, verifier).checkpoint,
  );
}

/** Whether `next` extends `previous` (same origin, consistency proof verifies). */
export function isConsistent(
  previous: Checkpoint,
  next: Checkpoint,
  proof: readonly string[],
): boolean {
  try {
    verifyConsistencyProof(previous, next, proof);
    return true;
  } catch (error) {
    if (error instanceof EvidenceError) return false;
    throw error;
  }
}

function refusalsAsVerificationErrors<T>(verify: () => T): T {
  try {
    return verify();
  } catch (error) {
    if (error instanceof CheckpointError)
      throw new VerificationError(`checkpoint refused (${error.code}): ${error.message}`, {
        cause: error,
      });
    if (error instanceof EvidenceError)
      throw new VerificationError(error.message, { cause: error });
    throw error;
  }
}
