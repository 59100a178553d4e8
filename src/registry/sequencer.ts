/**
 * The sequencer: the one writer of the log. Accepted writes queue up; a batch (up to
 * `maxBatch` writes or `maxDelayMs` after the first) becomes new leaves, the subtree hashes they
 * complete, one freshly signed checkpoint and the registry state changes, applied by one atomic
 * `Store.append`. Each write's promise resolves only after that commit, with its index, the
 * signed checkpoint and its inclusion proof: durable before acknowledged.
 */
import { base64Encode } from '../crypto/encoding.js';
import { signCheckpoint, type CheckpointSigner } from '../log/checkpoint-signature.js';
import { leafHash } from '../log/hash.js';
import { inclusionProofRanges } from '../log/proof.js';
import { completedSubtrees, rangeHash, rangeRefs, type SubtreeLookup } from '../log/subtree.js';
import { StoreError, type RegistryEntry, type Store, type SubtreeHash } from '../store/store.js';
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
}

/** The complete subtrees of the tree's decomposition, by level: all an append needs to read. */
type Frontier = Map<number, SubtreeHash>;

export class Sequencer {
  private queue: Pending[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> = Promise.resolve();
  private busy = false;
  private scheduled = false;
  private size = 0;
  private frontier: Frontier = new Map();
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
      this.queue.push({ request, resolve, reject });
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
    this.running = (async () => {
      try {
        while (this.queue.length > 0) {
          const batch = this.queue.splice(0, this.maxBatch);
          try {
            await this.commit(batch);
          } catch (error) {
            for (const pending of batch) pending.reject(error);
          }
        }
      } finally {
        this.busy = false;
      }
    })();
  }

  private async reload(): Promise<void> {
    this.size = await this.store.treeSize();
    const refs = this.size === 0 ? [] : rangeRefs({ start: 0, end: this.size });
    const hashes = await this.store.readSubtreeHashes(refs);
    this.frontier = new Map(
      refs.map((ref, i) => [ref.level, { ...ref, hash: hashes[i] as Uint8Array }]),
    );
  }

  private async commit(batch: Pending[], attempt = 0): Promise<void> {
    const started = performance.now();
    const plan = await this.plan(batch);
    if (plan.appended.length === 0) {
      await this.finish(plan, undefined);
      return;
    }
    const signedAt = Math.floor(this.clock() / 1000);
    const newSize = this.size + plan.leaves.length;
    const root = rangeHash({ start: 0, end: newSize }, plan.lookup);
    const note = await signCheckpoint(
      { origin: this.options.origin, size: newSize, rootHash: root, extensions: [] },
      this.options.signer,
      signedAt,
    );
    try {
      await this.store.append({
        expectedSize: this.size,
        leaves: plan.leaves,
        subtreeHashes: plan.subtreeHashes,
        checkpoint: { size: newSize, note, signedAt },
        entries: [...plan.entries.values()],
        nonces: plan.appended.map((p) => ({
          nonce: p.request.nonce,
          expiresAt: signedAt + this.options.nonceTtlSeconds,
        })),
      });
    } catch (error) {
      // Another replica appended first, or accepted one of these nonces: rebuild on the new state.
      if (
        error instanceof StoreError &&
        (error.code === 'size-conflict' || error.code === 'nonce-conflict') &&
        attempt < 5
      ) {
        await this.reload();
        await this.commit(batch, attempt + 1);
        return;
      }
      throw error;
    }
    this.size = newSize;
    this.frontier = new Map(
      rangeRefs({ start: 0, end: newSize }).map((ref) => [
        ref.level,
        { ...ref, hash: plan.lookup(ref.level, ref.index) },
      ]),
    );
    this.options.onCommit?.(plan.appended.length, (performance.now() - started) / 1000);
    await this.finish(plan, { size: newSize, note });
  }

  /** Decides each write against the current state and builds the batch's leaves and hashes. */
  private async plan(batch: Pending[]) {
    const entries = new Map<string, RegistryEntry>();
    const leaves: Uint8Array[] = [];
    const subtreeHashes: SubtreeHash[] = [];
    const added = new Map<string, Uint8Array>();
    const appended: (Pending & { index: number })[] = [];
    const idempotent: (Pending & { index: number })[] = [];
    const nonces = new Set<string>();
    const lookup: SubtreeLookup = (level, index) => {
      const hash = added.get(`${level}/${index}`) ?? this.frontierHash(level, index);
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
          (await this.store.nonceSeen(request.nonce, Math.floor(this.clock() / 1000)))
        ) {
          throw new RegistryProblem(
            'replayed-nonce',
            `nonce ${request.nonce} was already used within the freshness window`,
          );
        }
        const current =
          entries.get(request.registryId) ?? (await this.store.getEntry(request.registryId));
        const index = this.size + leaves.length;
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
        pending.reject(error);
      }
    }
    return { entries, leaves, subtreeHashes, appended, idempotent, lookup };
  }

  private frontierHash(level: number, index: number): Uint8Array | undefined {
    const subtree = this.frontier.get(level);
    return subtree?.index === index ? subtree.hash : undefined;
  }

  /** Resolves every write of a batch with its proof against the checkpoint just committed. */
  private async finish(
    plan: Awaited<ReturnType<Sequencer['plan']>>,
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
