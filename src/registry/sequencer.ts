/**
 * The sequencer: the one writer of the log. Accepted writes queue up (group-commit.ts); each
 * batch is
 *
 * 1. planned: every write decided in order against the state before it, by the trust ledger
 *    (trust records) and the entry ledger (owners' writes), with no I/O and nothing answered;
 * 2. signed: the leaves extend the tree (log-tree.ts) and one checkpoint signs the new root;
 * 3. appended: leaves, subtree hashes, checkpoint and state changes in one atomic `Store.append`;
 *    if another writer appended first, the whole batch is planned again on the new state;
 * 4. answered: only now does each write learn its outcome, the refusal from the plan that was
 *    committed, or its index, the checkpoint and its inclusion proof (write-results.ts).
 *
 * So a write is durable before it is acknowledged, and a refusal never reaches a client whose
 * write was appended after all (or the other way round).
 */
import { loadSignatureSuite } from '../crypto/suites.js';
import {
  openCheckpoint,
  signCheckpoint,
  type CheckpointSigner,
} from '../log/checkpoint-signature.js';
import type { Fence, Replication, SettledWrite, Settlement } from '../store/replication.js';
import {
  StoreError,
  type RegistryEntry,
  type StoredCheckpoint,
  type Store,
  type StoredEnrolment,
  type StoredTrustDocument,
} from '../store/store.js';
import type { SuiteLoader } from '../trust/signatures.js';
import { verifyCheckpointUnderRoot } from '../verify/checkpoint.js';
import { MAX_BUNDLE_ENTRY_BYTES } from '../log/tiles.js';
import { controlKindOf, type ControlKind } from '../verify/leaf.js';
import type { ControlResult, WriteResult } from '../verify/wire.js';
import { EntryLedger } from './entry-ledger.js';
import { controlRegistryIds, loadEntrySnapshot } from './entry-snapshot.js';
import { GroupCommit, type Outcome } from './group-commit.js';
import { LogTree } from './log-tree.js';
import { DEFAULT_POLICY, type EntitlementPolicy } from './policy.js';
import { RegistryProblem } from './problems.js';
import { checkWriteContext, type WriteRequest } from './request.js';
import { TrustLedger, type ControlWrite } from './trust-ledger.js';
import { proveAll, type AppendedLeaves } from './write-results.js';

/**
 * The log keys that sign a batch's checkpoint, given the trust state after the batch: those of
 * the newest trust root's log role that are not revoked and whose secret key this process holds.
 */
export type CheckpointSigners = (ledger: TrustLedger) => Promise<readonly CheckpointSigner[]>;

export interface SequencerOptions {
  readonly origin: string;
  /** The log key before any trust root; used when `signers` is not given. */
  readonly signer?: CheckpointSigner;
  /** Chooses the signing log keys once a trust root exists (key rotation). */
  readonly signers?: CheckpointSigners;
  /**
   * Entitlements of owners. An enrolment recorded in the log replaces the owner's entry here
   * (policy.ts `entitlementRefusal`). Default DEFAULT_POLICY.
   */
  readonly policy?: EntitlementPolicy;
  /** Suites for checking trust records. Default: the registry's suites. */
  readonly suites?: SuiteLoader;
  /** Most writes per checkpoint. Default 256. */
  readonly maxBatch?: number;
  /** 0 (default): group commit. Otherwise how long a batch waits to fill, in milliseconds. */
  readonly maxDelayMs?: number;
  /**
   * The freshness window, seconds: how far a request's `issued_at` may be from now. A logged
   * request's nonce is kept until the request is stale (`issued_at` + window + 1 s), so a replay
   * is refused for exactly as long as it could otherwise pass the freshness check.
   */
  readonly freshnessSeconds: number;
  readonly clock?: () => number;
  /** Called with each committed batch's size and duration, for metrics. */
  readonly onCommit?: (writes: number, seconds: number) => void;
  /** Called when the stored log is found inconsistent with what this sequencer signed. */
  readonly onInconsistent?: (reason: string) => void;
  /**
   * Called with the kinds of the trust records this sequencer appended, or found appended by
   * another writer (an operator command, a replica) when it reloaded the log, for metrics.
   */
  readonly onTrustRecords?: (kinds: readonly ControlKind[]) => void;
  /**
   * A replica's sequencer (store/replication.ts): every batch commits under the lease `fence`
   * returns, and fails with `fenced` when there is none; queued writes are settled in the batch.
   */
  readonly replicated?: {
    readonly replication: Replication;
    readonly fence: () => Fence | undefined;
  };
}

