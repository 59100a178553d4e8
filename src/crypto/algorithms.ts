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

/**
 * Hybrid keys: an ML-DSA key and an Ed25519 key used together; a signature is valid only when
 * both component signatures are (DESIGN.md, Formats: "hybrid = both ... both required").
 */
export const HYBRID_ALGORITHMS = ['hybrid-ml-dsa-44-ed25519', 'hybrid-ml-dsa-65-ed25519'] as const;

export type HybridAlgorithm = (typeof HYBRID_ALGORITHMS)[number];

/** Everything a key can be: a single signature algorithm or a hybrid. */
export type KeyAlgorithm = SignatureAlgorithm | HybridAlgorithm;

export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = [
  ...SIGNATURE_ALGORITHMS,
  ...HYBRID_ALGORITHMS,
];

export function isKeyAlgorithm(name: string): name is KeyAlgorithm {
  return (KEY_ALGORITHMS as readonly string[]).includes(name);
}

export interface ResolvedAlgorithm {
  readonly algorithm: KeyAlgorithm;
  /** Set when `name` was a legacy alias: a deprecation message to show the user. */
  readonly deprecation?: string;
}

/**
 * Resolves a user-supplied algorithm name, mapping the legacy Dilithium names to ML-DSA with a
 * deprecation message. Returns `undefined` for names the registry does not implement.
 */
export function resolveAlgorithm(name: string): ResolvedAlgorithm | undefined {
  if (isKeyAlgorithm(name)) return { algorithm: name };
  if (!Object.hasOwn(LEGACY_ALGORITHM_ALIASES, name)) return undefined;
  const standard = LEGACY_ALGORITHM_ALIASES[name] as SignatureAlgorithm;
  return {
    algorithm: standard,
    deprecation: `algorithm name ${JSON.stringify(name)} is deprecated: it is read as ${JSON.stringify(standard)} (FIPS 204); use that name instead`,
  };
}
