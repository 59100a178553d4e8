/**
 * ML-DSA (FIPS 204) and Falcon (round 3) on `@oqs/liboqs-js`: liboqs compiled to WebAssembly,
 * several times faster than pure JavaScript. liboqs's public signing API takes no context
 * string, so calls with a non-empty FIPS 204 context go to the noble suite, which gives the
 * same result (both implement the same standard; the test suite checks they agree).
 */
import {
  createFalcon1024,
  createFalcon512,
  createMLDSA44,
  createMLDSA65,
  createMLDSA87,
} from '@oqs/liboqs-js/sig';
import type { SignatureAlgorithm } from '../algorithms.js';
import { CryptoError } from '../errors.js';
import type { KeyPair, SignatureSuite, SignOptions, VerifyOptions } from '../suite.js';
import { createWithEntropyHook } from './liboqs-entropy.js';
import { checkSecretKey, nobleSuite, refuseContext } from './noble.js';
import { checkSeed, fixedRandom, randomSeed } from '../random.js';

type PostQuantumAlgorithm = Exclude<SignatureAlgorithm, 'ed25519'>;

interface LibOqsSigner {
  generateKeyPair(): { publicKey: Uint8Array; secretKey: Uint8Array };
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array;
  verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean;
}

const CREATE: Record<PostQuantumAlgorithm, () => Promise<LibOqsSigner>> = {
  'ml-dsa-44': createMLDSA44,
  'ml-dsa-65': createMLDSA65,
  'ml-dsa-87': createMLDSA87,
  'falcon-512': createFalcon512,
  'falcon-1024': createFalcon1024,
};

/** Loads the WebAssembly module for `id` (tens of milliseconds, once per process). */
export async function liboqsSuite(id: PostQuantumAlgorithm): Promise<SignatureSuite> {
  let loaded;
  try {
    loaded = await createWithEntropyHook(CREATE[id]);
  } catch (error) {
    throw new CryptoError('backend-unavailable', `liboqs (WebAssembly) could not load ${id}`, {
      cause: error,
    });
  }
  const { value: signer, withRandom } = loaded;
  const reference = nobleSuite(id);
  const isMlDsa = id.startsWith('ml-dsa');
  const lengths = { ...reference.lengths };

  return {
    id,
    backend: 'liboqs',
    lengths,
    generateKeyPair(seed?: Uint8Array): KeyPair {
      const bytes =
        seed === undefined ? randomSeed(lengths.seed) : checkSeed(id, seed, lengths.seed);
      // FIPS 204, Algorithm 1, line 1 / Falcon keygen: the seed is the one random input.
      const { publicKey, secretKey } = withRandom(fixedRandom(bytes), () =>
        signer.generateKeyPair(),
      );
      return { seed: Uint8Array.from(bytes), publicKey, secretKey };
    },
    sign(message, secretKey, options: SignOptions = {}): Uint8Array {
      if (isMlDsa && options.context !== undefined && options.context.length > 0)
        return reference.sign(message, secretKey, options);
      if (!isMlDsa) refuseContext(id, options.context);
      checkSecretKey(id, secretKey, lengths.secretKey);
      return withRandom(options.random, () => signer.sign(plain(message), plain(secretKey)));
    },
    verify(signature, message, publicKey, options: VerifyOptions = {}): boolean {
      if (options.context !== undefined && options.context.length > 0)
        return isMlDsa && reference.verify(signature, message, publicKey, options);
      const fixedLength = isMlDsa ? signature.length === lengths.signature : signature.length > 0;
      if (!fixedLength || signature.length > lengths.signature) return false;
      if (publicKey.length !== lengths.publicKey) return false;
      return signer.verify(plain(message), plain(signature), plain(publicKey));
    },
  };
}

/** The wrapper accepts only plain Uint8Array (not Buffer or other subclasses). */
function plain(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array ? bytes : Uint8Array.from(bytes);
}
