/**
 * The one storage interface of the registry (DESIGN.md, Layers): the transparency log's leaves,
 * stored subtree hashes and signed checkpoints; the registry state derived from the log; and
 * the nonces of accepted requests. Two implementations follow it, embedded SQLite (the default)
 * and PostgreSQL (for several replicas), and one conformance suite tests both.
 *
 * Every write goes through `append`, which applies one sequencer batch in one transaction:
 * the new leaves, the subtree hashes they complete, the checkpoint that signs the new tree,
 * the registry state changes and the nonces. So the log and the registry state can never
 * disagree, and a crash loses either the whole batch (never acknowledged) or nothing.
 */
import type { SubtreeRef } from '../log/subtree.js';
import type { Lane } from '../nodespec/nodespec.js';
import type { EntryPage, EntryPageQuery, EntryPageRow } from './entry-pages.js';
import type { Fence, Settlement } from './replication.js';

export interface StoredCheckpoint {
  readonly size: number;
  /** The signed note, exactly as served. */
  readonly note: string;
  /** POSIX seconds at which the log signed it. */
  readonly signedAt: number;
}

export type EntryStatus = 'active' | 'deregistered';

/** A registry entry: the current state of one `<name>@<version>`, derived from the log. */
export interface RegistryEntry {
  readonly registryId: string;
  readonly ownerId: string;
  readonly lane: Lane;
  readonly tier: number;
  /** The NodeSpec, as RFC 8785 canonical JSON text. */
  readonly nodeSpec: string;
  /** `sha256:<hex>` of the canonical NodeSpec. */
  readonly specDigest: string;
  readonly status: EntryStatus;
  /** Log index of the registration. */
  readonly registeredIndex: number;
  /** Log index of the deregistration, if any. */
  readonly deregisteredIndex?: number;
  /** RFC 3339 time the registration was integrated into the log. */
  readonly integratedAt: string;
  /** Signal names the node emits or subscribes to (for queries). */
  readonly signals: readonly string[];
  /** The node's allow-listed capability patterns (for queries). */
  readonly capabilities: readonly string[];
  /**
   * `legacy-import` for an entry brought over from the prototype registry by the enrolment role
   * (no owner signature); absent for an owner's registration.
   */
  readonly provenance?: 'legacy-import';
  /** Log index of the claim that bound an imported entry to its owner's key, once claimed. */
  readonly claimedIndex?: number;
}

/** An entry's stored answers and index terms (entry-documents.ts), as the store holds them. */
export interface StoredEntryIndex {
  readonly registryId: string;
  readonly served: string | null;
  readonly summary: string | null;
  /** Its index terms, sorted. */
  readonly terms: readonly string[];
}

/** One registered version of a node name and its owner (Store.versionsOf). */
export interface NodeVersion {
  readonly registryId: string;
  readonly ownerId: string;
}

/** What `Store.lookUp` reads: entries by id, node names' versions, nonces seen at `now` (POSIX s). */
export interface StateQuery {
  readonly registryIds: readonly string[];
  readonly names: readonly string[];
  readonly nonces: readonly string[];
  readonly now: number;
}

export interface StateLookup {
  readonly entries: ReadonlyMap<string, RegistryEntry>;
  readonly versions: ReadonlyMap<string, NodeVersion[]>;
  readonly seenNonces: ReadonlySet<string>;
}

/** Every entry, any status, a page at a time (fsck); queries read the index (`queryPage`). */
export interface EntryQuery {
  /** Return entries whose registry id sorts after this one. */
  readonly after?: string;
  readonly limit: number;
}

export interface SubtreeHash extends SubtreeRef {
  readonly hash: Uint8Array;
}

/**
 * The trust documents the log records (docs/security.md): each version of the trust root and of
 * the revocation list, as the canonical JSON of its DSSE envelope, with the log index of the leaf
 * that recorded it. Versions are unique per kind.
 */
export type TrustDocumentKind = 'trust-root' | 'revocations';