/**
 * A queued write: an owner's request, a trust record, or a request to sign the current tree
 * again (a checkpoint of the same size with a new timestamp, appending no leaf).
 */
type Write =
  | {
      readonly request: WriteRequest;
      /** The write's id in the replicas' queue: settled in the batch, answered with no proof. */
      readonly queued?: number;
      readonly control?: undefined;
      readonly refresh?: undefined;
    }
  | {
      readonly request?: undefined;
      readonly queued?: undefined;
      readonly control: ControlWrite;
      readonly refresh?: undefined;
    }
  | {
      readonly request?: undefined;
      readonly queued?: undefined;
      readonly control?: undefined;
      readonly refresh: true;
    };

type Answer = WriteResult | ControlResult | StoredCheckpoint | SettledWrite;

/** How often a batch is planned again after another writer appended first. */
const MAX_REPLANS = 5;

export class Sequencer {
  /** Who may claim which lanes and tiers without an enrolment in the log. */
  readonly policy: EntitlementPolicy;
  private readonly queue: GroupCommit<Write, Answer>;
  private readonly clock: () => number;
  private tree: LogTree | undefined;
  private ledger: TrustLedger;
  /** Why writes are halted, once the stored log stopped matching what was signed. */
  private halted: string | undefined;
  private signedAt: number | undefined;

  constructor(
    private readonly store: Store,
    private readonly options: SequencerOptions,
  ) {
    this.clock = options.clock ?? Date.now;
    this.policy = options.policy ?? DEFAULT_POLICY;
    this.ledger = TrustLedger.empty(options.origin, this.suites);
    this.queue = new GroupCommit((batch) => this.commit(batch), {
      maxBatch: options.maxBatch ?? 256,
      maxDelayMs: options.maxDelayMs ?? 0,
    });
  }

  /** The trust state as of the last commit or reload. */
  get trust(): TrustLedger {
    return this.ledger;
  }

  /** Why writes are halted (the stored log is inconsistent with what was signed), if they are. */
  get haltedReason(): string | undefined {
    return this.halted;
  }

  /** Loads the tree and trust state from the store; call before the first submit. */
  async start(): Promise<void> {
    try {
      await this.reload();
    } catch (error) {
      // A halted log still serves reads (and its evidence); writes are refused until repaired.
      if (!(error instanceof RegistryProblem && error.slug === 'log-inconsistent')) throw error;
    }
    const latest = await this.store.latestCheckpoint();
    if (latest === undefined) return;
    this.signedAt = latest.signedAt * 1000;
    if (this.halted === undefined) await this.checkOwnSignatures(latest.note);
  }

  /**
   * The newest stored checkpoint must verify as a client would check it: under the trust root's
   * log keys and threshold (revocations applied) once there is a root, else under the data
   * directory's own key. A failure means the database or the key files were changed behind the
   * log's back (issue 13): writes halt, as for a rewritten tree; reads and the evidence stay
   * served. Keys that cannot be loaded before a root are left to the first write, which fails
   * with that reason.
   */
  private async checkOwnSignatures(note: string): Promise<void> {
    const [ed25519, mlDsa44] = await Promise.all([
      this.suites('ed25519'),
      this.suites('ml-dsa-44'),
    ]);
    const { root, revocations } = this.ledger;
    let problem: string | undefined;
    if (root !== undefined) {
      try {
        verifyCheckpointUnderRoot(note, root, {
          suites: { ed25519, mlDsa44 },
          ...(revocations === undefined ? {} : { revocations }),
        });
      } catch (error) {
        problem = `under trust root v${root.version}: ${(error as Error).message}`;
      }
    } else {
      let signers: readonly CheckpointSigner[];
      try {
        signers = await this.checkpointSigners(this.ledger);
      } catch {
        return;
      }
      const opened = openCheckpoint(
        note,
        {
          name: this.options.origin,
          keys: signers.map((signer) => ({
            ed25519PublicKey: signer.ed25519.publicKey,
            mlDsa44PublicKey: signer.mlDsa44.publicKey,
          })),
          threshold: 1,
          ed25519,
          mlDsa44,
        },
        this.options.origin,
      );
      if (!opened.ok)
        problem = `under the data directory's log key (${opened.problem}): ${opened.message}`;
    }
    if (problem === undefined) return;
    this.halted = `the latest stored checkpoint does not verify ${problem}`;
    this.options.onInconsistent?.(this.halted);
  }

