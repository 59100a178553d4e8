/** SHA-256 (FIPS 180-4) and the project's `sha256:<hex>` digest notation. Pure, browser-safe. */
export { sha256Digest } from './digest.js';
export { sha256 } from './sha256.js';
