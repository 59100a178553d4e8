/**
 * One of several registry replicas sharing a PostgreSQL store (docs/architecture.md, "Replicas").
 * Every replica is a frontend: it verifies a write (in `Registry`), queues it durably in the
 * store, waits until the sequencer settles it, and answers with the checkpoint and inclusion
 * proof it reads from the store. At most one replica at a time is the sequencer: the holder of
 * the store's lease (store/replication.ts), which integrates queued writes in batches through
 * its `Sequencer`, every append fenced by the lease.
 *
 *   frontend ──enqueue──▶ pending_writes ──unsettled──▶ sequencer (lease holder)
 *       ▲                                                   │ append + settle, one transaction
 *       └──────── NOTIFY settled (polling as fallback) ◀─────┘
 *
 * A replica that can open the log keys stands for election; it takes the lease once the last
 * holder's has expired (a crash, a freeze, a lost connection) or was released (an orderly stop),
 * reads the tree again and integrates what is queued, so no queued write is lost. A write is
 * settled exactly once, in the transaction that logs it, and a retried request (same nonce and
 * content) waits on the same queued write, so it gets the same answer.
 */
import { randomBytes } from 'node:crypto';
import { StoreError, type Store } from '../store/store.js';
import type {
  Fence,
  PendingWrite,
  QueuedWrite,
  Replication,
  ReplicationEvent,
  SettledWrite,
  WriteToQueue,
} from '../store/replication.js';
import type { ControlResult, WriteResult } from '../verify/wire.js';
import { GroupCommit, type Outcome } from './group-commit.js';
import { PROBLEMS, RegistryProblem, type ProblemSlug } from './problems.js';
import type { WriteRequest } from './request.js';
import { decodeQueuedRequest, encodeQueuedRequest, queuedRequestDigest } from './request-wire.js';
import type { Sequencer } from './sequencer.js';
import { proveAll } from './write-results.js';

export type ReplicaRole = 'sequencer' | 'frontend';

export interface ReplicaOptions {
  readonly store: Store;
  readonly replication: Replication;
  /** This replica's sequencer: it follows the log as a frontend, and sequences as the leader. */
  readonly sequencer: Sequencer;
  /** Whether this replica stands for election (it holds the log keys: `--sequencer auto`). */
  readonly eligible: boolean;
  /** How long a lease lasts without renewal, ms: the longest a failover waits. */
  readonly leaseMs: number;
  /** The freshness window, seconds: a queued write is kept as long as its nonce. */
  readonly freshnessSeconds: number;
  /** How long a frontend waits for its write to be settled before answering 503, ms. */
  readonly writeTimeoutMs: number;
  /** Queued writes the sequencer reads at a time. Default 1024. */
  readonly readBatch?: number;
  /** Polling interval when no notification arrives, ms. Default 1000. */
  readonly pollMs?: number;
  /** The lease holder name; default `<random>` (service.ts passes host/pid/random). */
  readonly holder?: string;
  readonly onRole?: (role: ReplicaRole) => void;
  /** This replica took the lease over from `previousHolder`, whose lease had expired. */
  readonly onFailover?: (previousHolder: string) => void;
  readonly onError?: (what: string, error: unknown) => void;
}

/** A settled write, with its proof when the replica proved the writes settled together. */
interface Settled {
  readonly settled: SettledWrite;
  readonly proof?: ControlResult;
}

interface Waiter {
  readonly resolve: (settled: Settled) => void;
  readonly reject: (error: Error) => void;
}

export class Replica {
  readonly holder: string;
  private lease: Fence | undefined;
  /** performance.now() until which this replica may act on its lease (checked before a batch). */
  private validUntil = 0;
  private stopped = false;
  private electionTimer: ReturnType<typeof setTimeout> | undefined;
  private pollTimer: ReturnType<typeof setInterval> | undefined;
  private listener: { close(): Promise<void> } | undefined;
  private readonly waiters = new Map<number, Waiter[]>();
  private readonly enqueuer: GroupCommit<WriteToQueue, QueuedWrite>;
  private wake: (() => void) | undefined;
  private integrating: Promise<void> = Promise.resolve();
  private checking = false;
  private checkAgain = false;
  private following: Promise<void> | undefined;
  private followAgain = false;

