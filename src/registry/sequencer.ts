/**
 * The sequencer: the one writer of the log. Accepted writes queue up; a batch (up to
 * `maxBatch` writes or `maxDelayMs` after the first) becomes new leaves, the subtree hashes they
 * complete, one freshly signed checkpoint and the registry state changes, applied by one atomic
 * `Store.append`. Each write's promise resolves only after that commit, with its index, the
 * signed checkpoint and its inclusion proof: durable before acknowledged.
 *
 * Two-stage pipeline: while batch N's append (and its fsync) is in flight, batch N+1 is planned
 * and signed on the tip, the durable state plus N's effects (`Tip`). N+1 is appended only after
 * N is durable, so appends stay in order; a batch decides nothing for its writes (refusals,
 * idempotent replies, results) until its own append is durable. If N fails, N+1 is discarded
 * unapplied and its writes go back to the head of the queue, to be planned again on the reloaded
 * state; a size or nonce conflict (another process appended) also replans N itself.
 */
import { base64Encode } from '../crypto/encoding.js';
import { signCheckpoint, type CheckpointSigner } from '../log/checkpoint-signature.js';
import { leafHash } from '../log/hash.js';
import { inclusionProofRanges } from '../log/proof.js';
import { completedSubtrees, rangeHash, rangeRefs, type SubtreeLookup } from '../log/subtree.js';
import {
  StoreError,
  type AppendBatch,
  type RegistryEntry,
  type Store,
  type SubtreeHash,
} from '../store/store.js';
import { encodeLeaf } from './leaf.js';
import { RegistryProblem } from './problems.js';
import { readProofHashes } from './proof-hashes.js';
import type { WriteRequest } from './request.js';

export interface WriteResult {
  readonly registry_id: string;
  readonly index: number;
  /** The signed checkpoint note that includes the entry. */
  readonly checkpoint: string;
  readonly inclusion_proof: {
    readonly index: number;
    readonly size: number;
    readonly hashes: readonly string[];
  };
  /** True when the same content was already registered: nothing was appended. */
  readonly idempotent: boolean;
}

export interface SequencerOptions {
  readonly origin: string;
  readonly signer: CheckpointSigner;
  /** Most writes per checkpoint. Default 256. */
  readonly maxBatch?: number;
  /** 0 (default): group commit. Otherwise how long a batch waits to fill, in milliseconds. */
  readonly maxDelayMs?: number;
  /** How long accepted nonces are remembered, seconds (twice the freshness window is safe). */
  readonly nonceTtlSeconds: number;
  readonly clock?: () => number;
  /** Called with each committed batch's size and duration, for metrics. */
  readonly onCommit?: (writes: number, seconds: number) => void;
}

interface Pending {
  readonly request: WriteRequest;
  readonly resolve: (result: WriteResult) => void;
  readonly reject: (error: unknown) => void;
  /** How many times this write's batch hit a size or nonce conflict and was planned again. */
  conflicts: number;
}

/** The complete subtrees of the tree's decomposition, by level: all an append needs to read. */
type Frontier = Map<number, SubtreeHash>;

/**
 * The state a batch is planned on: the durable store, overlaid with the effects of the batch
 * still in flight (if any). Everything `plan` reads about the registry goes through here, so
 * that a batch planned during the previous one's append sees that append as done.
 */
interface Tip {
  readonly size: number;
  readonly frontier: Frontier;
  /** Entries written by the batch in flight, by registry id. */
  readonly entries: ReadonlyMap<string, RegistryEntry>;
  /** Nonces accepted by the batch in flight. */
  readonly nonces: ReadonlySet<string>;
}

type Plan = Awaited<ReturnType<Sequencer['plan']>>;

/** A planned and signed batch, ready to append. */
interface Prepared {
  readonly batch: Pending[];
  readonly plan: Plan;
  readonly started: number;
  /** Undefined when the batch appends nothing (every write refused or idempotent). */
  readonly commit:
    | {
        readonly append: AppendBatch;
        readonly size: number;
        readonly note: string;
        readonly frontier: Frontier;
      }
    | undefined;
}

/** A batch whose append was started; `done` settles with the append's error, or undefined. */
interface InFlight {
  readonly prepared: Prepared;
  readonly done: Promise<unknown>;
}

const MAX_CONFLICT_RETRIES = 5;

