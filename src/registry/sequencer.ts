/**
 * The sequencer: the one writer of the log. Accepted writes queue up; a batch (up to
 * `maxBatch` writes or `maxDelayMs` after the first) becomes new leaves, the subtree hashes they
 * complete, one freshly signed checkpoint and the registry state changes, applied by one atomic
 * `Store.append`. Each write's promise resolves only after that commit, with its index, the
 * signed checkpoint and its inclusion proof: durable before acknowledged.
 */
import { base64Encode, equalBytes } from '../crypto/encoding.js';
import { loadSignatureSuite } from '../crypto/suites.js';
import { signCheckpoint, type CheckpointSigner } from '../log/checkpoint-signature.js';
import { parseCheckpoint } from '../log/checkpoint.js';
import { leafHash } from '../log/hash.js';
import { parseNote } from '../log/note.js';
import { inclusionProofRanges } from '../log/proof.js';
import { completedSubtrees, rangeHash, rangeRefs, type SubtreeLookup } from '../log/subtree.js';
import {
  StoreError,
  type RegistryEntry,
  type Store,
  type StoredEnrolment,
  type StoredTrustDocument,
  type SubtreeHash,
} from '../store/store.js';
import type { SuiteLoader } from '../trust/signatures.js';
import { encodeControlLeaf, encodeLeaf } from './leaf.js';
import {
  DEFAULT_POLICY,
  entitlementRefusal,
  openlyAllowed,
  type EntitlementPolicy,
} from './policy.js';
import { RegistryProblem } from './problems.js';
import { readProofHashes } from './proof-hashes.js';
import type { WriteRequest } from './request.js';
import { TrustLedger, type ControlWrite } from './trust-ledger.js';
import type { ControlResult, WriteResult } from '../verify/wire.js';

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
  /** How long accepted nonces are remembered, seconds (twice the freshness window is safe). */
  readonly nonceTtlSeconds: number;
  readonly clock?: () => number;
  /** Called with each committed batch's size and duration, for metrics. */
  readonly onCommit?: (writes: number, seconds: number) => void;
  /** Called when the stored log is found inconsistent with what this sequencer signed. */
  readonly onInconsistent?: (reason: string) => void;
}

