/**
 * What the node:crypto backends (Ed25519, ML-DSA) share: finding node:crypto without importing
 * it, and a cache of parsed key objects.
 */
import { CryptoError } from '../errors.js';

export type NodeCrypto = typeof import('node:crypto');

/**
 * node:crypto, or a `backend-unavailable` error where there is none (a browser).
 * process.getBuiltinModule (Node >= 20.16) instead of import('node:crypto'): nothing for a
 * browser bundler to resolve, and no failing network fetch in a page (as in sha256.ts).
 */
export function nodeCryptoModule(): NodeCrypto {
  const module = (
    globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }
  ).process?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined;
  if (module === undefined)
    throw new CryptoError('backend-unavailable', 'node:crypto is not available here');
  return module;
}

const KEY_CACHE_SIZE = 256;

/**
 * Key objects cached by key bytes (content, not array identity, so a reused buffer can never
 * select a stale key): parsing DER costs more than signing, and callers sign and verify many
 * times with the same key.
 */
export function cachedKey<K>(create: (bytes: Uint8Array) => K): (bytes: Uint8Array) => K {
  const cache = new Map<string, K>();
  return (bytes) => {
    const id = String.fromCharCode(...bytes);
    let key = cache.get(id);
    if (key === undefined) {
      key = create(bytes);
      if (cache.size >= KEY_CACHE_SIZE) cache.clear();
      cache.set(id, key);
    }
    return key;
  };
}
