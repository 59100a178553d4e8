/**
 * Errors of the trust layer: a stable `code` for programs and tests, and a message that names
 * the document, the field or key, and what was wrong.
 */

export type TrustErrorCode =
  /** Not the expected document: bad JSON, non-canonical, missing/unknown/invalid member. */
  | 'malformed'
  /** The envelope's payloadType or the document's `type` is not the expected one. */
  | 'wrong-type'
  /** The document (or checkpoint) is for another log origin. */
  | 'wrong-origin'
  /** Fewer distinct keys of the required role signed validly than its threshold. */
  | 'threshold'
  /** A version not higher than the trusted one, or a list that undoes a revocation. */
  | 'rollback'
  /** A root version that skips one: versions must go up by exactly one. */
  | 'gap'
  /** The newest trusted root is past its `expires` (freeze attack protection). */
  | 'expired'
  /** The key is revoked (an enrolment owner), or only revoked log keys signed a checkpoint. */
  | 'revoked-key'
  /** A keyid a document refers to is not a key it may refer to (e.g. not in the log role). */
  | 'unknown-key'
  /** A checkpoint line from a trusted log key does not verify. */
  | 'bad-signature'
  /** A document names a trust root other than the one in effect. */
  | 'wrong-root'
  /** An envelope already carries a signature by this keyid. */
  | 'duplicate-signature';

export class TrustError extends Error {
  override readonly name = 'TrustError';
  readonly code: TrustErrorCode;

  constructor(code: TrustErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
