/**
 * The replay of a log, leaf by leaf in log order, with the sequencer's own rules: what fsck and
 * audit derive from the leaves and check them against. Each leaf comes with its `checkLeaf`
 * answer (leaf-check.ts, computed on any core); this part needs the leaves before it, so it runs
 * in order on one thread:
 *
 * - an owner's write must be the canonical record of a request the registry would have accepted
 *   on the state before it (entry-ledger.ts: nonces, revocations, entitlement, names, conflicts);
 * - a trust record or operator record must follow from the trust state before it
 *   (trust-ledger.ts), so the trust root chain, revocation lists and enrolments are replayed too.
 *
 * Entries, nonces and names live in scratch space on disk (store/scratch.ts): memory stays flat
 * however long the log.
 */
import { equalBytes } from '../crypto/encoding.js';
import type { KeyAlgorithm } from '../crypto/algorithms.js';
import type { SignatureSuite } from '../crypto/suite.js';
import { openCheckpoint, type CheckpointVerifier } from '../log/checkpoint-signature.js';
import type { SubtreeLookup } from '../log/subtree.js';
import { completedSubtrees, rangeHash, rangeRefs } from '../log/subtree.js';
import { emptyTreeHash } from '../log/hash.js';
import type { ScratchMap, ScratchSpace } from '../store/scratch.js';
import type {
  RegistryEntry,
  StoredEnrolment,
  StoredTrustDocument,
  SubtreeHash,
} from '../store/store.js';
import { verifyCheckpoint } from '../trust/checkpoint.js';
import { TrustError } from '../trust/errors.js';
import { isControlKind } from '../verify/leaf.js';
import { EntryLedger, type EntryLookup } from './entry-ledger.js';
import type { LeafCheck } from './leaf-check.js';
import { DEFAULT_POLICY, type EntitlementPolicy } from './policy.js';
import { fromWire } from './request-wire.js';
import { TrustLedger, type AppliedControl } from './trust-ledger.js';

export interface LogReplayOptions {
  readonly origin: string;
  readonly loadSuite: (algorithm: KeyAlgorithm) => Promise<SignatureSuite>;
  /** The entitlement policy the registry ran with (`serve --policy`). Default DEFAULT_POLICY. */
  readonly policy?: EntitlementPolicy;
}

export class LogReplay {
  /** Registry entries as the log replays them, NodeSpecs by digest only (`nodeSpec` empty). */
  readonly entries: ScratchMap<RegistryEntry>;
  private readonly nonces: ScratchMap<true>;
  /** The owner of each version of each node name (EntryLookup.versionsOf). */
  private readonly names: ScratchMap<Record<string, string>>;
  /**
   * Every operator record replayed, by zero-padded index, so that a replay resumed from a
   * persistent scratch space can rebuild its trust state (`resume`).
   */
  private readonly controls: ScratchMap<{ kind: string; envelope: unknown; integratedAt: string }>;
  /** The trust state after the leaves replayed so far. */
  ledger: TrustLedger;
  /** Trust documents by `<kind>/<version>`. */
  readonly documents = new Map<string, StoredTrustDocument>();
  /** Each owner's latest enrolment. */
  readonly enrolments = new Map<string, StoredEnrolment>();
  private readonly policy: EntitlementPolicy;

  constructor(scratch: ScratchSpace, options: LogReplayOptions) {
    this.entries = scratch.map<RegistryEntry>();
    this.nonces = scratch.map<true>();
    this.names = scratch.map<Record<string, string>>();
    this.controls = scratch.map();
    this.ledger = TrustLedger.empty(options.origin, options.loadSuite);
    this.policy = options.policy ?? DEFAULT_POLICY;
  }

