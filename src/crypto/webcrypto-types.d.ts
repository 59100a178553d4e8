/**
 * Web Crypto key types, which the HPKE library's declarations name as globals (they come from
 * the DOM lib, which this Node.js-typed project does not load). Interfaces, so they merge with
 * the DOM's if a consumer loads it.
 */
import type { webcrypto } from 'node:crypto';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface CryptoKey extends webcrypto.CryptoKey {}
  interface CryptoKeyPair {
    privateKey: CryptoKey;
    publicKey: CryptoKey;
  }
}
