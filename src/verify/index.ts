/**
 * `matriz/verify`: everything a client needs to check the registry's evidence offline, in
 * Node.js or a browser. Pure: plain data in (strings, bytes, parsed JSON), a typed result out,
 * or a typed error with a stable `code` (NoteError, CheckpointError, TrustError,
 * EvidenceError, CryptoError; docs/api.md lists every code). Only the pure layers are used:
 * src/log, src/trust, src/crypto, src/json.
 */
export { loadVerifierSuites, type VerifierSuites } from './suites.js';
export { verifyNote, type NoteKeySet, type VerifiedNote } from './note.js';
export {
  checkpointVerifierForKeys,
  peekCheckpoint,
  verifyCheckpoint,
  verifyCheckpointByWitnesses,
  type CheckpointTrust,
  verifyCheckpointUnderRoot,
  verifyCheckpointWithKeys,
  type VerifiedCheckpoint,
} from './checkpoint.js';
export {
  verifyConsistencyProof,
  verifyInclusionProof,
  type ProofHashes,
  type TreeHead,
} from './proofs.js';
export { verifyWriteResult } from './write.js';
export {
  CONTROL_KINDS,
  parseLeaf,
  verifyClaimLeaf,
  verifyLegacyImportLeaf,
  type ControlKind,
  type LogLeaf,
} from './leaf.js';
export {
  parseClaim,
  parseLegacyImport,
  verifyClaim,
  verifyLegacyImport,
  type Claim,
  type LegacyImport,
  type LegacySkip,
  type LegacySource,
} from '../trust/index.js';
export {
  verifyEntry,
  verifyImportedEntry,
  type ClaimEvidence,
  type RegistryEntry,
} from './entry.js';
export { verifyRevocations, verifyTrustRootChain, type TrustRootChain } from './trust.js';
export { EvidenceError, type EvidenceErrorCode } from './errors.js';
export type {
  ControlResult,
  EntrySummaryJson,
  InclusionProofJson,
  LogKeysJson,
  VersionJson,
  VersionsJson,
  WriteResult,
} from './wire.js';
export {
  CheckpointError,
  NoteError,
  type Checkpoint,
  type CheckpointErrorCode,
  type CheckpointKey,
  type CheckpointKeys,
  type CheckpointKeySet,
  type CheckpointVerifier,
  type NoteErrorCode,
  type NoteSignature,
  type SignatureVerifier,
} from '../log/index.js';
export {
  checkpointKeysFromRoot,
  TrustError,
  type Revocation,
  type RevocationList,
  type TrustErrorCode,
  type TrustRoot,
} from '../trust/index.js';
export {
  checkWitnessPolicy,
  cosignedAt,
  parseWitnessPolicy,
  parseWitnessVerifierKey,
  witnessVerifierKey,
  type WitnessKey,
  type WitnessPolicy,
} from '../log/cosignature.js';
export { parseNote } from '../log/note.js';
export { CryptoError, type CryptoErrorCode } from '../crypto/errors.js';
export type { BackendPreference } from '../crypto/suites.js';