  constructor(private readonly options: ReplicaOptions) {
    this.holder = options.holder ?? randomBytes(8).toString('hex');
    // One transaction queues every write that arrived together (group commit, as the log).
    this.enqueuer = new GroupCommit(
      async (writes) =>
        (await options.replication.enqueue(writes)).map((value): Outcome<QueuedWrite> => ({
          ok: true,
          value,
        })),
      { maxBatch: 256, maxDelayMs: 0 },
    );
  }

  get role(): ReplicaRole {
    return this.lease === undefined ? 'frontend' : 'sequencer';
  }

  /**
   * The lease this replica's sequencer commits under: undefined once it is no longer held, or
   * when its term as measured here has run out (the store checks the lease again in each append).
   */
  fence(): Fence | undefined {
    return this.lease !== undefined && performance.now() < this.validUntil ? this.lease : undefined;
  }

  /** Listens for the other replicas, stands for election at once, then keeps the lease or waits. */
  async start(): Promise<void> {
    this.listener = await this.options.replication.listen((event) => {
      this.heard(event);
    });
    this.pollTimer = setInterval(() => {
      this.heard('queued');
      this.heard('settled');
    }, this.options.pollMs ?? 1000);
    this.pollTimer.unref();
    await this.campaign();
  }

  /**
   * Queues a verified write and waits until the sequencer settles it: its proof, or its refusal
   * thrown as the `RegistryProblem` the sequencer decided. A write with the nonce of another
   * queued request is a replay.
   */
  async submit(request: WriteRequest): Promise<WriteResult> {
    const digest = queuedRequestDigest(request);
    const queued = await this.enqueuer.submit({
      nonce: request.nonce,
      digest,
      request: encodeQueuedRequest(request),
      expiresAt: request.issuedAt + this.options.freshnessSeconds + 1,
    });
    return this.outcomeOf(request, queued, digest);
  }

  /**
   * The answer to a request queued before (a client retrying after its frontend died, or after
   * a 503): undefined when no write with its nonce is queued.
   */
  async resume(request: WriteRequest): Promise<WriteResult | undefined> {
    const queued = await this.options.replication.queued(request.nonce);
    if (queued === undefined) return undefined;
    return this.outcomeOf(request, queued, queuedRequestDigest(request));
  }

  /** Stops sequencing and gives the lease up, so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.electionTimer !== undefined) clearTimeout(this.electionTimer);
    if (this.pollTimer !== undefined) clearInterval(this.pollTimer);
    const lease = this.lease;
    this.stepDown();
    await this.integrating;
    await this.options.sequencer.drain();
    if (lease !== undefined) await this.options.replication.release(lease).catch(() => undefined);
    await this.listener?.close();
    for (const [, waiting] of this.waiters)
      for (const waiter of waiting)
        waiter.reject(
          new RegistryProblem(
            'sequencer-unavailable',
            'this replica is stopping; the write stays queued: send the same signed request again to learn its outcome',
          ),
        );
    this.waiters.clear();
  }

  private async outcomeOf(
    request: WriteRequest,
    queued: QueuedWrite,
    digest: string,
  ): Promise<WriteResult> {
    if (queued.digest !== digest)
      throw new RegistryProblem(
        'replayed-nonce',
        `nonce ${request.nonce} was already used by another request`,
      );
    const { settled, proof: proven } = await this.settlementOf(queued.id);
    if (settled.outcome === 'refused') {
      const slug = (
        settled.problem in PROBLEMS ? settled.problem : 'internal-error'
      ) as ProblemSlug;
      throw new RegistryProblem(slug, settled.detail);
    }
    const [proof] = proven
      ? [proven]
      : await this.prove(settled.size, [settled.index]).catch((error: unknown) => {
          throw new Error(`replica: cannot prove write ${queued.id}: ${String(error)}`);
        });
    if (proof === undefined) throw new Error('replica: no inclusion proof');
    return { registry_id: request.registryId, ...proof, idempotent: settled.idempotent };
  }

  /**
   * Inclusion proofs of `indexes` in the checkpoint of tree size `size` (the one the write was
   * settled with), or the latest when that one was replaced by a later re-signing.
   */
  private async prove(size: number, indexes: readonly number[]): Promise<ControlResult[]> {
    const checkpoint =
      (await this.options.store.checkpointAt(size)) ??
      (await this.options.store.latestCheckpoint());
    if (checkpoint === undefined || checkpoint.size < size)
      throw new Error(`no checkpoint of size ${size}`);
    return proveAll(this.options.store, checkpoint, indexes);
  }