  /** Queues a verified write; resolves once it is committed in a signed checkpoint. */
  submit(request: WriteRequest): Promise<WriteResult> {
    return this.queue.submit({ request }) as Promise<WriteResult>;
  }

  /**
   * Queues a write from the replicas' queue (`replicated` only); resolves with its outcome once
   * that is recorded with the batch. A refusal is an outcome, not a rejection.
   */
  submitQueued(id: number, request: WriteRequest): Promise<SettledWrite> {
    return this.queue.submit({ request, queued: id }) as Promise<SettledWrite>;
  }

  /**
   * Reads what other writers appended (another replica's sequencer, an operator command): the
   * tree, checked to extend what this process saw, the trust state, and the newest checkpoint's
   * time. A replica calls it when it hears the log grew, and before it starts sequencing.
   */
  async catchUp(): Promise<void> {
    if (this.tree === undefined || (await this.store.treeSize()) !== this.tree.size)
      await this.reload();
    const latest = await this.store.latestCheckpoint();
    if (latest !== undefined) this.signedAt = Math.max(this.signedAt ?? 0, latest.signedAt * 1000);
  }

  /** Queues a trust record; resolves once it is committed in a signed checkpoint. */
  submitControl(control: ControlWrite): Promise<ControlResult> {
    return this.queue.submit({ control }) as Promise<ControlResult>;
  }

  /**
   * Signs the current tree again: a checkpoint of the same size and root with a new timestamp
   * (for an empty log, the signed size-0 checkpoint), so that readers and witnesses can tell a
   * live log from a stale one. Queued like a write, so it never races one; a batch that appends
   * leaves signs a new checkpoint anyway. Resolves with the stored checkpoint.
   */
  refreshCheckpoint(): Promise<StoredCheckpoint> {
    return this.queue.submit({ refresh: true }) as Promise<StoredCheckpoint>;
  }

  /** Writes waiting for a batch (not counting the batch being committed). */
  get queueDepth(): number {
    return this.queue.depth;
  }

  /**
   * POSIX milliseconds at which this sequencer last stored a checkpoint, or the signed time of
   * the newest checkpoint stored when it started; undefined for a log without a checkpoint.
   */
  get lastSignedAt(): number | undefined {
    return this.signedAt;
  }

  /** Commits everything queued, then resolves. */
  drain(): Promise<void> {
    return this.queue.drain();
  }