export interface StoredTrustDocument {
  readonly kind: TrustDocumentKind;
  readonly version: number;
  /** RFC 8785 canonical JSON of the DSSE envelope, exactly as logged. */
  readonly envelope: string;
  readonly logIndex: number;
}

/** An owner's entitlement as recorded by its latest enrolment leaf. */
export interface StoredEnrolment {
  readonly ownerId: string;
  readonly lanes: readonly Lane[];
  readonly maxTier: number;
  readonly logIndex: number;
  readonly enrolledAt: string;
}

/** One sequencer batch, applied atomically by `Store.append`. */
export interface AppendBatch {
  /** The tree size the batch was built on; the append fails with `size-conflict` otherwise. */
  readonly expectedSize: number;
  /** Leaf data, appended at indexes expectedSize, expectedSize + 1, ... */
  readonly leaves: readonly Uint8Array[];
  /** Every subtree hash the new leaves complete (log/subtree.ts `completedSubtrees`). */
  readonly subtreeHashes: readonly SubtreeHash[];
  /**
   * The signed checkpoint of the new tree (size = expectedSize + leaves.length). A batch without
   * leaves signs the same tree again (a fresher timestamp, or the empty log's first checkpoint):
   * its checkpoint replaces any stored one of that size.
   */
  readonly checkpoint: StoredCheckpoint;
  /** Entries created or changed by the batch, in their new state. */
  readonly entries: readonly RegistryEntry[];
  /** Nonces of the accepted requests; a nonce already stored fails the append with `nonce-conflict`. */
  readonly nonces: readonly { readonly nonce: string; readonly expiresAt: number }[];
  /** Trust documents recorded by the batch; a version already stored fails with `invalid`. */
  readonly trustDocuments?: readonly StoredTrustDocument[];
  /** Enrolments recorded by the batch; each replaces the owner's earlier one. */
  readonly enrolments?: readonly StoredEnrolment[];
  /**
   * A replica's sequencer (replication.ts): the lease it holds; the append fails with `fenced`
   * unless that lease is still current. Operator commands append without one.
   */
  readonly fence?: Fence;
  /** Outcomes of the queued writes this batch integrates (replication.ts), with the batch. */
  readonly settle?: readonly Settlement[];
}

export type StoreErrorCode =
  | 'size-conflict'
  | 'nonce-conflict'
  | 'missing-hash'
  | 'schema-too-new'
  | 'invalid'
  | 'not-empty'
  /** The append's sequencer lease is no longer current: another replica took over. */
  | 'fenced'
  /** The database file is damaged (not a database, or a malformed page). */
  | 'corrupt'
  /** The database server cannot be reached, or refuses the connection (PostgreSQL). */
  | 'unreachable';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * One stored row, as `openSnapshot` yields it and `writeSnapshot` takes it (encrypted exports,
 * docs/formats.md). Leaves come with their index so that a gap is caught, not renumbered.
 */
export type SnapshotRecord =
  | { readonly type: 'leaf'; readonly index: number; readonly data: Uint8Array }
  | { readonly type: 'subtree'; readonly subtree: SubtreeHash }
  | { readonly type: 'checkpoint'; readonly checkpoint: StoredCheckpoint }
  | { readonly type: 'trust-document'; readonly document: StoredTrustDocument }
  | { readonly type: 'enrolment'; readonly enrolment: StoredEnrolment }
  | { readonly type: 'entry'; readonly entry: RegistryEntry }
  | { readonly type: 'nonce'; readonly nonce: string; readonly expiresAt: number };

