/**
 * Ed25519 (RFC 8032, section 5.1): node:crypto (OpenSSL) in Node.js, `@noble/curves` elsewhere.
 * Both are strict RFC 8032 verifiers (canonical encodings, cofactorless equation): noble runs
 * with `zip215: false`, so the two backends accept exactly the same signatures.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import type { KeyPair, SignatureSuite, SignOptions, VerifyOptions } from '../suite.js';
import { checkSecretKey, refuseContext } from './noble.js';
import { cachedKey, nodeCryptoModule } from './node-crypto.js';
import { checkSeed, randomSeed } from '../random.js';

const LENGTHS = { seed: 32, publicKey: 32, secretKey: 32, signature: 64 } as const;

export function nobleEd25519Suite(): SignatureSuite {
  return {
    id: 'ed25519',
    backend: 'noble',
    lengths: LENGTHS,
    generateKeyPair(seed?: Uint8Array): KeyPair {
      const secretKey = Uint8Array.from(
        seed === undefined ? randomSeed(32) : checkSeed('ed25519', seed, 32),
      );
      return { seed: secretKey, publicKey: ed25519.getPublicKey(secretKey), secretKey };
    },
    sign(message, secretKey, options: SignOptions = {}): Uint8Array {
      refuseContext('ed25519', options.context);
      checkSecretKey('ed25519', secretKey, 32);
      return ed25519.sign(message, secretKey);
    },
    verify(signature, message, publicKey, options: VerifyOptions = {}): boolean {
      if (!wellFormed(signature, publicKey, options)) return false;
      try {
        return ed25519.verify(signature, message, publicKey, { zip215: false });
      } catch {
        return false;
      }
    },
  };
}

/** RFC 8410 DER prefixes that wrap a raw Ed25519 private seed or public key. */
const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);
const SPKI_PREFIX = Uint8Array.from([
  0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
]);

/** Ed25519 on node:crypto; rejects when node:crypto is not there (a browser). */
export function nodeEd25519Suite(): Promise<SignatureSuite> {
  let nodeCrypto;
  try {
    nodeCrypto = nodeCryptoModule();
  } catch (error) {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a CryptoError
    return Promise.reject(error);
  }
  const { createPrivateKey, createPublicKey, sign, verify } = nodeCrypto;
  const privateKey = cachedKey((bytes) =>
    createPrivateKey({ key: der(PKCS8_PREFIX, bytes), format: 'der', type: 'pkcs8' }),
  );
  const publicKey = cachedKey((bytes) =>
    createPublicKey({ key: der(SPKI_PREFIX, bytes), format: 'der', type: 'spki' }),
  );

  return Promise.resolve({
    id: 'ed25519',
    backend: 'node',
    lengths: LENGTHS,
    generateKeyPair(seed?: Uint8Array): KeyPair {
      const secretKey = Uint8Array.from(
        seed === undefined ? randomSeed(32) : checkSeed('ed25519', seed, 32),
      );
      const spki = createPublicKey(privateKey(secretKey)).export({ format: 'der', type: 'spki' });
      return { seed: secretKey, publicKey: Uint8Array.from(spki.subarray(12)), secretKey };
    },
    sign(message, secretKey, options: SignOptions = {}): Uint8Array {
      refuseContext('ed25519', options.context);
      checkSecretKey('ed25519', secretKey, 32);
      return Uint8Array.from(sign(null, message, privateKey(secretKey)));
    },
    verify(signature, message, raw, options: VerifyOptions = {}): boolean {
      if (!wellFormed(signature, raw, options)) return false;
      try {
        return verify(null, message, publicKey(raw), signature);
      } catch {
        return false;
      }
    },
  });
}

function wellFormed(signature: Uint8Array, publicKey: Uint8Array, options: VerifyOptions): boolean {
  return signature.length === 64 && publicKey.length === 32 && (options.context?.length ?? 0) === 0;
}

/** Node.js-only path, so Buffer (which node:crypto's key parsing expects) is available. */
function der(prefix: Uint8Array, key: Uint8Array): Buffer {
  return Buffer.concat([prefix, key]);
}
