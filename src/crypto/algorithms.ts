/**
 * Names of the signature algorithms the project knows, and their legacy aliases.
 *
 * The round-3 CRYSTALS-Dilithium names survive in older NodeSpecs; FIPS 204 standardized the
 * scheme as ML-DSA with different encodings, so `dilithium2|3|5` are read as
 * `ml-dsa-44|65|87` with a deprecation warning rather than refused.
 */

export const SIGNATURE_ALGORITHMS = [
  'ml-dsa-44',
  'ml-dsa-65',
  'ml-dsa-87',
  'falcon-512',
  'falcon-1024',
  'ed25519',
] as const;

export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

export const LEGACY_ALGORITHM_ALIASES: Readonly<Record<string, SignatureAlgorithm>> = {
  dilithium2: 'ml-dsa-44',
  dilithium3: 'ml-dsa-65',
  dilithium5: 'ml-dsa-87',
};

/** Algorithms with no post-quantum security. */
export const CLASSICAL_ALGORITHMS: ReadonlySet<SignatureAlgorithm> = new Set(['ed25519']);

export function isSignatureAlgorithm(name: string): name is SignatureAlgorithm {
  return (SIGNATURE_ALGORITHMS as readonly string[]).includes(name);
}