/** Everything a store holds as of one moment: a read transaction of its own. */
export interface StoreSnapshot {
  /** The log size in this snapshot. */
  readonly size: number;
  /** The latest checkpoint in this snapshot (of size `size`), if any. */
  readonly checkpoint: StoredCheckpoint | undefined;
  /** Every trust document, by kind then version (few, so read up front). */
  readonly trustDocuments: readonly StoredTrustDocument[];
  /**
   * Every row, a page at a time (memory does not grow with the log): leaves, subtree hashes,
   * checkpoints, trust documents, enrolments, entries, nonces, each table in key order.
   */
  records(): AsyncGenerator<SnapshotRecord>;
  /** Ends the read transaction. */
  close(): Promise<void>;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Number of leaves in the log. */
  treeSize(): Promise<number>;
  /** Stored subtree hashes, in the order asked; throws `missing-hash` if one is absent. */
  readSubtreeHashes(refs: readonly SubtreeRef[]): Promise<Uint8Array[]>;
  /** Leaf data for indexes [start, end). */
  readLeaves(start: number, end: number): Promise<Uint8Array[]>;
  latestCheckpoint(): Promise<StoredCheckpoint | undefined>;
  checkpointAt(size: number): Promise<StoredCheckpoint | undefined>;
  getEntry(registryId: string): Promise<RegistryEntry | undefined>;
  /**
   * The entries of node `name` (registry ids `<name>@<version>`, any status) with their owners,
   * in registry id order: who holds the node name.
   */
  versionsOf(name: string): Promise<NodeVersion[]>;
  /**
   * `getEntry` and `versionsOf` for many ids and names at once, and which of `nonces` were
   * accepted and have not expired at `now`: what a sequencer batch reads before it is decided,
   * in one round trip per kind rather than one per write. Ids not stored are absent from
   * `entries`; every name asked is a key of `versions`.
   */
  lookUp(query: StateQuery): Promise<StateLookup>;
  /** Entries of any status in registry id order, for fsck. */
  queryEntries(query: EntryQuery): Promise<RegistryEntry[]>;
  /**
   * One page of active entries for the query API, as stored answers read from the entry index
   * (entry-pages.ts): no NodeSpec is parsed or serialized.
   */
  queryPage(query: EntryPageQuery): Promise<EntryPage>;
  /**
   * The entry as `GET /api/v1/registry/{id}` answers it (any status), stored when it was written
   * (entry-documents.ts `servedEntryJson`), without `owner_revoked_at`.
   */
  servedEntry(registryId: string): Promise<EntryPageRow | undefined>;
  /** What the entry index holds for these entries (for fsck, which rebuilds and compares it). */
  entryIndexOf(registryIds: readonly string[]): Promise<StoredEntryIndex[]>;
  /** Whether `nonce` was accepted and has not yet expired at `now` (POSIX seconds). */
  nonceSeen(nonce: string, now: number): Promise<boolean>;
  /** A trust document by version, or the latest of its kind when `version` is absent. */
  trustDocument(
    kind: TrustDocumentKind,
    version?: number,
  ): Promise<StoredTrustDocument | undefined>;
  /** The owner's latest enrolment, if any. */
  enrolment(ownerId: string): Promise<StoredEnrolment | undefined>;
  /** Every owner's latest enrolment, by owner id (for fsck). */
  listEnrolments(): Promise<StoredEnrolment[]>;
  append(batch: AppendBatch): Promise<void>;
  /**
   * A consistent view of everything stored, in one read transaction (SQLite: on a connection of
   * its own; PostgreSQL: REPEATABLE READ), while appends go on.
   */
  openSnapshot(): Promise<StoreSnapshot>;
  /**
   * Writes a whole store's rows (`openSnapshot` order) into this store, which must hold nothing
   * (`not-empty` otherwise), in one transaction. `verify` runs on the written rows before the
   * commit, through a read-only view of the transaction; if it throws, nothing is committed.
   */
  writeSnapshot(
    size: number,
    records: AsyncIterable<SnapshotRecord> | Iterable<SnapshotRecord>,
    verify: (view: Store) => Promise<void>,
  ): Promise<void>;
  /** Nonces stored (accepted and not yet pruned), for the `registry_nonces` metric. */
  nonceCount(): Promise<number>;
  /** Deletes nonces expired before `now`; returns how many. */
  pruneNonces(now: number): Promise<number>;
  close(): Promise<void>;
}