  /** Replays leaf `index`, reporting through `problem` whatever the registry would not have logged. */
  async apply(
    index: number,
    leaf: Uint8Array,
    check: LeafCheck,
    problem: (message: string) => void,
  ): Promise<void> {
    if (check.kind === 'not-json') {
      problem(`leaf ${index} is not JSON`);
      return;
    }
    if (!check.canonical) problem(`leaf ${index} is not in RFC 8785 canonical form`);
    if (check.kind === 'refused') {
      problem(`leaf ${index}: ${check.problem}`);
      return;
    }
    if (check.kind === 'control') {
      await this.applyControl(index, leaf, check, problem);
      return;
    }
    const request = fromWire(check.request);
    if (request.registryId !== check.registryId)
      problem(
        `leaf ${index} says registry id ${String(check.registryId)}, its request says ${request.registryId}`,
      );
    // The sequencer's own rules (entry-ledger.ts), on the state the log replays to before the leaf.
    const decision = EntryLedger.over(this.lookup(), this.ledger, this.policy).apply(
      request,
      index,
      check.integratedAt,
    );
    if (decision.outcome === 'refused') {
      problem(`leaf ${index} should have been refused: ${decision.problem.message}`);
      return;
    }
    if (decision.outcome === 'idempotent') {
      problem(
        `leaf ${index} registers ${request.registryId} again (first at ${decision.index}); a repeated registration appends nothing`,
      );
      return;
    }
    // The leaf checker compared the leaf's text with the record of this request, this
    // integrated_at and the leaf's registry_id (the request's, checked above).
    const logged = check.asLogged && request.registryId === check.registryId;
    if (!logged && !equalBytes(decision.leaf, leaf))
      problem(`leaf ${index} is not the canonical record of its request`);
    this.keepEntry(decision.entry);
    this.nonces.set(request.nonce, true);
  }

  private async applyControl(
    index: number,
    leaf: Uint8Array,
    check: Extract<LeafCheck, { kind: 'control' }>,
    problem: (message: string) => void,
  ): Promise<void> {
    const kind = check.control;
    if (!isControlKind(kind)) {
      problem(`leaf ${index} has an unknown kind ${JSON.stringify(kind)}`);
      return;
    }
    // The sequencer's own decision (entry-ledger.ts): trust records, imports and claims alike.
    const decision = await EntryLedger.over(this.lookup(), this.ledger, this.policy).applyControl(
      { kind, envelope: check.envelope },
      index,
      check.integratedAt,
    );
    if (decision.outcome === 'refused') {
      problem(`leaf ${index} (${kind}): ${decision.problem.detail}`);
      return;
    }
    if (decision.outcome === 'idempotent') {
      problem(
        `leaf ${index} (${kind}) repeats the record at leaf ${decision.index}; a repeated ${kind} appends nothing`,
      );
      return;
    }
    if (!equalBytes(decision.leaf, leaf))
      problem(`leaf ${index} is not the canonical ${kind} record`);
    const { applied, entry } = decision;
    this.keepTrust(applied);
    this.controls.set(String(index).padStart(16, '0'), {
      kind,
      envelope: check.envelope,
      integratedAt: check.integratedAt,
    });
    if (entry) this.keepEntry(entry);
  }

  private keepTrust(applied: AppliedControl): void {
    this.ledger = applied.ledger;
    if (applied.document)
      this.documents.set(`${applied.document.kind}/${applied.document.version}`, applied.document);
    if (applied.enrolment) this.enrolments.set(applied.enrolment.ownerId, applied.enrolment);
  }

  /**
   * Rebuilds the trust state of a replay whose entries, nonces and names come from a persistent
   * scratch space (a resumed audit): the operator records it replayed, applied again in order to
   * the trust ledger alone (the entries they changed are in the scratch space already).
   */
  async resume(): Promise<void> {
    for (const [key, control] of this.controls.entries()) {
      if (!isControlKind(control.kind)) continue;
      this.keepTrust(
        await this.ledger.apply(
          { kind: control.kind, envelope: control.envelope },
          Number(key),
          new Date(control.integratedAt),
        ),
      );
    }
  }

  /**
   * Keeps `entry`, its NodeSpec by digest only: a stored NodeSpec is compared through that
   * digest.
   */
  private keepEntry(entry: RegistryEntry): void {
    this.entries.set(entry.registryId, { ...entry, nodeSpec: '' });
    const name = entry.registryId.slice(0, entry.registryId.indexOf('@'));
    this.names.set(name, { ...this.names.get(name), [entry.registryId]: entry.ownerId });
  }

