/**
 * The one interface every signature algorithm implements, whatever library is behind it.
 *
 * Keys are byte strings in the algorithm's standard encoding (FIPS 204 pkEncode/skEncode for
 * ML-DSA, the Falcon round-3 encodings, RFC 8032 for Ed25519). A key pair is generated from a
 * seed, and the seed is what a key file stores: the expanded secret key is rebuilt from it.
 */
import type { KeyAlgorithm } from './algorithms.js';

/** The libraries a suite can run on. `node` is node:crypto (Ed25519 only). */
export type BackendName = 'liboqs' | 'noble' | 'node';

export interface KeyPair {
  /** The seed the pair was generated from: 32 bytes (ML-DSA, Ed25519), 48 (Falcon), 64 (hybrid). */
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
  /** The expanded secret key the algorithm signs with. */
  readonly secretKey: Uint8Array;
}

export interface SignOptions {
  /**
   * FIPS 204 context string (at most 255 bytes; default empty). ML-DSA and hybrids only: the
   * other algorithms refuse a non-empty context.
   */
  readonly context?: Uint8Array;
  /**
   * Replaces the signing randomness (ML-DSA's `rnd`, Falcon's nonce and sampler seed) with bytes
   * from this function. For known-answer tests only; production signing leaves it unset.
   */
  readonly random?: (length: number) => Uint8Array;
}

export interface VerifyOptions {
  /** FIPS 204 context string the signature was made with (default empty). */
  readonly context?: Uint8Array;
}

export interface SignatureSuite {
  readonly id: KeyAlgorithm;
  readonly backend: BackendName;
  readonly lengths: {
    readonly seed: number;
    readonly publicKey: number;
    readonly secretKey: number;
    /** The largest signature: ML-DSA, Ed25519 and hybrids are fixed size, Falcon at most this. */
    readonly signature: number;
  };
  /** A key pair from `seed` (deterministic), or from fresh randomness when `seed` is omitted. */
  generateKeyPair(seed?: Uint8Array): KeyPair;
  sign(message: Uint8Array, secretKey: Uint8Array, options?: SignOptions): Uint8Array;
  /**
   * True when `signature` is valid for `message` under `publicKey`. Malformed input (wrong
   * lengths, bad encodings, an over-long context) is an invalid signature, never an exception.
   */
  verify(
    signature: Uint8Array,
    message: Uint8Array,
    publicKey: Uint8Array,
    options?: VerifyOptions,
  ): boolean;
}