  /** Plans, signs and appends one batch, planning again when another writer appended first. */
  private async commit(batch: readonly Write[]): Promise<Outcome<Answer>[]> {
    const started = performance.now();
    for (let attempt = 0; ; attempt++) {
      if (this.halted !== undefined) throw new RegistryProblem('log-inconsistent', this.halted);
      const fence = this.fence();
      // Another writer (an operator command, a replica) may have appended since our last look:
      // plan on its state, so a revocation or enrolment takes effect for this batch.
      if (this.tree === undefined || (await this.store.treeSize()) !== this.tree.size)
        await this.reload();
      const tree = this.tree as LogTree;
      const now = this.clock();
      const plan = await this.plan(batch, tree.size, now);
      refuseExpiredRoot(plan.trust, now);
      const refresh = batch.some((write) => write.refresh);
      if (plan.leaves.length === 0 && !refresh) {
        const settle = settlements(plan, tree.size);
        if (fence !== undefined && settle.length > 0)
          await this.options.replicated?.replication.settle(fence, settle);
        return this.answer(plan, undefined, tree.size);
      }
      const extension = tree.extend(plan.leaves);
      const signedAt = Math.floor(now / 1000);
      const checkpoint = {
        size: extension.tree.size,
        signedAt,
        note: await signCheckpoint(
          {
            origin: this.options.origin,
            size: extension.tree.size,
            rootHash: extension.root,
            extensions: [],
          },
          await this.checkpointSigners(plan.trust),
          signedAt,
        ),
      };
      try {
        await this.store.append({
          expectedSize: tree.size,
          leaves: plan.leaves,
          subtreeHashes: extension.subtreeHashes,
          checkpoint,
          entries: plan.entries,
          nonces: plan.nonces.map(({ nonce, issuedAt }) => ({
            nonce,
            expiresAt: issuedAt + this.options.freshnessSeconds + 1,
          })),
          trustDocuments: plan.trustDocuments,
          enrolments: plan.enrolments,
          ...(fence === undefined ? {} : { fence, settle: settlements(plan, checkpoint.size) }),
        });
      } catch (error) {
        const raced =
          error instanceof StoreError &&
          (error.code === 'size-conflict' || error.code === 'nonce-conflict');
        if (!raced || attempt >= MAX_REPLANS) throw error;
        await this.reload();
        continue;
      }
      this.tree = extension.tree;
      this.ledger = plan.trust;
      this.signedAt = now;
      if (plan.leaves.length > 0)
        this.options.onCommit?.(plan.leaves.length, (performance.now() - started) / 1000);
      const trustKinds = batch.flatMap((write, i) =>
        write.control && plan.decisions[i]?.outcome === 'append' ? [write.control.kind] : [],
      );
      if (trustKinds.length > 0) this.options.onTrustRecords?.(trustKinds);
      return this.answer(plan, checkpoint, checkpoint.size, {
        from: tree.size,
        lookup: extension.lookup,
      });
    }
  }

  /** The lease a replica's batch commits under; undefined for a single-process log. */
  private fence(): Fence | undefined {
    const { replicated } = this.options;
    if (replicated === undefined) return undefined;
    const fence = replicated.fence();
    if (fence === undefined)
      throw new StoreError('fenced', 'this replica does not hold the sequencer lease');
    return fence;
  }

  /**
   * Decides every write of `batch` in order, as leaves from index `size` on, against the stored
   * state and the trust state: what to append, and each write's decision. Settles nothing.
   */
  private async plan(batch: readonly Write[], size: number, now: number): Promise<BatchPlan> {
    const requests = batch.flatMap((write) => (write.request ? [write.request] : []));
    const snapshot = await loadEntrySnapshot(
      this.store,
      requests,
      Math.floor(now / 1000),
      this.policy,
      batch.flatMap((write) => (write.control ? controlRegistryIds(write.control) : [])),
    );
    let ledger = EntryLedger.over(snapshot, this.ledger, this.policy);
    const integratedAt = new Date(now).toISOString();
    const decisions: Decision[] = [];
    const leaves: Uint8Array[] = [];
    const nonces: { nonce: string; issuedAt: number }[] = [];
    const trustDocuments: StoredTrustDocument[] = [];
    const enrolments: StoredEnrolment[] = [];
    for (const write of batch) {
      const index = size + leaves.length;
      if (write.refresh) {
        decisions.push({ outcome: 'refresh' });
        continue;
      }
      if (write.control) {
        const decision = await ledger.applyControl(write.control, index, integratedAt);
        if (decision.outcome === 'refused') {
          decisions.push({ outcome: 'refused', error: decision.problem });
        } else if (decision.outcome === 'idempotent') {
          decisions.push({ outcome: 'idempotent', index: decision.index });
        } else if (decision.leaf.length > MAX_BUNDLE_ENTRY_BYTES) {
          decisions.push({ outcome: 'refused', error: entryTooLarge(decision.leaf) });
        } else {
          ledger = decision.ledger;
          if (decision.applied.document) trustDocuments.push(decision.applied.document);
          if (decision.applied.enrolment) enrolments.push(decision.applied.enrolment);
          leaves.push(decision.leaf);
          decisions.push({ outcome: 'append', index });
        }
        continue;
      }
      // Freshness again, on the clock the nonce's expiry is judged by: a request that waited
      // past its window in the queue is stale, never a replay whose nonce was forgotten.
      try {
        checkWriteContext(write.request, {
          origin: this.options.origin,
          now,
          freshnessSeconds: this.options.freshnessSeconds,
        });
      } catch (error) {
        decisions.push({ outcome: 'refused', error, write });
        continue;
      }
      const decision = ledger.apply(write.request, index, integratedAt);
      if (decision.outcome === 'refused') {
        decisions.push({ outcome: 'refused', error: decision.problem, write });
      } else if (decision.outcome === 'idempotent') {
        decisions.push({ outcome: 'idempotent', index: decision.index, write });
      } else if (decision.leaf.length > MAX_BUNDLE_ENTRY_BYTES) {
        decisions.push({ outcome: 'refused', error: entryTooLarge(decision.leaf), write });
      } else {
        ledger = decision.ledger;
        leaves.push(decision.leaf);
        nonces.push({ nonce: write.request.nonce, issuedAt: write.request.issuedAt });
        decisions.push({ outcome: 'append', index, write });
      }
    }
    return {
      decisions,
      leaves,
      entries: ledger.changedEntries(),
      nonces,
      trustDocuments,
      enrolments,
      trust: ledger.trust,
    };
  }

