/**
 * ML-DSA (FIPS 204) on node:crypto: OpenSSL 3.5's native implementation, in Node.js builds that
 * expose it (24.7 and later). Found by trying it, never by reading the version: a Node.js whose
 * OpenSSL has no ML-DSA, or whose `sign` ignores the FIPS 204 context, is `backend-unavailable`.
 *
 * Two things node:crypto does not offer, which go to the `reference` suite (liboqs or noble)
 * instead, as liboqs's missing contexts go to noble:
 * - the expanded secret key (FIPS 204 skEncode): node:crypto exports only the seed, so key
 *   generation takes `secretKey` from the reference, and checks the public key node:crypto
 *   derives from the same seed is byte-identical (a disagreement is an error, never a key);
 * - chosen signing randomness (`SignOptions.random`, known-answer tests only): OpenSSL's
 *   `rnd` is not settable through node:crypto. Production signing never passes it.
 */
import type { SignatureAlgorithm } from '../algorithms.js';
import { concatBytes, equalBytes } from '../encoding.js';
import { CryptoError } from '../errors.js';
import { checkSeed, randomSeed } from '../random.js';
import type { KeyPair, SignatureSuite, SignOptions, VerifyOptions } from '../suite.js';
import { checkContext, checkSecretKey, MAX_CONTEXT_LENGTH } from './noble.js';
import { cachedKey, nodeCryptoModule, type NodeCrypto } from './node-crypto.js';

type MlDsa = Extract<SignatureAlgorithm, `ml-dsa-${string}`>;

/** id-ml-dsa-44/65/87 (NIST CSOR 2.16.840.1.101.3.4.3.17-19): the last byte of the DER OID. */
const OID: Record<MlDsa, number> = { 'ml-dsa-44': 0x11, 'ml-dsa-65': 0x12, 'ml-dsa-87': 0x13 };

export function isMlDsa(id: SignatureAlgorithm): id is MlDsa {
  return id in OID;
}

/**
 * The node:crypto ML-DSA suite for `id`, or `backend-unavailable`. Loading signs and verifies
 * once with a context through `reference`, so a Node.js that dropped the context is caught
 * before the start-up self-test runs.
 */
export function nodeMlDsaSuite(id: MlDsa, reference: SignatureSuite): Promise<SignatureSuite> {
  let suite: SignatureSuite;
  try {
    suite = build(id, reference, nodeCryptoModule());
    checkContexts(suite, reference);
  } catch (error) {
    return Promise.reject(
      error instanceof CryptoError && error.code === 'backend-unavailable'
        ? error
        : new CryptoError('backend-unavailable', `node:crypto has no usable ${id} here`, {
            cause: error,
          }),
    );
  }
  return Promise.resolve(suite);
}

function build(id: MlDsa, reference: SignatureSuite, node: NodeCrypto): SignatureSuite {
  const { createPrivateKey, createPublicKey, sign, verify } = node;
  const lengths = { ...reference.lengths };
  const algorithm = der(
    0x30,
    Uint8Array.of(0x06, 0x09, 0x60, 0x86, 0x48, 1, 0x65, 3, 4, 3, OID[id]),
  );
  const version = Uint8Array.of(0x02, 0x01, 0x00);
  // IETF LAMPS ML-DSA key profile (draft-ietf-lamps-dilithium-certificates): the PKCS #8
  // privateKey holds the seed ([0] IMPLICIT OCTET STRING) or the expanded key (OCTET STRING).
  const pkcs8 = (inner: Uint8Array) =>
    Buffer.from(der(0x30, concatBytes(version, algorithm, der(0x04, inner))));
  const privateKey = cachedKey((secretKey) =>
    createPrivateKey({ key: pkcs8(der(0x04, secretKey)), format: 'der', type: 'pkcs8' }),
  );
  const publicKey = cachedKey((raw) =>
    createPublicKey({
      key: Buffer.from(
        der(0x30, concatBytes(algorithm, der(0x03, concatBytes(Uint8Array.of(0), raw)))),
      ),
      format: 'der',
      type: 'spki',
    }),
  );
  const publicKeyFromSeed = (seed: Uint8Array): Uint8Array => {
    const key = createPrivateKey({ key: pkcs8(der(0x80, seed)), format: 'der', type: 'pkcs8' });
    const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
    return Uint8Array.from(spki.subarray(spki.length - lengths.publicKey));
  };

  return {
    id,
    backend: 'node',
    lengths,
    generateKeyPair(seed?: Uint8Array): KeyPair {
      const xi = seed === undefined ? randomSeed(lengths.seed) : checkSeed(id, seed, lengths.seed);
      // FIPS 204, Algorithm 1 (ML-DSA.KeyGen) on both sides; only the reference exports sk.
      const pair = reference.generateKeyPair(xi);
      if (!equalBytes(publicKeyFromSeed(xi), pair.publicKey))
        throw new CryptoError(
          'self-test-failed',
          `${id}: node:crypto and ${reference.backend} derived different public keys from one seed; choose a backend with MATRIZ_CRYPTO_BACKEND=liboqs|noble`,
        );
      return pair;
    },
    sign(message, secretKey, options: SignOptions = {}): Uint8Array {
      if (options.random !== undefined) return reference.sign(message, secretKey, options);
      checkSecretKey(id, secretKey, lengths.secretKey);
      const context = checkContext(id, options.context);
      // FIPS 204, Algorithm 2 (ML-DSA.Sign), hedged: OpenSSL draws rnd itself.
      const key = privateKey(secretKey);
      // `context` (Node.js 24.7+) is not in @types/node 20: a variable, not a literal, passes it.
      const input = context.length ? { key, context } : key;
      return Uint8Array.from(sign(null, message, input));
    },
    verify(signature, message, raw, options: VerifyOptions = {}): boolean {
      const context = options.context ?? new Uint8Array(0);
      if (
        signature.length !== lengths.signature ||
        raw.length !== lengths.publicKey ||
        context.length > MAX_CONTEXT_LENGTH
      )
        return false;
      try {
        // FIPS 204, Algorithm 3 (ML-DSA.Verify).
        const key = publicKey(raw);
        const input = context.length ? { key, context } : key;
        return verify(null, message, input, signature);
      } catch {
        return false;
      }
    },
  };
}

/** A signature made with a context verifies only with that context, both ways round. */
function checkContexts(suite: SignatureSuite, reference: SignatureSuite): void {
  const { publicKey, secretKey } = reference.generateKeyPair(new Uint8Array(suite.lengths.seed));
  const message = Uint8Array.of(1, 2, 3);
  const context = Uint8Array.of(0x6d);
  const ours = suite.sign(message, secretKey, { context });
  const theirs = reference.sign(message, secretKey, { context });
  const honoured =
    reference.verify(ours, message, publicKey, { context }) &&
    !reference.verify(ours, message, publicKey) &&
    suite.verify(theirs, message, publicKey, { context }) &&
    !suite.verify(theirs, message, publicKey);
  if (!honoured)
    throw new CryptoError(
      'backend-unavailable',
      `node:crypto ${suite.id} does not apply FIPS 204 context strings here`,
    );
}

/** One DER TLV (X.690, section 8.1): tag, definite length, contents. */
function der(tag: number, contents: Uint8Array): Uint8Array {
  const n = contents.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return concatBytes(Uint8Array.of(tag, ...length), contents);
}
