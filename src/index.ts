/**
 * The `matriz` library: everything here is pure (no I/O) and runs in a browser as well as in
 * Node.js. Subpath exports (`matriz/nodespec`) give the same functions by layer.
 */
export * from './json/index.js';
export * from './nodespec/index.js';
export { sha256Digest } from './crypto/digest.js';
export {
  CLASSICAL_ALGORITHMS,
  LEGACY_ALGORITHM_ALIASES,
  SIGNATURE_ALGORITHMS,
  isSignatureAlgorithm,
  type SignatureAlgorithm,
} from './crypto/algorithms.js';
