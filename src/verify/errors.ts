/**
 * Refusals of evidence that is not a signature or a document: proofs that do not lead to the
 * signed root, and write answers that are not about the request the client sent. Notes,
 * checkpoints and trust documents keep their own errors (NoteError, CheckpointError,
 * TrustError); every one of them has a stable `code`.
 */

export type EvidenceErrorCode =
  /** A proof hash that is not canonical base64 of 32 bytes, or an index or size out of range. */
  | 'malformed-proof'
  /** The inclusion proof does not lead from the leaf to the checkpoint's root hash. */
  | 'inclusion-mismatch'
  /** The consistency proof does not show the older tree is a prefix of the newer one. */
  | 'consistency-mismatch'
  /** The newer checkpoint is smaller than the older one, or for another origin. */
  | 'not-newer'
  /** The write answer's proof is for another index or tree size than its entry and checkpoint. */
  | 'wrong-proof'
  /** The logged leaf is not JSON, holds no envelope, or another request than the one sent. */
  | 'leaf-mismatch'
  /** The logged leaf is for another registry id than the answer names. */
  | 'wrong-entry';

export class EvidenceError extends Error {
  override readonly name = 'EvidenceError';
  readonly code: EvidenceErrorCode;

  constructor(code: EvidenceErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