export class Sequencer {
  private queue: Pending[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> = Promise.resolve();
  private busy = false;
  private scheduled = false;
  /** Wakes the pipeline when a write arrives while it waits for an append. */
  private arrived: (() => void) | undefined;
  /** The durable tree: size and frontier as of the last append that succeeded. */
  private size = 0;
  private frontier: Frontier = new Map();
  /** Replies of durable batches still reading their proofs. */
  private readonly replying = new Set<Promise<void>>();
  /** An append failed: reload size and frontier from the store before planning again. */
  private stale = false;
  private readonly maxBatch: number;
  private readonly maxDelayMs: number;
  private readonly clock: () => number;

  constructor(
    private readonly store: Store,
    private readonly options: SequencerOptions,
  ) {
    this.maxBatch = options.maxBatch ?? 256;
    this.maxDelayMs = options.maxDelayMs ?? 0;
    this.clock = options.clock ?? Date.now;
  }

  /** Loads the tree's size and frontier from the store; call before the first submit. */
  async start(): Promise<void> {
    await this.reload();
  }

  /** Queues a verified write; resolves once it is committed in a signed checkpoint. */
  submit(request: WriteRequest): Promise<WriteResult> {
    return new Promise<WriteResult>((resolve, reject) => {
      this.queue.push({ request, resolve, reject, conflicts: 0 });
      this.arrived?.();
      this.kick();
    });
  }

  /** Commits everything queued, then resolves. */
  async drain(): Promise<void> {
    while (this.busy || this.queue.length > 0) {
      this.commitQueued();
      await this.running;
    }
  }

  /**
   * Group commit: when idle, a write starts a commit at once (after the current tick, so writes
   * arriving together share it); writes arriving during a commit form the next batch. A positive
   * `maxDelayMs` instead waits that long for a batch to fill; `maxBatch` caps every batch.
   */
  private kick(): void {
    if (this.busy || this.scheduled) return;
    if (this.maxDelayMs === 0 || this.queue.length >= this.maxBatch) {
      this.scheduled = true;
      setImmediate(() => {
        this.commitQueued();
      });
    } else {
      this.timer ??= setTimeout(() => {
        this.commitQueued();
      }, this.maxDelayMs);
    }
  }

  private commitQueued(): void {
    this.scheduled = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.busy) return;
    this.busy = true;
    this.running = this.pipeline().finally(() => {
      this.busy = false;
      // Writes submitted while the pipeline was winding down start the next run.
      if (this.queue.length > 0) this.kick();
    });
  }

  /**
   * Runs until the queue is empty and nothing is in flight: prepares (plans and signs) the next
   * batch on the tip while the previous batch's append runs, then waits for that append before
   * starting its own. At most one append is in flight.
   */
  private async pipeline(): Promise<void> {
    let inFlight: InFlight | undefined;
    while (this.queue.length > 0 || inFlight !== undefined) {
      if (inFlight !== undefined && this.queue.length < this.pipelineBatch(inFlight)) {
        // Too few writes to prepare a batch beside the append yet (each batch costs a signature
        // and an fsync): wait for the append to finish, or for another write to arrive.
        const appended = await Promise.race([
          inFlight.done.then(() => true),
          new Promise<false>((resolve) => {
            this.arrived = () => {
              resolve(false);
            };
          }),
        ]);
        this.arrived = undefined;
        if (appended) {
          await this.complete(inFlight);
          inFlight = undefined;
        }
        continue;
      }
      const batch = this.queue.splice(0, this.maxBatch);
      let prepared: Prepared;
      try {
        prepared = await this.prepare(batch, this.tip(inFlight));
      } catch (error) {
        // Planning or signing failed (a store read, the signer): nothing was decided or applied.
        if (inFlight !== undefined) {
          await this.complete(inFlight);
          inFlight = undefined;
        }
        for (const pending of batch) pending.reject(error);
        continue;
      }
      if (inFlight !== undefined) {
        // If the append fails, `prepared` was planned on a state that never became durable:
        // discard it, and plan its writes again (after the failed batch's, if it is retried).
        const outcome = await this.complete(inFlight, batch);
        inFlight = undefined;
        if (outcome !== 'committed') continue;
      }
      inFlight = this.launch(prepared);
    }
    await Promise.all(this.replying);
  }

  /**
   * How many writes must be queued to prepare the next batch while `inFlight` is appended: as
   * many as it holds (at least one), so pipelining never shrinks batches; fewer wait for it.
   */
  private pipelineBatch(inFlight: InFlight): number {
    return Math.max(1, Math.min(this.maxBatch, inFlight.prepared.batch.length));
  }

  /** The state the next batch is planned on: durable state plus the batch in flight. */
  private tip(inFlight: InFlight | undefined): Tip {
    const flying = inFlight?.prepared;
    if (flying?.commit === undefined) {
      return { size: this.size, frontier: this.frontier, entries: new Map(), nonces: new Set() };
    }
    return {
      size: flying.commit.size,
      frontier: flying.commit.frontier,
      entries: flying.plan.entries,
      nonces: new Set(flying.plan.appended.map((p) => p.request.nonce)),
    };
  }

