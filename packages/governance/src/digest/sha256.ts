/**
 * SHA-256 (FIPS 180-4), synchronous everywhere: Node.js's OpenSSL implementation when the
 * runtime has one (about ten times faster on large inputs), @noble/hashes otherwise (browsers).
 * `process.getBuiltinModule` (Node.js >= 20.16) reaches node:crypto without a static import, so
 * this module stays loadable in a browser.
 */
import type { Hash } from 'node:crypto';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

interface NodeCrypto {
  createHash(algorithm: 'sha256'): Hash;
}

const nodeCrypto = (
  globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }
).process?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined;

/** SHA-256 of the concatenation of `parts`. */
export function sha256(...parts: readonly Uint8Array[]): Uint8Array {
  if (nodeCrypto) {
    const hash = nodeCrypto.createHash('sha256');
    for (const part of parts) hash.update(part);
    const digest = hash.digest();
    return new Uint8Array(digest.buffer, digest.byteOffset, digest.length);
  }
  const hash = nobleSha256.create();
  for (const part of parts) hash.update(part);
  return hash.digest();
}