  /**
   * Each write's outcome: its refusal, or its proof against the checkpoint just committed (of
   * tree size `size`); a queued write's, as settled (`settledOf`), its frontend proves it. The
   * proofs of the leaves the batch appended come from the tree in memory (`appended`), those of
   * idempotent writes (earlier leaves) from the store.
   */
  private async answer(
    plan: BatchPlan,
    committed: StoredCheckpoint | undefined,
    size: number,
    appended?: AppendedLeaves,
  ): Promise<Outcome<Answer>[]> {
    const proven = plan.decisions.flatMap((decision) =>
      (decision.outcome === 'append' || decision.outcome === 'idempotent') &&
      decision.write?.queued === undefined
        ? [decision.index]
        : [],
    );
    let proofs: ControlResult[] = [];
    if (proven.length > 0) {
      // Idempotent writes only: the newest checkpoint includes their earlier registration.
      const checkpoint = committed ?? (await this.store.latestCheckpoint());
      if (checkpoint === undefined) throw new Error('sequencer: no checkpoint to prove against');
      proofs = await proveAll(this.store, checkpoint, proven, appended);
    }
    let next = 0;
    return plan.decisions.map((decision): Outcome<Answer> => {
      const queued = queuedWrite(decision);
      if (queued !== undefined) return { ok: true, value: settledOf(decision, size) };
      if (decision.outcome === 'refused') return { ok: false, error: decision.error };
      if (decision.outcome === 'refresh') return { ok: true, value: committed as StoredCheckpoint };
      const proof = proofs[next++] as ControlResult;
      if (decision.write?.request === undefined) return { ok: true, value: proof };
      return {
        ok: true,
        value: {
          registry_id: decision.write.request.registryId,
          ...proof,
          idempotent: decision.outcome === 'idempotent',
        },
      };
    });
  }

  /**
   * Reads the tree and the trust state from the store, and checks that the stored log still
   * extends what this sequencer last signed or saw (log-tree.ts). Otherwise the log was rewritten
   * or forked under us, and nothing more is signed (`log-inconsistent`).
   */
  private async reload(): Promise<void> {
    const before = this.tree?.size;
    try {
      this.tree = await LogTree.load(this.store, this.tree?.signed);
    } catch (error) {
      if (error instanceof RegistryProblem && error.slug === 'log-inconsistent') {
        this.halted = error.detail;
        this.options.onInconsistent?.(error.detail);
      }
      throw error;
    }
    this.ledger = await TrustLedger.load(this.store, this.options.origin, this.suites);
    // Trust records another writer appended since our last look (not the history read at start).
    if (before !== undefined && this.options.onTrustRecords && this.tree.size > before) {
      const kinds = (await this.store.readLeaves(before, this.tree.size)).flatMap((leaf) => {
        const kind = controlKindOf(leaf);
        return kind === undefined ? [] : [kind];
      });
      if (kinds.length > 0) this.options.onTrustRecords(kinds);
    }
  }