  /** The state replayed so far, as the entry ledger reads it. */
  private lookup(): EntryLookup {
    return {
      entry: (id) => this.entries.get(id),
      nonceSeen: (nonce) => this.nonces.has(nonce),
      enrolment: (owner) => this.enrolments.get(owner),
      versionsOf: (name) =>
        Object.entries(this.names.get(name) ?? {}).map(([registryId, ownerId]) => ({
          registryId,
          ownerId,
        })),
    };
  }
}

/**
 * The Merkle tree of leaves added in order, keeping only its frontier (the complete subtrees the
 * root of any larger tree still needs): memory O(log n).
 */
export class TreeHasher {
  private readonly hashes = new Map<string, Uint8Array>();
  private size = 0;

  private readonly lookup: SubtreeLookup = (level, index) => {
    const hash = this.hashes.get(`${level}/${index}`);
    if (!hash) throw new Error(`missing computed hash (${level}, ${index})`);
    return hash;
  };

  /** Adds leaf `size` by its leaf hash; returns every subtree hash it completes (itself first). */
  add(leafHash: Uint8Array): SubtreeHash[] {
    const completed = completedSubtrees(this.size, leafHash, this.lookup);
    for (const subtree of completed)
      this.hashes.set(`${subtree.level}/${subtree.index}`, subtree.hash);
    this.size++;
    return completed;
  }

  /** Drops every hash the frontier no longer needs; call between batches. */
  prune(): void {
    if (this.size === 0) return;
    const keep = new Set(
      rangeRefs({ start: 0, end: this.size }).map((r) => `${r.level}/${r.index}`),
    );
    for (const key of this.hashes.keys()) if (!keep.has(key)) this.hashes.delete(key);
  }

  /** Leaves added. */
  get leaves(): number {
    return this.size;
  }

  /** What a later TreeHasher needs to go on from here (`TreeHasher.resume`). */
  frontier(): SubtreeHash[] {
    if (this.size === 0) return [];
    return rangeRefs({ start: 0, end: this.size }).map((ref) => ({
      ...ref,
      hash: this.lookup(ref.level, ref.index),
    }));
  }

  /** A TreeHasher of `size` leaves whose frontier is `frontier`. */
  static resume(size: number, frontier: readonly SubtreeHash[]): TreeHasher {
    const tree = new TreeHasher();
    tree.size = size;
    for (const subtree of frontier)
      tree.hashes.set(`${subtree.level}/${subtree.index}`, subtree.hash);
    tree.root(); // throws unless the frontier is complete
    return tree;
  }

  /** The root hash of the leaves added so far (RFC 9162 MTH). */
  root(): Uint8Array {
    return this.size === 0 ? emptyTreeHash() : rangeHash({ start: 0, end: this.size }, this.lookup);
  }
}

/**
 * A checkpoint note opened under the trust state a replay reached: the newest replayed trust
 * root's log keys and revocation list once there is one, else `verifier` (the log key pinned
 * outside the log: the data directory's, or a client's).
 */
export async function openUnderReplayedTrust(
  note: string,
  ledger: TrustLedger,
  verifier: CheckpointVerifier,
  loadSuite: (algorithm: KeyAlgorithm) => Promise<SignatureSuite>,
): Promise<
  { ok: true; checkpoint: { size: number; rootHash: Uint8Array } } | { ok: false; message: string }
> {
  if (ledger.root === undefined) {
    const opened = openCheckpoint(note, verifier, verifier.name);
    return opened.ok ? opened : { ok: false, message: opened.message };
  }
  try {
    const { checkpoint } = verifyCheckpoint(note, ledger.root, ledger.revocations, {
      ed25519: await loadSuite('ed25519'),
      mlDsa44: await loadSuite('ml-dsa-44'),
    });
    return { ok: true, checkpoint };
  } catch (error) {
    if (error instanceof TrustError) return { ok: false, message: error.message };
    throw error;
  }
}