  /**
   * Proofs of the logged writes among `outcomes`, one checkpoint and one read of hashes per tree
   * size they were settled at (a sequencer batch), rather than per write. A size that cannot be
   * proven here is left out; each of its writes is then proven on its own and fails alone.
   */
  private async proveTogether(
    outcomes: ReadonlyMap<number, SettledWrite>,
  ): Promise<Map<number, ControlResult>> {
    const bySize = new Map<number, { id: number; index: number }[]>();
    for (const [id, settled] of outcomes) {
      if (settled.outcome !== 'logged') continue;
      const group = bySize.get(settled.size) ?? [];
      group.push({ id, index: settled.index });
      bySize.set(settled.size, group);
    }
    const proofs = new Map<number, ControlResult>();
    await Promise.all(
      [...bySize].map(async ([size, group]) => {
        const proven = await this.prove(
          size,
          group.map((write) => write.index),
        ).catch(() => []);
        group.forEach((write, i) => {
          const proof = proven[i];
          if (proof !== undefined) proofs.set(write.id, proof);
        });
      }),
    );
    return proofs;
  }

  /** Waits for queued write `id` to be settled, at most `writeTimeoutMs`. */
  private settlementOf(id: number): Promise<Settled> {
    return new Promise<Settled>((resolve, reject) => {
      const timer = setTimeout(() => {
        const waiting = this.waiters.get(id)?.filter((w) => w !== waiter) ?? [];
        if (waiting.length === 0) this.waiters.delete(id);
        else this.waiters.set(id, waiting);
        reject(
          new RegistryProblem(
            'sequencer-unavailable',
            `no sequencer integrated the write within ${this.options.writeTimeoutMs / 1000} s; it stays queued and may still be logged: send the same signed request again to learn its outcome`,
          ),
        );
      }, this.options.writeTimeoutMs);
      const waiter: Waiter = {
        resolve: (settled) => {
          clearTimeout(timer);
          resolve(settled);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.waiters.set(id, [...(this.waiters.get(id) ?? []), waiter]);
      this.heard('settled');
    });
  }

  private heard(event: ReplicationEvent): void {
    if (this.stopped) return;
    if (event === 'queued') {
      this.wake?.();
      return;
    }
    void this.checkWaiters();
    if (this.lease === undefined) void this.follow();
  }

  /** Settles every waiter whose write the sequencer settled. */
  private async checkWaiters(): Promise<void> {
    // A settlement heard while a check runs may be one that check's read missed: check again.
    if (this.checking) {
      this.checkAgain = true;
      return;
    }
    this.checking = true;
    try {
      do {
        if (this.waiters.size === 0) break;
        const outcomes = await this.options.replication.outcomes([...this.waiters.keys()]);
        const proofs = await this.proveTogether(outcomes);
        for (const [id, settled] of outcomes) {
          const proof = proofs.get(id);
          for (const waiter of this.waiters.get(id) ?? [])
            waiter.resolve(proof === undefined ? { settled } : { settled, proof });
          this.waiters.delete(id);
        }
      } while (this.recheck());
    } catch (error) {
      this.options.onError?.('reading write outcomes', error);
    } finally {
      this.checking = false;
    }
  }

  /** Whether a settlement was heard during the last check (and forgets it). */
  private recheck(): boolean {
    const again = this.checkAgain && !this.stopped;
    this.checkAgain = false;
    return again;
  }

  /** A frontend reads what the sequencer appended (trust state for its checks), once at a time. */
  private follow(): Promise<void> {
    if (this.following !== undefined) {
      this.followAgain = true;
      return this.following;
    }
    this.following = (async () => {
      do {
        this.followAgain = false;
        await this.options.sequencer.catchUp().catch((error: unknown) => {
          this.options.onError?.('following the log', error);
        });
      } while (this.again());
      this.following = undefined;
    })();
    return this.following;
  }

  /** Whether the log moved again while it was being followed. */
  private again(): boolean {
    return this.followAgain && !this.stopped;
  }

  /** One election round: renew the lease held, or take a free one; then the next round. */
  private async campaign(): Promise<void> {
    const { replication, leaseMs } = this.options;
    const started = performance.now();
    try {
      if (this.lease !== undefined) {
        if (await replication.renew(this.lease, leaseMs)) this.validUntil = started + leaseMs;
        else this.stepDown();
      } else if (this.options.eligible) {
        const lease = await replication.acquire(this.holder, leaseMs);
        if (lease !== undefined) {
          this.validUntil = started + leaseMs;
          await this.stepUp(lease, lease.previousHolder);
        }
      }
    } catch (error) {
      this.options.onError?.('sequencer lease', error);
      if (this.lease !== undefined && performance.now() >= this.validUntil) this.stepDown();
    }
    if (this.stopped) return;
    // The holder renews well within its lease; candidates look often, so a failover waits about
    // one lease.
    const next = Math.max(50, this.lease !== undefined ? leaseMs / 4 : leaseMs / 8);
    this.electionTimer = setTimeout(() => {
      void this.campaign();
    }, next);
    this.electionTimer.unref();
  }

  private async stepUp(lease: Fence, previousHolder: string | undefined): Promise<void> {
    await this.follow();
    try {
      // The tree as the last sequencer left it, checked to extend what this replica saw.
      await this.options.sequencer.catchUp();
    } catch (error) {
      this.options.onError?.('taking over the log', error);
      await this.options.replication.release(lease).catch(() => undefined);
      return;
    }
    this.lease = lease;
    this.options.onRole?.('sequencer');
    if (previousHolder !== undefined) this.options.onFailover?.(previousHolder);
    this.integrating = this.integrate(lease.epoch);
  }

  private stepDown(): void {
    if (this.lease === undefined) return;
    this.lease = undefined;
    this.validUntil = 0;
    this.wake?.();
    this.options.onRole?.('frontend');
  }

  private leading(epoch: number): boolean {
    return !this.stopped && this.lease?.epoch === epoch;
  }

  /** The sequencer's loop: integrate queued writes in order until the lease is lost. */
  private async integrate(epoch: number): Promise<void> {
    const { replication, sequencer } = this.options;
    // A new log publishes its signed size-0 checkpoint first, as a single process does.
    if ((await this.options.store.latestCheckpoint().catch(() => undefined)) === undefined)
      await sequencer.refreshCheckpoint().catch((error: unknown) => {
        this.options.onError?.('signing the first checkpoint', error);
      });
    while (this.leading(epoch)) {
      let rows: PendingWrite[];
      try {
        rows = await replication.unsettled(this.options.readBatch ?? 1024);
      } catch (error) {
        this.options.onError?.('reading queued writes', error);
        rows = [];
      }
      if (rows.length === 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.options.pollMs ?? 1000);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
        continue;
      }
      const failed = await Promise.all(rows.map((row) => this.integrateOne(row)));
      // A store that fails (not a write that is refused) is given a moment before the next try.
      if (failed.some(Boolean) && this.leading(epoch))
        await new Promise((resolve) => setTimeout(resolve, this.options.pollMs ?? 1000));
    }
  }

  /** Integrates one queued write; true when it could not be settled and stays queued. */
  private async integrateOne(row: PendingWrite): Promise<boolean> {
    const { sequencer } = this.options;
    let request: WriteRequest;
    try {
      request = decodeQueuedRequest(row.request);
    } catch {
      return this.refuse(
        row.id,
        new RegistryProblem('invalid-request', 'the queued write is damaged'),
      );
    }
    try {
      await sequencer.submitQueued(row.id, request);
      return false;
    } catch (error) {
      if (error instanceof StoreError && error.code === 'fenced') {
        this.stepDown();
        return true;
      }
      // The whole batch was refused (the log halted, its trust root expired): so is this write.
      if (error instanceof RegistryProblem) return this.refuse(row.id, error);
      this.options.onError?.('integrating queued writes', error);
      return true;
    }
  }

  private async refuse(id: number, problem: RegistryProblem): Promise<boolean> {
    const fence = this.fence();
    if (fence === undefined) return true;
    try {
      await this.options.replication.settle(fence, [
        { id, settled: { outcome: 'refused', problem: problem.slug, detail: problem.detail } },
      ]);
      return false;
    } catch (error) {
      if (error instanceof StoreError && error.code === 'fenced') this.stepDown();
      else this.options.onError?.('settling a refused write', error);
      return true;
    }
  }
}
