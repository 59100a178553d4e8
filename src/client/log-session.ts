/**
 * One client's view of one log. Once the log publishes a trust root, its checkpoints are checked
 * against the newest root reached by walking the chain from the root this client pinned (first
 * contact, or a file the operator gave), TUF-style: each version signed by the root keys of the
 * one before and of itself, no version skipped, none lower than the pinned one, the newest not
 * expired; and against the newest revocation list signed by that root's revocation role. Until
 * the log has a trust root, its keys are pinned on first contact. Either way a new checkpoint is
 * accepted only if it is consistent with the last checkpoint this client saw.
 */
import { base64Decode, equalBytes } from '../crypto/encoding.js';
import { loadSignatureSuite } from '../crypto/suites.js';
import type { CheckpointKeySet, CheckpointVerifier } from '../log/checkpoint-signature.js';
import type { Checkpoint } from '../log/checkpoint.js';
import { checkWitnessPolicy, type WitnessPolicy } from '../log/cosignature.js';
import { NoteError, parseNote } from '../log/note.js';
import { canonicalize } from '../json/canonicalize.js';
import { checkpointKeysFromRoot } from '../trust/checkpoint.js';
import { TrustError } from '../trust/errors.js';
import { peekRevocationList, type RevocationList } from '../trust/revocations.js';
import {
  checkNotExpired,
  checkServedRoot,
  logKeyOf,
  peekTrustRoot,
  verifyRootSelfSigned,
  type TrustRoot,
} from '../trust/trust-root.js';
import { peekCheckpoint, verifyRevocations, verifyTrustRootChain } from '../verify/index.js';
import { loadLogState, saveForkEvidence, saveLogState, type LogState } from './client-state.js';
import type { LogKeysDocument, RegistryHttp } from './http-client.js';
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
  readonly verifier: CheckpointVerifier | CheckpointKeySet;
  /** True when the keys (or the trust root) were pinned by this session (first contact). */
  readonly pinnedNow: boolean;
  /** The newest verified trust root, once the log has one. */
  readonly trustRoot: TrustRoot | undefined;
  readonly previous: Checkpoint | undefined;
  /**
   * Verifies `note` against the trusted keys, the witness policy (unless `witnessed` is false:
   * a write's own checkpoint, which no witness has seen yet) and the last seen checkpoint, then
   * remembers it.
   */
  advance(
    note: string,
    options?: {
      readonly witnessed?: boolean;
      /**
       * false: a checkpoint that need not be the log's newest (a write's own, answered while
       * other writes of this client went on): one older than the last seen must be a prefix of
       * it, not a rollback. Default true: the log's latest checkpoint never shrinks.
       */
      readonly latest?: boolean;
    },
  ): Promise<Checkpoint & { timestamp: number }>;
}

export interface LogSessionOptions {
  /** A trust root envelope to pin instead of trusting the log's version 1 on first contact. */
  readonly trustRoot?: unknown;
  /** Current time; default now. */
  readonly now?: () => Date;
  /** Checkpoints from the log must be cosigned by this many of these witnesses. */
  readonly witnessPolicy?: WitnessPolicy;
}