type Pending =
  | {
      readonly request: WriteRequest;
      readonly control?: undefined;
      readonly resolve: (result: WriteResult) => void;
      readonly reject: (error: unknown) => void;
    }
  | {
      readonly request?: undefined;
      readonly control: ControlWrite;
      readonly resolve: (result: ControlResult) => void;
      readonly reject: (error: unknown) => void;
    };

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
  private ledger: TrustLedger;
  /** The last checkpoint this sequencer committed or verified: what the log must extend. */
  private last: { size: number; root: Uint8Array } | undefined;
  /** Why writes are halted, once the stored log stopped matching what was signed. */
  private halted: string | undefined;
  /** Who may claim which lanes and tiers without an enrolment in the log. */
  readonly policy: EntitlementPolicy;
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
    this.policy = options.policy ?? DEFAULT_POLICY;
    this.ledger = TrustLedger.empty(options.origin, this.suites);
  }

  /** The trust state as of the last commit or reload. */
  get trust(): TrustLedger {
    return this.ledger;
  }

  /** Loads the tree's size and frontier from the store; call before the first submit. */
  async start(): Promise<void> {
    try {
      await this.reload();
    } catch (error) {
      // A halted log still serves reads (and its evidence); writes are refused until repaired.
      if (!(error instanceof RegistryProblem && error.slug === 'log-inconsistent')) throw error;
    }
  }

  /** Why writes are halted (the stored log is inconsistent with what was signed), if they are. */
  get haltedReason(): string | undefined {
    return this.halted;
  }

  /** Queues a verified write; resolves once it is committed in a signed checkpoint. */
  submit(request: WriteRequest): Promise<WriteResult> {
    return new Promise<WriteResult>((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.kick();
    });
  }

  /** Queues a trust record; resolves once it is committed in a signed checkpoint. */
  submitControl(control: ControlWrite): Promise<ControlResult> {
    return new Promise<ControlResult>((resolve, reject) => {
      this.queue.push({ control, resolve, reject });
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

  private get suites(): SuiteLoader {
    return this.options.suites ?? loadSignatureSuite;
  }

  /**
   * Reads the tree's size, frontier and trust state from the store, and checks the log there
   * still extends what this sequencer last signed or saw: the latest stored checkpoint must sign
   * the root of the stored hashes, and the tree must contain the last known tree. Otherwise the
   * log was rewritten or forked under us, and nothing more is signed (`log-inconsistent`).
   */
  private async reload(): Promise<void> {
    const size = await this.store.treeSize();
    const refs = size === 0 ? [] : rangeRefs({ start: 0, end: size });
    const hashes = await this.store.readSubtreeHashes(refs);
    const frontier: Frontier = new Map(
      refs.map((ref, i) => [ref.level, { ...ref, hash: hashes[i] as Uint8Array }]),
    );
    const root =
      size === 0
        ? undefined
        : rangeHash({ start: 0, end: size }, (level, index) => {
            const subtree = frontier.get(level);
            if (subtree?.index !== index)
              throw new Error(`sequencer: no frontier hash (${level}, ${index})`);
            return subtree.hash;
          });
    const problem = await this.inconsistency(size, root);
    if (problem !== undefined) {
      this.halted = problem;
      this.options.onInconsistent?.(problem);
      throw new RegistryProblem('log-inconsistent', problem);
    }
    this.size = size;
    this.frontier = frontier;
    if (root !== undefined) this.last = { size, root };
    this.ledger = await TrustLedger.load(this.store, this.options.origin, this.suites);
  }

  private async inconsistency(
    size: number,
    root: Uint8Array | undefined,
  ): Promise<string | undefined> {
    const latest = await this.store.latestCheckpoint();
    if (size > 0) {
      if (latest === undefined) return `the log has ${size} leaves but no checkpoint`;
      let signed;
      try {
        signed = parseCheckpoint(parseNote(latest.note).text);
      } catch (error) {
        return `the latest stored checkpoint is unreadable: ${(error as Error).message}`;
      }
      if (signed.size !== size || !equalBytes(signed.rootHash, root as Uint8Array))
        return `the latest stored checkpoint (size ${signed.size}) does not sign the stored tree of size ${size}`;
    }
    const last = this.last;
    if (last === undefined) return undefined;
    if (size < last.size) return `the log shrank from size ${last.size} to ${size}`;
    if (size === last.size)
      return equalBytes(root as Uint8Array, last.root)
        ? undefined
        : `the tree of size ${size} changed its root hash`;
    const oldRefs = rangeRefs({ start: 0, end: last.size });
    const oldHashes = await this.store.readSubtreeHashes(oldRefs);
    const byKey = new Map(
      oldRefs.map((ref, i) => [`${ref.level}/${ref.index}`, oldHashes[i] as Uint8Array]),
    );
    const oldRoot = rangeHash({ start: 0, end: last.size }, (level, index) => {
      const hash = byKey.get(`${level}/${index}`);
      if (hash === undefined) throw new Error(`sequencer: no stored hash (${level}, ${index})`);
      return hash;
    });
    return equalBytes(oldRoot, last.root)
      ? undefined
      : `the stored tree no longer contains the tree of size ${last.size} this log signed: history was rewritten`;
  }

  private async commit(batch: Pending[], attempt = 0): Promise<void> {
    const started = performance.now();
    if (this.halted !== undefined) throw new RegistryProblem('log-inconsistent', this.halted);
    // Another writer (an operator command, a replica) appended since our last look: plan on
    // its state, so a revocation or enrolment takes effect for this batch, appends or not.
    if (attempt === 0 && (await this.store.treeSize()) !== this.size) await this.reload();
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
      await this.checkpointSigners(plan.ledger),
      signedAt,
    );
    try {
      await this.store.append({
        expectedSize: this.size,
        leaves: plan.leaves,
        subtreeHashes: plan.subtreeHashes,
        checkpoint: { size: newSize, note, signedAt },
        entries: [...plan.entries.values()],
        nonces: plan.appended.flatMap((p) =>
          p.request
            ? [{ nonce: p.request.nonce, expiresAt: signedAt + this.options.nonceTtlSeconds }]
            : [],
        ),
        trustDocuments: plan.trustDocuments,
        enrolments: plan.enrolments,
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
    this.last = { size: newSize, root };
    this.ledger = plan.ledger;
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
    const trustDocuments: StoredTrustDocument[] = [];
    const enrolments: StoredEnrolment[] = [];
    let ledger = this.ledger;
    const lookup: SubtreeLookup = (level, index) => {
      const hash = added.get(`${level}/${index}`) ?? this.frontierHash(level, index);
      if (hash === undefined)
        throw new Error(`sequencer: no hash for subtree (${level}, ${index})`);
      return hash;
    };
    const now = new Date(this.clock());
    const integratedAt = now.toISOString();
    const addLeaf = (leaf: Uint8Array, index: number): void => {
      for (const subtree of completedSubtrees(index, leafHash(leaf), lookup)) {
        added.set(`${subtree.level}/${subtree.index}`, subtree.hash);
        subtreeHashes.push(subtree);
      }
      leaves.push(leaf);
    };
    for (const pending of batch) {
      const index = this.size + leaves.length;
      if (pending.control) {
        try {
          const applied = await ledger.apply(pending.control, index, now);
          ledger = applied.ledger;
          if (applied.document) trustDocuments.push(applied.document);
          if (applied.enrolment) enrolments.push(applied.enrolment);
          addLeaf(
            encodeControlLeaf(pending.control.kind, applied.canonicalEnvelope, integratedAt),
            index,
          );
          appended.push({ ...pending, index });
        } catch (error) {
          pending.reject(error);
        }
        continue;
      }
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
        const revoked = ledger.revocation(request.owner.keyid);
        if (revoked)
          throw new RegistryProblem(
            'revoked-key',
            `owner key ${request.owner.keyid} was revoked at ${revoked.revoked_at} (${revoked.reason}); writes it signs are refused`,
          );
        const current =
          entries.get(request.registryId) ?? (await this.store.getEntry(request.registryId));
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
          const refusal = openlyAllowed(this.policy, lane, tier)
            ? undefined
            : entitlementRefusal(
                this.policy,
                request.ownerId,
                lane,
                tier,
                ledger.pendingEnrolment(request.ownerId) ??
                  (await this.store.enrolment(request.ownerId)),
              );
          if (refusal !== undefined) throw new RegistryProblem('not-entitled', refusal);
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
        addLeaf(encodeLeaf(request.canonicalEnvelope, integratedAt, request.registryId), index);
        entries.set(request.registryId, next);
        nonces.add(request.nonce);
        appended.push({ ...pending, index });
      } catch (error) {
        pending.reject(error);
      }
    }
    return {
      entries,
      leaves,
      subtreeHashes,
      appended,
      idempotent,
      lookup,
      ledger,
      trustDocuments,
      enrolments,
    };
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
      const result: ControlResult = {
        index: write.index,
        checkpoint: checkpoint.note,
        inclusion_proof: {
          index: write.index,
          size: checkpoint.size,
          hashes: (proofs[i] ?? []).map(base64Encode),
        },
      };
      if (write.control) write.resolve(result);
      else
        write.resolve({
          registry_id: write.request.registryId,
          ...result,
          idempotent: plan.idempotent.includes(write),
        });
    });
  }

  /** The keys that sign the checkpoint after a batch leaving the trust state at `ledger`. */
  private async checkpointSigners(ledger: TrustLedger): Promise<readonly CheckpointSigner[]> {
    if (this.options.signers) return this.options.signers(ledger);
    if (this.options.signer) return [this.options.signer];
    throw new Error('sequencer: no checkpoint signer configured');
  }
}
