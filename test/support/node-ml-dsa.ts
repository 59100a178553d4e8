import { generateKeyPairSync } from 'node:crypto';

/**
 * Whether this Node.js's own node:crypto has ML-DSA (24.7+ with OpenSSL 3.5), asked of
 * node:crypto directly so the tests do not take the backend's word for it.
 */
export const NODE_HAS_ML_DSA = ((): boolean => {
  try {
    generateKeyPairSync('ml-dsa-44' as 'ed25519');
    return true;
  } catch {
    return false;
  }
})();