export async function openLogSession(
  client: RegistryHttp,
  server: string,
  configDir: string,
  options: LogSessionOptions = {},
): Promise<LogSession> {
  const [keys, ed25519, mlDsa44, servedRoot] = await Promise.all([
    client.keys(),
    loadSignatureSuite('ed25519'),
    loadSignatureSuite('ml-dsa-44'),
    client.trustRoot(),
  ]);
  const state = await loadLogState(configDir, keys.origin);
  let current: LogState = { ...(state ?? { origin: keys.origin, keys }), server };
  let verifier: CheckpointVerifier | CheckpointKeySet;
  let trustRoot: TrustRoot | undefined;
  if (
    servedRoot === undefined &&
    state?.trust_root === undefined &&
    options.trustRoot === undefined
  ) {
    // No trust root anywhere: the log keys pinned on first contact.
    if (state && canonicalize(state.keys) !== canonicalize(keys)) {
      throw new VerificationError(
        `the log ${keys.origin} at ${server} presents other keys than the ones pinned on first contact (from ${state.server}); refusing to trust it`,
      );
    }
    verifier = checkpointVerifierFor(state?.keys ?? keys, { ed25519, mlDsa44 });
  } else {
    const trust = await walkTrust(client, keys, state, servedRoot, options);
    trustRoot = trust.root;
    verifier = { ...checkpointKeysFromRoot(trust.root, trust.revocations), ed25519, mlDsa44 };
    current = {
      ...current,
      trust_root: trust.rootEnvelope,
      ...(trust.revocationsEnvelope === undefined
        ? {}
        : { revocations: trust.revocationsEnvelope }),
    };
  }
  const previousNote = state?.checkpoint;
  // The client's own state: verified when it was saved (its keys may since have been retired).
  const previous = previousNote === undefined ? undefined : peekCheckpoint(previousNote);
  await saveLogState(configDir, current);
  let last = previous;
  let lastNote = previousNote;
  return {
    verifier,
    pinnedNow: state === undefined,
    trustRoot,
    previous,
    advance: async (note, advanceOptions) => {
      const next = openVerifiedCheckpoint(note, verifier);
      if (options.witnessPolicy !== undefined && advanceOptions?.witnessed !== false) {
        try {
          checkWitnessPolicy(parseNote(note), next, options.witnessPolicy, { ed25519, mlDsa44 });
        } catch (error) {
          if (error instanceof NoteError)
            throw new VerificationError(`witness policy: ${error.message}`, { cause: error });
          throw error;
        }
      }
      if (last !== undefined && lastNote !== undefined) {
        let consistent: boolean;
        if (next.size < last.size)
          consistent =
            advanceOptions?.latest === false &&
            isConsistent(next, last, (await client.consistencyProof(next.size, last.size)).hashes);
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
            next.size < last.size && advanceOptions?.latest !== false
              ? `rolled back from size ${last.size} to ${next.size}`
              : next.size === last.size
                ? `signed two different trees of size ${next.size}`
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

interface Trust {
  readonly root: TrustRoot;
  readonly rootEnvelope: unknown;
  readonly revocations: RevocationList | undefined;
  readonly revocationsEnvelope: unknown;
}

/**
 * From the pinned root (saved state, else the operator's file, else the log's version 1 on first
 * contact) to the newest one the log serves, then its revocation list. Every refusal is a
 * VerificationError naming the TrustError code: rollback, gap, threshold, expired, ...
 */
async function walkTrust(
  client: RegistryHttp,
  keys: LogKeysDocument,
  state: LogState | undefined,
  servedRoot: unknown,
  options: LogSessionOptions,
): Promise<Trust> {
  const now = options.now?.() ?? new Date();
  const suites = (algorithm: Parameters<typeof loadSignatureSuite>[0]) =>
    loadSignatureSuite(algorithm);
  try {
    if (servedRoot === undefined)
      throw new TrustError(
        'rollback',
        `the log ${keys.origin} serves no trust root, but this client trusts one; refusing to fall back to unverified keys`,
      );
    let pinned: TrustRoot;
    let pinnedEnvelope: unknown;
    if (state?.trust_root !== undefined) {
      pinnedEnvelope = state.trust_root;
      pinned = peekTrustRoot(pinnedEnvelope);
    } else {
      pinnedEnvelope = options.trustRoot ?? (await client.trustRoot(1));
      if (pinnedEnvelope === undefined)
        throw new TrustError('gap', `the log ${keys.origin} serves no trust root version 1`);
      // First contact: expiry is checked on the newest root, after the walk.
      pinned = await verifyRootSelfSigned(pinnedEnvelope, suites, { origin: keys.origin });
      if (state !== undefined && options.trustRoot === undefined && pinned.version === 1)
        checkContinuity(pinned, state.keys);
    }
    if (pinned.origin !== keys.origin)
      throw new TrustError(
        'wrong-origin',
        `the pinned trust root is for ${pinned.origin}, the server is ${keys.origin}`,
      );
    let root = pinned;
    let rootEnvelope = pinnedEnvelope;
    if (checkServedRoot(pinned, servedRoot) === 'newer') {
      const served = peekTrustRoot(servedRoot);
      const candidates: unknown[] = [];
      for (let version = pinned.version + 1; version <= served.version; version++) {
        const envelope = await client.trustRoot(version);
        if (envelope === undefined)
          throw new TrustError(
            'gap',
            `the log serves trust root v${served.version} but not v${version}; the chain from v${pinned.version} has a gap`,
          );
        candidates.push(envelope);
      }
      // The pinned root was verified when it was pinned; its self-signature is checked again.
      root = (
        await verifyTrustRootChain(pinnedEnvelope, candidates, { suites: { load: suites }, now })
      ).newest;
      rootEnvelope = candidates[candidates.length - 1] ?? pinnedEnvelope;
    } else {
      checkNotExpired(pinned, now);
    }
    // Verified when it was saved (perhaps under an older root): the client's own state.
    const previousList =
      state?.revocations === undefined ? undefined : peekRevocationList(state.revocations);
    const servedList = await client.revocations();
    if (servedList === undefined && previousList !== undefined)
      throw new TrustError(
        'rollback',
        `the log serves no revocation list, but this client has verified v${previousList.version}`,
      );
    const revocations =
      servedList === undefined
        ? undefined
        : await verifyRevocations(servedList, root, {
            suites: { load: suites },
            ...(previousList === undefined ? {} : { previous: previousList }),
          });
    return { root, rootEnvelope, revocations, revocationsEnvelope: servedList };
  } catch (error) {
    if (error instanceof TrustError)
      throw new VerificationError(`trust root refused (${error.code}): ${error.message}`);
    throw error;
  }
}

/** A client that pinned the log's keys before the log had a trust root: v1 must list them. */
function checkContinuity(root: TrustRoot, keys: LogKeysDocument): void {
  const pinned = logKeyOf(
    base64Decode(keys.ml_dsa_44.public_key),
    base64Decode(keys.ed25519.public_key),
  ).keyid;
  if (!root.roles.log.keyids.includes(pinned))
    throw new TrustError(
      'unknown-key',
      `trust root v1 does not list the log key this client pinned on first contact (${pinned}); refusing a root that replaces the log's keys`,
    );
}
