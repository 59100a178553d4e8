/**
 * The trust layer: trust roots (keys, roles, thresholds, expiry) and their TUF-style update
 * chain, revocation lists, enrolment and log rotation records, and checkpoints verified under a
 * root. Pure: documents and bytes in, verdicts out; runs in a browser. Refusals are TrustErrors
 * with a stable `code` (see errors.ts).
 */
export { TrustError, type TrustErrorCode } from './errors.js';
export {
  addSignature,
  preloadedSuites,
  signDocument,
  unsignedEnvelope,
  verifySignedBy,
  type SignedBy,
  type SuiteLoader,
} from './signatures.js';
export {
  buildTrustRoot,
  checkNotExpired,
  checkServedRoot,
  LOG_KEY_ALGORITHM,
  logKeyHalves,
  logKeyOf,
  parseTrustRoot,
  peekTrustRoot,
  roleKeys,
  TRUST_ROLES,
  TRUST_ROOT_TYPE,
  trustRootPayload,
  verifyRootChain,
  verifyRootSelfSigned,
  type RoleDefinition,
  type TrustRole,
  type TrustRoot,
  type TrustRootInput,
} from './trust-root.js';
export {
  buildRevocationList,
  checkRevocationUpdate,
  findRevocation,
  MAX_REASON_LENGTH,
  parseRevocationList,
  peekRevocationList,
  REVOCATIONS_TYPE,
  revocationListPayload,
  verifyRevocationList,
  type Revocation,
  type RevocationList,
  type RevocationListInput,
} from './revocations.js';
export {
  buildEnrolment,
  ENROLMENT_LANES,
  ENROLMENT_TYPE,
  enrolmentPayload,
  MAX_TIER,
  parseEnrolment,
  verifyEnrolment,
  type Enrolment,
  type EnrolmentInput,
  type EnrolmentLane,
} from './enrolment.js';
export {
  buildLogRotation,
  LOG_ROTATION_TYPE,
  logRotationPayload,
  parseLogRotation,
  verifyLogRotation,
  type LogRotation,
  type LogRotationInput,
} from './rotation.js';
export {
  buildLegacyImport,
  LEGACY_IMPORT_TYPE,
  legacyImportPayload,
  parseLegacyImport,
  verifyLegacyImport,
  type LegacyImport,
  type LegacyImportInput,
  type LegacySkip,
  type LegacySource,
} from './legacy-import.js';
export {
  buildClaim,
  CLAIM_TYPE,
  claimPayload,
  parseClaim,
  verifyClaim,
  type Claim,
  type ClaimInput,
} from './claim.js';
export {
  buildTakedown,
  parseTakedown,
  TAKEDOWN_TYPE,
  takedownPayload,
  verifyTakedown,
  type Takedown,
  type TakedownInput,
} from './takedown.js';
export {
  checkpointKeysFromRoot,
  verifyCheckpoint,
  type CheckpointSuites,
  type VerifiedCheckpoint,
} from './checkpoint.js';
export { draftNextRoot, type RootChanges } from './draft.js';
