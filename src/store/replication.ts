/**
 * What several registry replicas share through the store to run as one log (docs/architecture.md,
 * "Replicas"): a durable queue of verified writes waiting for the sequencer, each write's outcome
 * once integrated, and the sequencer lease that elects one writer and fences a deposed one.
 *
 * Only the PostgreSQL store implements it; the embedded SQLite store is one process, whose
 * sequencer queues writes in memory.
 */

/**
 * The proof that a sequencer holds the lease: its holder id and the lease's epoch. An append or
 * settlement carrying a fence commits only while that holder still holds that epoch, unexpired,
 * by the database's clock; a deposed sequencer that wakes up gets `fenced` and changes nothing.
 */
export interface Fence {
  readonly holder: string;
  readonly epoch: number;
}

/** What became of a queued write, as the sequencer recorded it when it integrated the write. */
export type SettledWrite =
  | {
      readonly outcome: 'logged';
      /** The entry's log index (for an idempotent write, the earlier registration's). */
      readonly index: number;
      /** The tree size of the checkpoint stored with the batch: the proof is against it. */
      readonly size: number;
      /** True when the same content was already registered: nothing was appended. */
      readonly idempotent: boolean;
    }
  | {
      readonly outcome: 'refused';
      /** The problem slug (registry/problems.ts) and its detail, as the client gets them. */
      readonly problem: string;
      readonly detail: string;
    };

/** A settled write's queue id and outcome, recorded in the sequencer's batch transaction. */
export interface Settlement {
  readonly id: number;
  readonly settled: SettledWrite;
}

/** A write for the queue: verified by a frontend, keyed by the request's nonce. */
export interface WriteToQueue {
  readonly nonce: string;
  /** `sha256:<hex>` of the signed request's canonical envelope: the same request, or another. */
  readonly digest: string;
  /** The request as the sequencer decodes it (registry/request-wire.ts `encodeQueuedRequest`). */
  readonly request: string;
  /** POSIX seconds after which the row may be pruned (its nonce is stale by then). */
  readonly expiresAt: number;
}

/** The queued write holding a nonce: the one just queued, or one queued before with it. */
export interface QueuedWrite {
  readonly id: number;
  readonly nonce: string;
  readonly digest: string;
}

/** An unsettled write, as the sequencer reads it. */
export interface PendingWrite {
  readonly id: number;
  readonly request: string;
}

/** The lease a sequencer just acquired. */
export interface AcquiredLease extends Fence {
  /**
   * The holder whose lease expired (a failover); undefined at the first election and after the
   * last holder released the lease (an orderly stop).
   */
  readonly previousHolder: string | undefined;
}

/** Notifications replicas send each other through the store. */
export type ReplicationEvent = 'queued' | 'settled';

export interface Replication {
  /**
   * Queues writes, one transaction, and wakes the sequencer. A nonce already queued keeps its
   * row: the answer lists, for each write in order, the row holding its nonce.
   */
  enqueue(writes: readonly WriteToQueue[]): Promise<QueuedWrite[]>;
  /** The queued write holding `nonce`, if any (settled or not, until pruned). */
  queued(nonce: string): Promise<QueuedWrite | undefined>;
  /** The outcomes of those of `ids` already settled. */
  outcomes(ids: readonly number[]): Promise<Map<number, SettledWrite>>;
  /** Unsettled writes in queue order, at most `limit`. */
  unsettled(limit: number): Promise<PendingWrite[]>;
  /** Records outcomes without an append (every write of a batch refused), under `fence`. */
  settle(fence: Fence, settlements: readonly Settlement[]): Promise<void>;
  /** Unsettled writes, for the `registry_pending_writes` metric. */
  unsettledCount(): Promise<number>;
  /**
   * Records the newest checkpoint the sequencer published with its witnesses' cosignatures, for
   * every replica to serve; an older tree size than the one recorded is ignored.
   */
  publishCosigned(note: string, size: number): Promise<void>;
  /** The cosigned checkpoint last recorded by `publishCosigned`, if any. */
  cosigned(): Promise<string | undefined>;
  /** Deletes settled rows whose nonce expired before `now` (POSIX seconds); returns how many. */
  prune(now: number): Promise<number>;
  /**
   * Takes the sequencer lease for `leaseMs` if it is free (never held, released, or expired by
   * the database's clock), with a new epoch; undefined when another holder's lease is current.
   */
  acquire(holder: string, leaseMs: number): Promise<AcquiredLease | undefined>;
  /** Extends the lease `fence` holds; false when it is no longer held (expired or taken). */
  renew(fence: Fence, leaseMs: number): Promise<boolean>;
  /** Gives the lease up at once (an orderly stop), so another replica need not wait it out. */
  release(fence: Fence): Promise<void>;
  /**
   * Calls `listener` for each notification from any replica, on a connection of its own that is
   * opened again when it drops; `close` stops listening.
   */
  listen(listener: (event: ReplicationEvent) => void): Promise<{ close(): Promise<void> }>;
}
