/** The transparency log's math and formats: Merkle trees, proofs, checkpoints, signed notes. Pure. */
export { emptyTreeHash, HASH_SIZE, leafHash, nodeHash } from './hash.js';
export {
  completedSubtrees,
  rangeHash,
  rangeRefs,
  splitPoint,
  type LeafRange,
  type SubtreeLookup,
  type SubtreeRef,
} from './subtree.js';
export {
  consistencyProofRanges,
  inclusionProofRanges,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
} from './proof.js';
export {
  CheckpointError,
  formatCheckpoint,
  isValidOrigin,
  parseCheckpoint,
  type Checkpoint,
  type CheckpointErrorCode,
} from './checkpoint.js';
export {
  formatNote,
  isValidKeyName,
  MAX_NOTE_BYTES,
  MAX_NOTE_SIGNATURES,
  NoteError,
  parseNote,
  type Note,
  type NoteErrorCode,
  type NoteSignature,
} from './note.js';
export {
  ED25519_NOTE_TYPE,
  ed25519VerifierKey,
  ML_DSA_44_COSIGNATURE_TYPE,
  mlDsa44CosignedMessage,
  noteKeyId,
  parseEd25519VerifierKey,
} from './note-keys.js';
export {
  openCheckpoint,
  signCheckpoint,
  type CheckpointKey,
  type CheckpointKeys,
  type CheckpointKeySet,
  type CheckpointProblem,
  type CheckpointSigner,
  type CheckpointVerifier,
  type OpenedCheckpoint,
  type SignatureVerifier,
} from './checkpoint-signature.js';