  /** Plans a batch on `tip` and signs the checkpoint of the tree it makes. */
  private async prepare(batch: Pending[], tip: Tip): Promise<Prepared> {
    const started = performance.now();
    if (this.stale) {
      await this.reload();
      tip = this.tip(undefined);
    }
    const plan = await this.plan(batch, tip);
    if (plan.appended.length === 0) return { batch, plan, started, commit: undefined };
    const signedAt = Math.floor(this.clock() / 1000);
    const size = tip.size + plan.leaves.length;
    const root = rangeHash({ start: 0, end: size }, plan.lookup);
    const note = await signCheckpoint(
      { origin: this.options.origin, size, rootHash: root, extensions: [] },
      this.options.signer,
      signedAt,
    );
    const frontier: Frontier = new Map(
      rangeRefs({ start: 0, end: size }).map((ref) => [
        ref.level,
        { ...ref, hash: plan.lookup(ref.level, ref.index) },
      ]),
    );
    const append: AppendBatch = {
      expectedSize: tip.size,
      leaves: plan.leaves,
      subtreeHashes: plan.subtreeHashes,
      checkpoint: { size, note, signedAt },
      entries: [...plan.entries.values()],
      nonces: plan.appended.map((p) => ({
        nonce: p.request.nonce,
        expiresAt: signedAt + this.options.nonceTtlSeconds,
      })),
    };
    return { batch, plan, started, commit: { append, size, note, frontier } };
  }

  /** Starts a prepared batch's append (call only once every earlier append is durable). */
  private launch(prepared: Prepared): InFlight {
    const done =
      prepared.commit === undefined
        ? Promise.resolve(undefined)
        : this.store.append(prepared.commit.append).then(
            () => undefined,
            (error: unknown) => error ?? new Error('append failed'),
          );
    return { prepared, done };
  }

  /**
   * Waits for a launched batch's append. Durable: advance the tree, settle every write of the
   * batch. Failed: reload; on a size or nonce conflict (another process appended first) the
   * batch goes back to the head of the queue to be planned again, otherwise its writes fail.
   * Either way the writes of `following` (a batch planned on this one) go back to the queue,
   * right after this batch's.
   */
  private async complete(
    inFlight: InFlight,
    following: readonly Pending[] = [],
  ): Promise<'committed' | 'replan' | 'failed'> {
    const { prepared } = inFlight;
    const error = await inFlight.done;
    if (error === undefined) {
      if (prepared.commit !== undefined) {
        this.size = prepared.commit.size;
        this.frontier = prepared.commit.frontier;
        this.options.onCommit?.(
          prepared.plan.appended.length,
          (performance.now() - prepared.started) / 1000,
        );
      }
      // Replies (proof reads) need not hold up the next append: they run beside it.
      const replying = this.reply(prepared);
      this.replying.add(replying);
      void replying.finally(() => this.replying.delete(replying));
      return 'committed';
    }
    this.stale = true;
    try {
      await this.reload();
      this.stale = false;
    } catch {
      // Still stale: the next prepare tries again (and fails its batch if the store is down).
    }
    const conflict =
      error instanceof StoreError &&
      (error.code === 'size-conflict' || error.code === 'nonce-conflict');
    if (conflict && prepared.batch.every((p) => p.conflicts < MAX_CONFLICT_RETRIES)) {
      for (const pending of prepared.batch) pending.conflicts++;
      this.queue.unshift(...prepared.batch, ...following);
      return 'replan';
    }
    for (const pending of prepared.batch) pending.reject(error);
    this.queue.unshift(...following);
    return 'failed';
  }

  /** Settles every write of a durable batch: refusals, then results with their proofs. */
  private async reply(prepared: Prepared): Promise<void> {
    for (const { pending, error } of prepared.plan.refused) pending.reject(error);
    try {
      await this.finish(
        prepared.plan,
        prepared.commit && { size: prepared.commit.size, note: prepared.commit.note },
      );
    } catch (error) {
      for (const pending of prepared.batch) pending.reject(error);
    }
  }

  private async reload(): Promise<void> {
    this.size = await this.store.treeSize();
    const refs = this.size === 0 ? [] : rangeRefs({ start: 0, end: this.size });
    const hashes = await this.store.readSubtreeHashes(refs);
    this.frontier = new Map(
      refs.map((ref, i) => [ref.level, { ...ref, hash: hashes[i] as Uint8Array }]),
    );
  }

