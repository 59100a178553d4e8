/**
 * One client's view of one log: pin its keys on first contact, then accept a new checkpoint only
 * if it is signed by the pinned keys and consistent with the last checkpoint this client saw.
 */
import { loadSignatureSuite } from '../crypto/suites.js';
import type { CheckpointVerifier } from '../log/checkpoint-signature.js';
import type { Checkpoint } from '../log/checkpoint.js';
import { canonicalize } from '../json/canonicalize.js';
import { equalBytes } from '../crypto/encoding.js';
import { loadLogState, saveForkEvidence, saveLogState, type LogState } from './client-state.js';
import type { RegistryClient } from './http-client.js';
import {
  checkpointVerifierFor,
  isConsistent,
  openVerifiedCheckpoint,
  VerificationError,
} from './log-verifier.js';

/** The log forked or rolled back: two validly signed, inconsistent checkpoints. */
export class ForkDetectedError extends Error {
  override readonly name = 'ForkDetectedError';
  constructor(
    message: string,
    readonly evidenceFile: string,
  ) {
    super(message);
  }
}

export interface LogSession {
  readonly verifier: CheckpointVerifier;
  /** True when the keys were pinned by this session (first contact). */
  readonly pinnedNow: boolean;
  readonly previous: Checkpoint | undefined;
  /** Verifies `note` against the pinned keys and the last seen checkpoint, then remembers it. */
  advance(note: string): Promise<Checkpoint & { timestamp: number }>;
}

export async function openLogSession(
  client: RegistryClient,
  server: string,
  configDir: string,
): Promise<LogSession> {
  const [keys, ed25519, mlDsa44] = await Promise.all([
    client.keys(),
    loadSignatureSuite('ed25519'),
    loadSignatureSuite('ml-dsa-44'),
  ]);
  const state = await loadLogState(configDir, keys.origin);
  if (state && canonicalize(state.keys) !== canonicalize(keys)) {
    throw new VerificationError(
      `the log ${keys.origin} at ${server} presents other keys than the ones pinned on first contact (from ${state.server}); refusing to trust it`,
    );
  }
  const verifier = checkpointVerifierFor(state?.keys ?? keys, { ed25519, mlDsa44 });
  const previousNote = state?.checkpoint;
  const previous =
    previousNote === undefined ? undefined : openVerifiedCheckpoint(previousNote, verifier);
  let current: LogState = { ...(state ?? { origin: keys.origin, keys }), server };
  if (!state) await saveLogState(configDir, current);
  let last = previous;
  let lastNote = previousNote;
  return {
    verifier,
    pinnedNow: state === undefined,
    previous,
    advance: async (note) => {
      const next = openVerifiedCheckpoint(note, verifier);
      if (last !== undefined && lastNote !== undefined) {
        let consistent: boolean;
        if (next.size < last.size) consistent = false;
        else if (next.size === last.size) consistent = equalBytes(next.rootHash, last.rootHash);
        else
          consistent = isConsistent(
            last,
            next,
            (await client.consistencyProof(last.size, next.size)).hashes,
          );
        if (!consistent) {
          const evidence = await saveForkEvidence(configDir, server, lastNote, note);
          const what =
            next.size < last.size
              ? `rolled back from size ${last.size} to ${next.size}`
              : `is not consistent with the checkpoint of size ${last.size} seen before`;
          throw new ForkDetectedError(
            `the log ${what}: both checkpoints are validly signed (evidence: ${evidence})`,
            evidence,
          );
        }
      }
      if (last === undefined || next.size >= last.size) {
        last = next;
        lastNote = note;
        current = { ...current, checkpoint: note };
        await saveLogState(configDir, current);
      }
      return next;
    },
  };
}
