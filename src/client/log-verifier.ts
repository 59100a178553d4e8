/**
 * The client's use of `matriz/verify` (src/verify): the log's published keys document turned
 * into a pinned key, and every refusal of the verifier turned into a VerificationError, which
 * the CLI reports as "verification failed" (exit 3). The checks themselves live in src/verify.
 */
import type { SignatureSuite } from '../crypto/suite.js';
import type { CheckpointKeySet, CheckpointVerifier } from '../log/checkpoint-signature.js';
import type { Checkpoint } from '../log/checkpoint.js';
import {
  CheckpointError,
  checkpointVerifierForKeys,
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

/**
 * A verifier for a log's checkpoints from its published keys document (matriz/verify
 * `checkpointVerifierForKeys`); a document that is not a key pair for its origin is a
 * VerificationError.
 */
export function checkpointVerifierFor(
  keys: LogKeysDocument,
  suites: { ed25519: SignatureSuite; mlDsa44: SignatureSuite },
): CheckpointVerifier {
  try {
    return checkpointVerifierForKeys(keys, suites);
  } catch (error) {
    if (error instanceof CheckpointError) throw new VerificationError(error.message);
    throw error;
  }
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