  /**
   * Decides each write against `tip` and builds the batch's leaves and hashes. Decides only:
   * refusals and idempotent replies are delivered once the batch is durable (`complete`).
   */
  private async plan(batch: Pending[], tip: Tip) {
    const entries = new Map<string, RegistryEntry>();
    const leaves: Uint8Array[] = [];
    const subtreeHashes: SubtreeHash[] = [];
    const added = new Map<string, Uint8Array>();
    const appended: (Pending & { index: number })[] = [];
    const idempotent: (Pending & { index: number })[] = [];
    const refused: { pending: Pending; error: unknown }[] = [];
    const nonces = new Set<string>();
    const lookup: SubtreeLookup = (level, index) => {
      const hash = added.get(`${level}/${index}`) ?? frontierHash(tip.frontier, level, index);
      if (hash === undefined)
        throw new Error(`sequencer: no hash for subtree (${level}, ${index})`);
      return hash;
    };
    const integratedAt = new Date(this.clock()).toISOString();
    for (const pending of batch) {
      const { request } = pending;
      try {
        if (
          nonces.has(request.nonce) ||
          tip.nonces.has(request.nonce) ||
          (await this.store.nonceSeen(request.nonce, Math.floor(this.clock() / 1000)))
        ) {
          throw new RegistryProblem(
            'replayed-nonce',
            `nonce ${request.nonce} was already used within the freshness window`,
          );
        }
        const current =
          entries.get(request.registryId) ??
          tip.entries.get(request.registryId) ??
          (await this.store.getEntry(request.registryId));
        const index = tip.size + leaves.length;
        let next: RegistryEntry;
        if (request.op === 'register') {
          const digest = request.specDigest;
          if (current !== undefined) {
            if (
              current.specDigest === digest &&
              current.status === 'active' &&
              current.ownerId === request.ownerId
            ) {
              idempotent.push({ ...pending, index: current.registeredIndex });
              continue;
            }
            throw new RegistryProblem(
              'conflict',
              current.status === 'deregistered'
                ? `${request.registryId} was deregistered; registry ids stay reserved, publish a new version`
                : `${request.registryId} is already registered with other content (${current.specDigest}); versions are immutable, publish a new version`,
            );
          }
          const { lane, tier } = request.nodeSpec.identity;
          const signals = request.nodeSpec.interfaces.signals;
          next = {
            registryId: request.registryId,
            ownerId: request.ownerId,
            lane,
            tier,
            nodeSpec: request.canonicalSpec,
            specDigest: digest,
            status: 'active',
            registeredIndex: index,
            integratedAt,
            signals: [
              ...new Set([
                ...(signals.emits ?? []).map((e) => e.name),
                ...(signals.subscribes ?? []).map((s) => s.signal),
              ]),
            ],
            capabilities: [...new Set(request.nodeSpec.identity.capabilities_policy?.allow ?? [])],
          };
        } else {
          if (current === undefined)
            throw new RegistryProblem('not-found', `${request.registryId} is not registered`);
          if (current.ownerId !== request.ownerId) {
            throw new RegistryProblem(
              'not-owner',
              `${request.registryId} belongs to ${current.ownerId}; the request is signed by ${request.ownerId}`,
            );
          }
          if (current.status === 'deregistered')
            throw new RegistryProblem(
              'already-deregistered',
              `${request.registryId} is already deregistered`,
            );
          next = { ...current, status: 'deregistered', deregisteredIndex: index };
        }
        const leaf = encodeLeaf(request.canonicalEnvelope, integratedAt, request.registryId);
        for (const subtree of completedSubtrees(index, leafHash(leaf), lookup)) {
          added.set(`${subtree.level}/${subtree.index}`, subtree.hash);
          subtreeHashes.push(subtree);
        }
        leaves.push(leaf);
        entries.set(request.registryId, next);
        nonces.add(request.nonce);
        appended.push({ ...pending, index });
      } catch (error) {
        refused.push({ pending, error });
      }
    }
    return { entries, leaves, subtreeHashes, appended, idempotent, refused, lookup };
  }

  /** Resolves every write of a batch with its proof against the checkpoint just committed. */
  private async finish(
    plan: Plan,
    committed: { size: number; note: string } | undefined,
  ): Promise<void> {
    const writes = [...plan.appended, ...plan.idempotent];
    if (writes.length === 0) return;
    const checkpoint = committed ?? (await this.store.latestCheckpoint());
    if (checkpoint === undefined) throw new Error('sequencer: no checkpoint to prove against');
    const proofs = await readProofHashes(
      this.store,
      writes.map((w) => inclusionProofRanges(w.index, checkpoint.size)),
    );
    writes.forEach((write, i) => {
      write.resolve({
        registry_id: write.request.registryId,
        index: write.index,
        checkpoint: checkpoint.note,
        inclusion_proof: {
          index: write.index,
          size: checkpoint.size,
          hashes: (proofs[i] ?? []).map(base64Encode),
        },
        idempotent: plan.idempotent.includes(write),
      });
    });
  }
}

function frontierHash(frontier: Frontier, level: number, index: number): Uint8Array | undefined {
  const subtree = frontier.get(level);
  return subtree?.index === index ? subtree.hash : undefined;
}
