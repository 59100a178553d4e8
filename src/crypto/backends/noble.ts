/**
 * ML-DSA (FIPS 204) and Falcon (round 3) on `@noble/post-quantum`: pure TypeScript, audited,
 * runs anywhere JavaScript does. The reference backend: complete API (contexts, seeds), slower
 * than the WASM one.
 */
import { falcon1024, falcon512 } from '@noble/post-quantum/falcon.js';
import { ml_dsa44, ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import type { SignatureAlgorithm } from '../algorithms.js';
import { CryptoError } from '../errors.js';
import type { KeyPair, SignatureSuite, SignOptions, VerifyOptions } from '../suite.js';
import { checkSeed, randomSeed } from '../random.js';

type PostQuantumAlgorithm = Exclude<SignatureAlgorithm, 'ed25519'>;

/** FIPS 204, section 5.2: the context string is at most 255 bytes. */
export const MAX_CONTEXT_LENGTH = 255;

const ML_DSA = { 'ml-dsa-44': ml_dsa44, 'ml-dsa-65': ml_dsa65, 'ml-dsa-87': ml_dsa87 } as const;
const FALCON = { 'falcon-512': falcon512, 'falcon-1024': falcon1024 } as const;

export function nobleSuite(id: PostQuantumAlgorithm): SignatureSuite {
  return id in ML_DSA
    ? nobleMlDsa(id as keyof typeof ML_DSA)
    : nobleFalcon(id as keyof typeof FALCON);
}

/** FIPS 204, Algorithms 1-3 (ML-DSA.KeyGen, ML-DSA.Sign, ML-DSA.Verify): pure ML-DSA. */
function nobleMlDsa(id: keyof typeof ML_DSA): SignatureSuite {
  const dsa = ML_DSA[id];
  const lengths = {
    seed: 32,
    publicKey: dsa.lengths.publicKey ?? 0,
    secretKey: dsa.lengths.secretKey ?? 0,
    signature: dsa.lengths.signature ?? 0,
  };
  return {
    id,
    backend: 'noble',
    lengths,
    generateKeyPair(seed?: Uint8Array): KeyPair {
      const xi = seed === undefined ? randomSeed(lengths.seed) : checkSeed(id, seed, lengths.seed);
      const { publicKey, secretKey } = dsa.keygen(xi);
      return { seed: Uint8Array.from(xi), publicKey, secretKey };
    },
    sign(message: Uint8Array, secretKey: Uint8Array, options: SignOptions = {}): Uint8Array {
      checkSecretKey(id, secretKey, lengths.secretKey);
      const context = checkContext(id, options.context);
      // FIPS 204, Algorithm 2, line 5: rnd is 32 fresh random bytes (hedged signing).
      const extraEntropy = options.random?.(32);
      return dsa.sign(message, secretKey, extraEntropy ? { context, extraEntropy } : { context });
    },
    verify(signature, message, publicKey, options: VerifyOptions = {}): boolean {
      const context = options.context ?? new Uint8Array(0);
      if (
        signature.length !== lengths.signature ||
        publicKey.length !== lengths.publicKey ||
        context.length > MAX_CONTEXT_LENGTH
      )
        return false;
      try {
        return dsa.verify(signature, message, publicKey, { context });
      } catch {
        return false;
      }
    },
  };
}

/** Falcon round-3 specification, section 3.9 (keygen) and 3.10 (sign), detached signatures. */
function nobleFalcon(id: keyof typeof FALCON): SignatureSuite {
  const falcon = FALCON[id];
  const lengths = {
    seed: falcon.lengths.seed ?? 48,
    publicKey: falcon.lengths.publicKey ?? 0,
    secretKey: falcon.lengths.secretKey ?? 0,
    signature: id === 'falcon-512' ? 752 : 1462,
  };
  return {
    id,
    backend: 'noble',
    lengths,
    generateKeyPair(seed?: Uint8Array): KeyPair {
      const bytes =
        seed === undefined ? randomSeed(lengths.seed) : checkSeed(id, seed, lengths.seed);
      const { publicKey, secretKey } = falcon.keygen(bytes);
      return { seed: Uint8Array.from(bytes), publicKey, secretKey };
    },
    sign(message, secretKey, options: SignOptions = {}): Uint8Array {
      checkSecretKey(id, secretKey, lengths.secretKey);
      refuseContext(id, options.context);
      if (options.random === undefined) return falcon.sign(message, secretKey);
      // noble's Falcon takes its nonce and sampler seed from `random` (FalconSigOpts), an
      // option the shared Signer type does not list.
      const falconOptions = { random: options.random } as Parameters<typeof falcon.sign>[2];
      return falcon.sign(message, secretKey, falconOptions);
    },
    verify(signature, message, publicKey, options: VerifyOptions = {}): boolean {
      if (
        (options.context?.length ?? 0) > 0 ||
        signature.length === 0 ||
        signature.length > lengths.signature ||
        publicKey.length !== lengths.publicKey
      )
        return false;
      try {
        return falcon.verify(signature, message, publicKey);
      } catch {
        return false;
      }
    },
  };
}

export function checkSecretKey(id: string, secretKey: Uint8Array, length: number): void {
  if (secretKey.length !== length)
    throw new CryptoError(
      'invalid-key',
      `${id} secret key must be ${length} bytes, got ${secretKey.length}`,
    );
}

export function checkContext(id: string, context: Uint8Array | undefined): Uint8Array {
  const bytes = context ?? new Uint8Array(0);
  if (bytes.length > MAX_CONTEXT_LENGTH)
    throw new CryptoError(
      'invalid-argument',
      `${id} context must be at most ${MAX_CONTEXT_LENGTH} bytes (FIPS 204, section 5.2), got ${bytes.length}`,
    );
  return bytes;
}

/** Falcon and Ed25519 have no context input; silently dropping one would be a misuse. */
export function refuseContext(id: string, context: Uint8Array | undefined): void {
  if (context !== undefined && context.length > 0)
    throw new CryptoError('invalid-argument', `${id} does not take a context string`);
}
