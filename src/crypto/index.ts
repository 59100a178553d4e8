/**
 * The crypto layer's public surface: signature suites, keys and identities, DSSE envelopes,
 * HPKE. Pure: no file or network I/O, runs in a browser (Ed25519 falls back to @noble/curves
 * where node:crypto is missing).
 */
export * from './algorithms.js';
export { sha256Digest } from './digest.js';
export { base64Decode, base64Encode } from './encoding.js';
export { CryptoError, type CryptoErrorCode } from './errors.js';
export type { BackendName, KeyPair, SignatureSuite, SignOptions, VerifyOptions } from './suite.js';
export {
  BACKEND_PREFERENCES,
  isBackendPreference,
  loadSignatureSuite,
  type BackendPreference,
} from './suites.js';
export {
  keyId,
  ownerId,
  publicKeyFromJson,
  publicKeyOf,
  publicKeyToJson,
  type PublicKey,
  type PublicKeyJson,
} from './keys.js';
export {
  pae,
  parseEnvelope,
  signEnvelope,
  signerFor,
  verifierFor,
  verifyEnvelope,
  type Envelope,
  type EnvelopeSignature,
  type EnvelopeSigner,
  type EnvelopeVerification,
  type EnvelopeVerifier,
} from './dsse.js';
export { PAYLOAD_TYPES, type PayloadType } from './payload-types.js';
export {
  collectBytes,
  DEFAULT_CHUNK_SIZE,
  generateHpkeKeyPair,
  hpkeOpen,
  hpkeSeal,
  type HpkeKeyPair,
} from './hpke.js';
