/**
 * Errors of the crypto layer: values with a stable `code` (for programs and tests) and a human
 * message that says what was wrong and what to do.
 */

export type CryptoErrorCode =
  /** An algorithm name the registry does not implement. */
  | 'unknown-algorithm'
  /** A backend that is not installed, not loadable here, or not offered for the algorithm. */
  | 'backend-unavailable'
  /** The start-up known-answer self-test failed: the suite refuses to sign. */
  | 'self-test-failed'
  /** Key material of the wrong length or form. */
  | 'invalid-key'
  /** A seed, context or other argument outside what the algorithm accepts. */
  | 'invalid-argument'
  /** A malformed encoded object: public key JSON, DSSE envelope, HPKE stream. */
  | 'malformed'
  /** Authenticated decryption failed: wrong key, or the data was modified. */
  | 'decryption-failed';

export class CryptoError extends Error {
  override readonly name = 'CryptoError';
  readonly code: CryptoErrorCode;

  constructor(code: CryptoErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