  private get suites(): SuiteLoader {
    return this.options.suites ?? loadSignatureSuite;
  }

  /** The keys that sign the checkpoint after a batch leaving the trust state at `ledger`. */
  private async checkpointSigners(ledger: TrustLedger): Promise<readonly CheckpointSigner[]> {
    if (this.options.signers) return this.options.signers(ledger);
    if (this.options.signer) return [this.options.signer];
    throw new Error('sequencer: no checkpoint signer configured');
  }
}

/** What a write is told once its batch is committed (or finally refused). */
type Decision =
  | { readonly outcome: 'append' | 'idempotent'; readonly index: number; readonly write?: Write }
  | { readonly outcome: 'refused'; readonly error: unknown; readonly write?: Write }
  | { readonly outcome: 'refresh' };

/** The queue id of the write `decision` decided, when it came from the replicas' queue. */
function queuedWrite(decision: Decision): number | undefined {
  return decision.outcome === 'refresh' ? undefined : decision.write?.queued;
}

/**
 * A queued write's outcome as the replicas' queue records it; `size` is the tree size of the
 * newest checkpoint once the batch is committed (the proof is against it).
 */
function settledOf(decision: Decision, size: number): SettledWrite {
  if (decision.outcome === 'refused') {
    const problem =
      decision.error instanceof RegistryProblem
        ? decision.error
        : new RegistryProblem('internal-error', 'the write could not be decided');
    return { outcome: 'refused', problem: problem.slug, detail: problem.detail };
  }
  if (decision.outcome === 'refresh') throw new Error('sequencer: a refresh is not queued');
  return {
    outcome: 'logged',
    index: decision.index,
    size,
    idempotent: decision.outcome === 'idempotent',
  };
}

/** The outcomes of the batch's queued writes, recorded with it. */
function settlements(plan: BatchPlan, size: number): Settlement[] {
  return plan.decisions.flatMap((decision) => {
    const id = queuedWrite(decision);
    return id === undefined ? [] : [{ id, settled: settledOf(decision, size) }];
  });
}

/** A batch as planned: what to append, and each write's decision. */
interface BatchPlan {
  readonly decisions: readonly Decision[];
  readonly leaves: readonly Uint8Array[];
  readonly entries: readonly RegistryEntry[];
  readonly nonces: readonly { readonly nonce: string; readonly issuedAt: number }[];
  readonly trustDocuments: readonly StoredTrustDocument[];
  readonly enrolments: readonly StoredEnrolment[];
  /** The trust state after the batch. */
  readonly trust: TrustLedger;
}

/**
 * A leaf the log cannot serve in an entry bundle. Owners' writes are refused before they are
 * queued (request.ts); this also bounds operator records (a trust root, a revocation list).
 */
function entryTooLarge(leaf: Uint8Array): RegistryProblem {
  return new RegistryProblem(
    'entry-too-large',
    `the log entry would be ${leaf.length} bytes; entries are at most ${MAX_BUNDLE_ENTRY_BYTES} bytes (a C2SP tlog-tiles entry bundle gives each a 16-bit length)`,
  );
}

/**
 * A log whose newest trust root has expired signs nothing, neither writes nor refreshed
 * checkpoints: clients refuse an expired root (freeze protection), so what it signed would be
 * unverifiable, and signing on would hide the lapse. A batch that itself publishes a newer root
 * (an operator's `trust publish` or `keys rotate`) is judged by that root.
 */
function refuseExpiredRoot(trust: TrustLedger, now: number): void {
  const root = trust.root;
  if (root !== undefined && Date.parse(root.expires) <= now)
    throw new RegistryProblem(
      'trust-root-expired',
      `trust root v${root.version} expired at ${root.expires}; the log signs nothing until an operator publishes a newer root (matriz trust draft --expires, trust sign, trust publish)`,
    );
}
