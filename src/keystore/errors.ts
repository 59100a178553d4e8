/** Errors of the key store: a stable code, the file concerned, and what to do about it. */

export type KeyStoreErrorCode =
  /** The file is readable or writable by group or others. */
  | 'insecure-permissions'
  /** The passphrase does not open the file. */
  | 'wrong-passphrase'
  /** The file was modified after it was written (authentication failed, or key mismatch). */
  | 'tampered'
  /** Not a MATRIZ secret key file, or unsupported parameters. */
  | 'malformed'
  /** No passphrase could be obtained, or it is unacceptable. */
  | 'passphrase-unavailable'
  /** The external key command (MATRIZ_KEY_COMMAND) failed, timed out or answered garbage. */
  | 'key-command-failed'
  /** The key material obtained does not belong to the key file's public key. */
  | 'wrong-key'
  /** The file could not be read or written. */
  | 'io';

export class KeyStoreError extends Error {
  override readonly name = 'KeyStoreError';
  readonly code: KeyStoreErrorCode;

  constructor(code: KeyStoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
