/**
 * Hybrid signatures: ML-DSA and Ed25519 over the same message, both required (DESIGN.md,
 * Formats). A forger must break both; stripping or swapping either half fails verification.
 *
 * The construction follows the composite ML-DSA design of the IETF LAMPS working group
 * (draft-ietf-lamps-pq-composite-sigs, "Composite ML-DSA", section on signature generation):
 *
 *   M' = Prefix || Label || len(ctx) || ctx || SHA-512(M)
 *   signature = ML-DSA.Sign(sk_pq, M', ctx = Label) || Ed25519.Sign(sk_ed, M')
 *
 * Prefix and Label bind both halves to this algorithm, so neither half verifies as a plain
 * ML-DSA or Ed25519 signature over M (no cross-protocol reuse). Keys and signatures are the
 * concatenations ML-DSA || Ed25519 at fixed lengths. The byte-level encoding is tested here by
 * round trips and downgrade tests, not against the draft's vectors (not available offline).
 */
import { sha512 } from '@noble/hashes/sha2.js';
import type { HybridAlgorithm } from './algorithms.js';
import { concatBytes, utf8 } from './encoding.js';
import { CryptoError } from './errors.js';
import { checkContext } from './backends/noble.js';
import type { KeyPair, SignatureSuite, SignOptions, VerifyOptions } from './suite.js';

const PREFIX = utf8('CompositeAlgorithmSignatures2025');

const LABELS: Record<HybridAlgorithm, Uint8Array> = {
  'hybrid-ml-dsa-44-ed25519': utf8('COMPSIG-MLDSA44-Ed25519-SHA512'),
  'hybrid-ml-dsa-65-ed25519': utf8('COMPSIG-MLDSA65-Ed25519-SHA512'),
};

/** The ML-DSA parameter set inside each hybrid. */
export const HYBRID_COMPONENTS = {
  'hybrid-ml-dsa-44-ed25519': 'ml-dsa-44',
  'hybrid-ml-dsa-65-ed25519': 'ml-dsa-65',
} as const;

/** Combines an ML-DSA suite and an Ed25519 suite (of any backends) into the hybrid `id`. */
export function hybridSuite(
  id: HybridAlgorithm,
  mlDsa: SignatureSuite,
  ed25519: SignatureSuite,
): SignatureSuite {
  if (mlDsa.id !== HYBRID_COMPONENTS[id] || ed25519.id !== 'ed25519')
    throw new CryptoError(
      'invalid-argument',
      `${id} is built from ${HYBRID_COMPONENTS[id]} and ed25519`,
    );
  const label = LABELS[id];
  const pq = mlDsa.lengths;
  const ed = ed25519.lengths;
  const lengths = {
    seed: pq.seed + ed.seed,
    publicKey: pq.publicKey + ed.publicKey,
    secretKey: pq.secretKey + ed.secretKey,
    signature: pq.signature + ed.signature,
  };
  const message = (m: Uint8Array, context: Uint8Array): Uint8Array =>
    concatBytes(PREFIX, label, Uint8Array.of(context.length), context, sha512(m));

  return {
    id,
    backend: mlDsa.backend,
    lengths,
    generateKeyPair(seed?: Uint8Array): KeyPair {
      if (seed !== undefined && seed.length !== lengths.seed)
        throw new CryptoError(
          'invalid-argument',
          `${id} key seed must be ${lengths.seed} bytes, got ${seed.length}`,
        );
      const a = mlDsa.generateKeyPair(seed?.subarray(0, pq.seed));
      const b = ed25519.generateKeyPair(seed?.subarray(pq.seed));
      return {
        seed: concatBytes(a.seed, b.seed),
        publicKey: concatBytes(a.publicKey, b.publicKey),
        secretKey: concatBytes(a.secretKey, b.secretKey),
      };
    },
    sign(m, secretKey, options: SignOptions = {}): Uint8Array {
      if (secretKey.length !== lengths.secretKey)
        throw new CryptoError(
          'invalid-key',
          `${id} secret key must be ${lengths.secretKey} bytes, got ${secretKey.length}`,
        );
      const mPrime = message(m, checkContext(id, options.context));
      const pqSignature = mlDsa.sign(mPrime, secretKey.subarray(0, pq.secretKey), {
        context: label,
        ...(options.random ? { random: options.random } : {}),
      });
      const edSignature = ed25519.sign(mPrime, secretKey.slice(pq.secretKey));
      return concatBytes(pqSignature, edSignature);
    },
    verify(signature, m, publicKey, options: VerifyOptions = {}): boolean {
      const context = options.context ?? new Uint8Array(0);
      if (
        signature.length !== lengths.signature ||
        publicKey.length !== lengths.publicKey ||
        context.length > 255
      )
        return false;
      const mPrime = message(m, context);
      // Both halves are always checked (no early exit), and both must pass.
      const pqValid = mlDsa.verify(
        signature.subarray(0, pq.signature),
        mPrime,
        publicKey.subarray(0, pq.publicKey),
        { context: label },
      );
      const edValid = ed25519.verify(
        signature.slice(pq.signature),
        mPrime,
        publicKey.slice(pq.publicKey),
      );
      return pqValid && edValid;
    },
  };
}
