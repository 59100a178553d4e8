/**
 * Checkpoints under a trust root: the root's log role is the key set a signed checkpoint note is
 * opened against (src/log/checkpoint-signature.ts), with its threshold, and the revocation list
 * bounds when each log key may have signed. Each log key is a `hybrid-ml-dsa-44-ed25519` key
 * whose halves are the ML-DSA-44 key of the cosignature line and the Ed25519 key of the note
 * line; it counts only when both lines verify.
 */
import {
  openCheckpoint,
  type CheckpointKey,
  type CheckpointKeys,
  type CheckpointProblem,
  type SignatureVerifier,
} from '../log/checkpoint-signature.js';
import type { Checkpoint } from '../log/checkpoint.js';
import { TrustError, type TrustErrorCode } from './errors.js';
import { findRevocation, type RevocationList } from './revocations.js';
import { logKeyHalves, roleKeys, type TrustRoot } from './trust-root.js';

/** The two component verifiers of the log's hybrid keys (crypto SignatureSuites fit). */
export interface CheckpointSuites {
  readonly ed25519: SignatureVerifier;
  readonly mlDsa44: SignatureVerifier;
}

export interface VerifiedCheckpoint {
  readonly checkpoint: Checkpoint;
  /** POSIX seconds: the cosignature timestamp. */
  readonly timestamp: number;
}

/**
 * The key set of `root`'s log role, named by the root's origin, with the role's threshold. A key
 * revoked in `revocations` gets `revokedAt` (POSIX seconds of `revoked_at`, rounded up), so it
 * counts only for checkpoints whose timestamp is before its revocation.
 */
export function checkpointKeysFromRoot(
  root: TrustRoot,
  revocations?: RevocationList,
): CheckpointKeys {
  const keys = roleKeys(root, 'log').map((key): CheckpointKey => {
    const revoked = findRevocation(revocations, key.keyid);
    return {
      mlDsa44PublicKey: logKeyHalves(key).mlDsa44,
      ed25519PublicKey: logKeyHalves(key).ed25519,
      label: key.keyid,
      ...(revoked ? { revokedAt: Math.ceil(Date.parse(revoked.revoked_at) / 1000) } : {}),
    };
  });
  return { name: root.origin, keys, threshold: root.roles.log.threshold };
}

const CODES: Readonly<Record<CheckpointProblem, TrustErrorCode>> = {
  malformed: 'malformed',
  'wrong-origin': 'wrong-origin',
  'bad-signature': 'bad-signature',
  'revoked-key': 'revoked-key',
  'missing-signature': 'threshold',
};

/**
 * Opens a checkpoint note under `root` (origin = the root's, key set from its log role, minus
 * revoked keys from their revocation time). Throws TrustError: `revoked-key` when the threshold
 * is met only with keys revoked before they signed, `threshold` when too few current log keys
 * signed with both lines (keys no longer in the root are ignored), `bad-signature` when a line of
 * a log key does not verify, `wrong-origin`, `malformed`.
 */
export function verifyCheckpoint(
  note: string,
  root: TrustRoot,
  revocations: RevocationList | undefined,
  suites: CheckpointSuites,
): VerifiedCheckpoint {
  const keys = checkpointKeysFromRoot(root, revocations);
  const opened = openCheckpoint(note, { ...keys, ...suites }, root.origin);
  if (!opened.ok)
    throw new TrustError(
      CODES[opened.problem],
      `checkpoint refused under trust root v${root.version}: ${opened.message}`,
    );
  return { checkpoint: opened.checkpoint, timestamp: opened.timestamp };
}
