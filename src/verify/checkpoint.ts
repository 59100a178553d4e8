/**
 * Signed checkpoints (C2SP tlog-checkpoint in a C2SP signed note), three ways to trust them:
 * under a trust root and its revocation list (the registry's own model), under an explicit log
 * key set with a threshold (each key an Ed25519 line and an ML-DSA-44 cosignature line, both
 * required), or under a set of Ed25519 note keys with a threshold (witnesses, Go verifiers).
 */
import {
  openCheckpoint,
  type CheckpointKeySet,
  type CheckpointVerifier,
} from '../log/checkpoint-signature.js';
import { CheckpointError, parseCheckpoint, type Checkpoint } from '../log/checkpoint.js';
import { NoteError, parseNote } from '../log/note.js';
import { parseEd25519VerifierKey } from '../log/note-keys.js';
import { publicKeyFromJson } from '../crypto/keys.js';
import {
  verifyCheckpoint as verifyCheckpointOfRoot,
  type VerifiedCheckpoint,
} from '../trust/checkpoint.js';
import type { RevocationList } from '../trust/revocations.js';
import type { TrustRoot } from '../trust/trust-root.js';
import { verifyNote, type NoteKeySet, type VerifiedNote } from './note.js';
import type { VerifierSuites } from './suites.js';
import type { LogKeysJson } from './wire.js';

export type { VerifiedCheckpoint } from '../trust/checkpoint.js';

/**
 * Verifies a checkpoint note under `root`: the root's origin, a threshold of its log role's keys
 * (both lines each), keys in `revocations` counting only for timestamps before their
 * revocation. Throws TrustError: `malformed`, `wrong-origin`, `bad-signature`, `threshold`,
 * `revoked-key`.
 */
export function verifyCheckpointUnderRoot(
  note: string,
  root: TrustRoot,
  options: {
    readonly suites: Pick<VerifierSuites, 'ed25519' | 'mlDsa44'>;
    readonly revocations?: RevocationList;
  },
): VerifiedCheckpoint {
  return verifyCheckpointOfRoot(note, root, options.revocations, options.suites);
}

/**
 * Verifies a checkpoint note under an explicit log key set (or one pinned key), whose `name` is
 * the key name of every line. `origin` defaults to that name. Throws CheckpointError:
 * `malformed`, `wrong-origin`, `bad-signature`, `missing-signature`, `revoked-key`.
 */
export function verifyCheckpointWithKeys(
  note: string,
  keys: CheckpointKeySet | CheckpointVerifier,
  origin: string = keys.name,
): VerifiedCheckpoint {
  const opened = openCheckpoint(note, keys, origin);
  if (!opened.ok) throw new CheckpointError(opened.problem, opened.message);
  return { checkpoint: opened.checkpoint, timestamp: opened.timestamp };
}

/**
 * Verifies a checkpoint note signed by a threshold of Ed25519 note keys (witnesses, or a log
 * checked the way Go's sumdb/note checks it), then parses it. Throws NoteError (see
 * `verifyNote`) or CheckpointError `malformed`, `wrong-origin` (when `origin` is given).
 */
export function verifyCheckpointByWitnesses(
  note: string | Uint8Array,
  witnesses: NoteKeySet,
  ed25519: VerifierSuites['ed25519'],
  origin?: string,
): { readonly checkpoint: Checkpoint; readonly note: VerifiedNote } {
  const verified = verifyNote(note, witnesses, ed25519);
  const checkpoint = parseCheckpoint(verified.text);
  if (origin !== undefined && checkpoint.origin !== origin)
    throw new CheckpointError(
      'wrong-origin',
      `checkpoint origin is ${JSON.stringify(checkpoint.origin)}, expected ${JSON.stringify(origin)}`,
    );
  return { checkpoint, note: verified };
}

/** What a checkpoint is trusted under: a trust root, a log key set, or witnesses. */
export type CheckpointTrust =
  | {
      readonly root: TrustRoot;
      readonly revocations?: RevocationList;
      readonly suites: Pick<VerifierSuites, 'ed25519' | 'mlDsa44'>;
    }
  | { readonly keys: CheckpointKeySet | CheckpointVerifier; readonly origin?: string }
  | {
      readonly witnesses: NoteKeySet;
      readonly ed25519: VerifierSuites['ed25519'];
      readonly origin?: string;
    };

/**
 * Verifies a checkpoint note under whichever trust is given: `verifyCheckpointUnderRoot`,
 * `verifyCheckpointWithKeys` or `verifyCheckpointByWitnesses`, with their errors. Returns the
 * checkpoint the signatures vouch for.
 */
export function verifyCheckpoint(
  note: string,
  trust: CheckpointTrust,
): { readonly checkpoint: Checkpoint } {
  if ('root' in trust)
    return verifyCheckpointUnderRoot(note, trust.root, {
      suites: trust.suites,
      ...(trust.revocations === undefined ? {} : { revocations: trust.revocations }),
    });
  if ('keys' in trust) return verifyCheckpointWithKeys(note, trust.keys, trust.origin);
  return verifyCheckpointByWitnesses(note, trust.witnesses, trust.ed25519, trust.origin);
}

/**
 * Reads a checkpoint note WITHOUT checking any signature: to learn which size to fetch proofs
 * for before verifying. Throws CheckpointError `malformed` (also for a malformed note).
 */
export function peekCheckpoint(note: string): Checkpoint {
  try {
    return parseCheckpoint(parseNote(note).text);
  } catch (error) {
    if (error instanceof NoteError)
      throw new CheckpointError('malformed', `checkpoint note: ${error.message}`, { cause: error });
    throw error;
  }
}

/**
 * The checkpoint verifier of a log's published keys document (`GET /api/v1/log/keys`): its
 * Ed25519 note key, which must be named for the log's origin, and its ML-DSA-44 key. Throws
 * CheckpointError `malformed` when the document is not such a pair; a key that does not parse
 * throws as `parseEd25519VerifierKey` and `publicKeyFromJson` do.
 */
export function checkpointVerifierForKeys(
  keys: LogKeysJson,
  suites: Pick<VerifierSuites, 'ed25519' | 'mlDsa44'>,
): CheckpointVerifier {
  const { name, publicKey } = parseEd25519VerifierKey(keys.ed25519_vkey);
  const mlDsa = publicKeyFromJson(keys.ml_dsa_44, 'ml_dsa_44');
  if (mlDsa.algorithm !== 'ml-dsa-44')
    throw new CheckpointError('malformed', 'the log ML-DSA key is not ML-DSA-44');
  if (name !== keys.origin)
    throw new CheckpointError(
      'malformed',
      `the log key name ${name} is not its origin ${keys.origin}`,
    );
  return {
    name,
    ed25519PublicKey: publicKey,
    mlDsa44PublicKey: mlDsa.publicKey,
    ed25519: suites.ed25519,
    mlDsa44: suites.mlDsa44,
  };
}
