/**
 * Randomness: key seeds (checked when given, drawn from the platform CSPRNG when not), and fixed
 * byte streams that stand in for the signing randomness in known-answer tests.
 */
import { CryptoError } from './errors.js';

export function checkSeed(id: string, seed: Uint8Array, length: number): Uint8Array {
  if (seed.length !== length)
    throw new CryptoError(
      'invalid-argument',
      `${id} key seed must be ${length} bytes, got ${seed.length}`,
    );
  return seed;
}

/** Web Crypto's CSPRNG, present in Node.js (>= 19 as a global) and every browser. */
export function randomSeed(length: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(length));
}

/** A random source that hands out `bytes` in order and fails if asked for more. */
export function fixedRandom(bytes: Uint8Array): (length: number) => Uint8Array {
  let offset = 0;
  return (length) => {
    if (offset + length > bytes.length)
      throw new CryptoError('invalid-argument', 'fixed random source exhausted');
    const out = bytes.slice(offset, offset + length);
    offset += length;
    return out;
  };
}
