/**
 * The embedded default store: SQLite through better-sqlite3, in WAL mode with
 * `synchronous=FULL`, so a committed append survives a crash or power loss. better-sqlite3 is
 * synchronous; each method does a short bounded amount of work.
 */
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { SubtreeRef } from '../log/subtree.js';
import {
  capabilityVerb,
  duplicateTrustDocument,
  enrolmentFromRow,
  entryFromRow,
  groupBy,
  nameRange,
  trustDocumentFromRow,
  type EnrolmentRow,
  type EntryRow,
  type TrustDocumentRow,
} from './entry-rows.js';
import {
  AnswerCache,
  readEntryPage,
  type EntryPage,
  type EntryPageQuery,
  type EntryPageRow,
} from './entry-pages.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations.js';
import {
  rebuildSqliteEntryIndex,
  SqliteEntryIndex,
  sqliteEntryIndexOf,
  SqliteEntryIndexWriter,
} from './sqlite-entry-index.js';
import type { AppendReply, AppendTask } from './sqlite-append-worker.js';
import { openSqliteSnapshot, writeSqliteSnapshot } from './sqlite-snapshot.js';
import { compiledWorkerFile } from '../files/worker-file.js';
import {
  StoreError,
  type AppendBatch,
  type EntryQuery,
  type NodeVersion,
  type StateLookup,
  type StateQuery,
  type RegistryEntry,
  type SnapshotRecord,
  type Store,
  type StoredCheckpoint,
  type StoredEntryIndex,
  type StoreSnapshot,
  type StoredEnrolment,
  type StoredTrustDocument,
  type StoreErrorCode,
  type TrustDocumentKind,
} from './store.js';

export interface SqliteStoreOptions {
  /** Path of the database file, or ':memory:' for tests. */
  readonly path: string;
  readonly readonly?: boolean;
  /**
   * Apply appends in a worker thread with its own connection, so the event loop never waits
   * for a commit's fsync (the server's setting). Reads stay on this thread: WAL lets them run
   * beside the writer and see every commit that has returned.
   */
  readonly appendInWorker?: boolean;
  /** Query answers kept in memory (entry-pages.ts). Default: none. */
  readonly answerCache?: AnswerCache;
}

export function openSqliteStore(options: SqliteStoreOptions): Store {
  const db = new Database(options.path, { readonly: options.readonly ?? false });
  try {
    db.pragma('busy_timeout = 5000');
    // 64 MiB of page cache (SQLite's default is 2 MiB): the query index and the tree's upper
    // levels stay in memory instead of being read again from the OS for every page.
    db.pragma(`cache_size = -${64 * 1024}`);
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      migrate(db);
    } else {
      checkSchemaVersion(db);
    }
  } catch (error) {
    db.close();
    throw damaged(error, options.path);
  }
  const store = new SqliteStore(db, options.answerCache ?? new AnswerCache(0));
  return options.appendInWorker && options.path !== ':memory:'
    ? new WorkerAppendingStore(store, options.path)
    : store;
}

/** A SqliteStore whose appends run in a worker thread (sqlite-append-worker.ts). */
class WorkerAppendingStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly worker: Worker;
  private readonly waiting = new Map<
    number,
    { resolve: () => void; reject: (error: Error) => void }
  >();
  private nextId = 0;

  constructor(
    private readonly reader: SqliteStore,
    path: string,
  ) {
    this.worker = new Worker(compiledWorkerFile(import.meta.url, 'sqlite-append-worker.js'), {
      workerData: { path },
    });
    this.worker.on('message', (reply: AppendReply) => {
      const waiter = this.waiting.get(reply.id);
      if (!waiter) return;
      this.waiting.delete(reply.id);
      if ('error' in reply) {
        const { code, message } = reply.error;
        waiter.reject(
          code === undefined ? new Error(message) : new StoreError(code as StoreErrorCode, message),
        );
      } else waiter.resolve();
    });
    this.worker.on('error', (error) => {
      for (const waiter of this.waiting.values()) waiter.reject(error);
      this.waiting.clear();
    });
  }

  append(batch: AppendBatch): Promise<void> {
    return new Promise((resolve, reject) => {
      unreplicated(batch);
      const id = this.nextId++;
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, batch } satisfies AppendTask);
    });
  }

  treeSize(): Promise<number> {
    return this.reader.treeSize();
  }
  readSubtreeHashes(refs: readonly SubtreeRef[]): Promise<Uint8Array[]> {
    return this.reader.readSubtreeHashes(refs);
  }
  readLeaves(start: number, end: number): Promise<Uint8Array[]> {
    return this.reader.readLeaves(start, end);
  }
  latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    return this.reader.latestCheckpoint();
  }
  checkpointAt(size: number): Promise<StoredCheckpoint | undefined> {
    return this.reader.checkpointAt(size);
  }
  getEntry(registryId: string): Promise<RegistryEntry | undefined> {
    return this.reader.getEntry(registryId);
  }
  versionsOf(name: string): Promise<NodeVersion[]> {
    return this.reader.versionsOf(name);
  }
  lookUp(query: StateQuery): Promise<StateLookup> {
    return this.reader.lookUp(query);
  }
  queryEntries(query: EntryQuery): Promise<RegistryEntry[]> {
    return this.reader.queryEntries(query);
  }
  queryPage(query: EntryPageQuery): Promise<EntryPage> {
    return this.reader.queryPage(query);
  }
  entryIndexOf(registryIds: readonly string[]): Promise<StoredEntryIndex[]> {
    return this.reader.entryIndexOf(registryIds);
  }
  servedEntry(registryId: string): Promise<EntryPageRow | undefined> {
    return this.reader.servedEntry(registryId);
  }
  nonceSeen(nonce: string, now: number): Promise<boolean> {
    return this.reader.nonceSeen(nonce, now);
  }
  trustDocument(
    kind: TrustDocumentKind,
    version?: number,
  ): Promise<StoredTrustDocument | undefined> {
    return this.reader.trustDocument(kind, version);
  }
  enrolment(ownerId: string): Promise<StoredEnrolment | undefined> {
    return this.reader.enrolment(ownerId);
  }
  listEnrolments(): Promise<StoredEnrolment[]> {
    return this.reader.listEnrolments();
  }
  nonceCount(): Promise<number> {
    return this.reader.nonceCount();
  }
  pruneNonces(now: number): Promise<number> {
    return this.reader.pruneNonces(now);
  }
  openSnapshot(): Promise<StoreSnapshot> {
    return this.reader.openSnapshot();
  }
  writeSnapshot(
    size: number,
    records: AsyncIterable<SnapshotRecord> | Iterable<SnapshotRecord>,
    verify: (view: Store) => Promise<void>,
  ): Promise<void> {
    return this.reader.writeSnapshot(size, records, () => verify(this));
  }
  async close(): Promise<void> {
    await this.worker.terminate();
    await this.reader.close();
  }
}

function schemaVersion(db: Database.Database): number {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)',
  );
  const row = db.prepare('SELECT MAX(version) AS version FROM schema_migrations').get() as {
    version: number | null;
  };
  return row.version ?? 0;
}

function checkSchemaVersion(db: Database.Database): void {
  const row = db.prepare('SELECT MAX(version) AS version FROM schema_migrations').get() as {
    version: number | null;
  };
  if ((row.version ?? 0) > LATEST_SCHEMA_VERSION) {
    throw new StoreError(
      'schema-too-new',
      `database schema version ${row.version ?? 0} is newer than this matriz (${LATEST_SCHEMA_VERSION}); upgrade matriz`,
    );
  }
}

function migrate(db: Database.Database): void {
  db.transaction(() => {
    const current = schemaVersion(db);
    if (current > LATEST_SCHEMA_VERSION) {
      throw new StoreError(
        'schema-too-new',
        `database schema version ${current} is newer than this matriz (${LATEST_SCHEMA_VERSION}); upgrade matriz`,
      );
    }
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue;
      db.exec(migration.sqlite);
      if (migration.rebuildEntryIndex) rebuildSqliteEntryIndex(db);
      db.prepare(
        'INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)',
      ).run(migration.version, migration.description, new Date().toISOString());
    }
  }).immediate();
}

class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly statements;
  private readonly entryIndex: SqliteEntryIndex;
  private readonly entryIndexWriter: SqliteEntryIndexWriter;

  constructor(
    private readonly db: Database.Database,
    private readonly answers = new AnswerCache(0),
  ) {
    this.entryIndex = new SqliteEntryIndex(db);
    this.entryIndexWriter = new SqliteEntryIndexWriter(db);
    this.statements = {
      size: db.prepare('SELECT size FROM log_state WHERE id = 1').pluck(),
      setSize: db.prepare('UPDATE log_state SET size = ? WHERE id = 1'),
      subtree: db.prepare('SELECT hash FROM subtrees WHERE level = ? AND idx = ?').pluck(),
      insertSubtree: db.prepare('INSERT INTO subtrees (level, idx, hash) VALUES (?, ?, ?)'),
      leaves: db.prepare('SELECT data FROM leaves WHERE idx >= ? AND idx < ? ORDER BY idx').pluck(),
      insertLeaf: db.prepare('INSERT INTO leaves (idx, data) VALUES (?, ?)'),
      latestCheckpoint: db.prepare(
        'SELECT size, note, signed_at FROM checkpoints ORDER BY size DESC LIMIT 1',
      ),
      checkpointAt: db.prepare('SELECT size, note, signed_at FROM checkpoints WHERE size = ?'),
      insertCheckpoint: db.prepare(
        'INSERT INTO checkpoints (size, note, signed_at) VALUES (?, ?, ?) ON CONFLICT (size) DO UPDATE SET note = excluded.note, signed_at = excluded.signed_at',
      ),
      entry: db.prepare('SELECT * FROM entries WHERE registry_id = ?'),
      entriesAfter: db.prepare(
        'SELECT * FROM entries WHERE registry_id > ? ORDER BY registry_id LIMIT ?',
      ),
      servedEntry: db.prepare(
        'SELECT registry_id AS registryId, owner_id AS ownerId, served_json AS json FROM entries WHERE registry_id = ?',
      ),
      versions: db.prepare(
        'SELECT registry_id, owner_id FROM entries WHERE registry_id > ? AND registry_id < ? ORDER BY registry_id',
      ),
      signals: db.prepare(
        'SELECT registry_id, signal AS value FROM entry_signals WHERE registry_id = ? ORDER BY signal',
      ),
      capabilities: db.prepare(
        'SELECT registry_id, pattern AS value FROM entry_capabilities WHERE registry_id = ? ORDER BY pattern',
      ),
      upsertEntry: db.prepare(`
        INSERT INTO entries (registry_id, owner_id, lane, tier, node_spec, spec_digest, status, registered_index, deregistered_index, integrated_at, provenance, claimed_index)
        VALUES (@registry_id, @owner_id, @lane, @tier, @node_spec, @spec_digest, @status, @registered_index, @deregistered_index, @integrated_at, @provenance, @claimed_index)
        ON CONFLICT (registry_id) DO UPDATE SET owner_id = excluded.owner_id, status = excluded.status, deregistered_index = excluded.deregistered_index, claimed_index = excluded.claimed_index`),
      deleteSignals: db.prepare('DELETE FROM entry_signals WHERE registry_id = ?'),
      insertSignal: db.prepare(
        'INSERT OR IGNORE INTO entry_signals (registry_id, signal) VALUES (?, ?)',
      ),
      deleteCapabilities: db.prepare('DELETE FROM entry_capabilities WHERE registry_id = ?'),
      insertCapability: db.prepare(
        'INSERT OR IGNORE INTO entry_capabilities (registry_id, verb, pattern) VALUES (?, ?, ?)',
      ),
      nonceSeen: db.prepare('SELECT 1 FROM nonces WHERE nonce = ? AND expires_at > ?').pluck(),
      insertNonce: db.prepare('INSERT INTO nonces (nonce, expires_at) VALUES (?, ?)'),
      pruneNonces: db.prepare('DELETE FROM nonces WHERE expires_at <= ?'),
      nonceCount: db.prepare('SELECT count(*) FROM nonces').pluck(),
      trustDocument: db.prepare(
        'SELECT kind, version, envelope, log_index FROM trust_documents WHERE kind = ? AND version = ?',
      ),
      latestTrustDocument: db.prepare(
        'SELECT kind, version, envelope, log_index FROM trust_documents WHERE kind = ? ORDER BY version DESC LIMIT 1',
      ),
      insertTrustDocument: db.prepare(
        'INSERT INTO trust_documents (kind, version, envelope, log_index) VALUES (?, ?, ?, ?)',
      ),
      enrolment: db.prepare(
        'SELECT owner_id, lanes, max_tier, log_index, enrolled_at FROM enrolments WHERE owner_id = ?',
      ),
      upsertEnrolment: db.prepare(`
        INSERT INTO enrolments (owner_id, lanes, max_tier, log_index, enrolled_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (owner_id) DO UPDATE SET lanes = excluded.lanes, max_tier = excluded.max_tier, log_index = excluded.log_index, enrolled_at = excluded.enrolled_at`),
    };
  }

  treeSize(): Promise<number> {
    return settle(() => this.statements.size.get() as number);
  }

  readSubtreeHashes(refs: readonly SubtreeRef[]): Promise<Uint8Array[]> {
    return settle(() =>
      refs.map(({ level, index }) => {
        const hash = this.statements.subtree.get(level, index) as Buffer | undefined;
        if (hash === undefined)
          throw new StoreError(
            'missing-hash',
            `no stored subtree hash at level ${level}, index ${index}`,
          );
        return new Uint8Array(hash);
      }),
    );
  }

  readLeaves(start: number, end: number): Promise<Uint8Array[]> {
    return settle(() =>
      (this.statements.leaves.all(start, end) as Buffer[]).map((b) => new Uint8Array(b)),
    );
  }

  latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    return settle(() => toCheckpoint(this.statements.latestCheckpoint.get()));
  }

  checkpointAt(size: number): Promise<StoredCheckpoint | undefined> {
    return settle(() => toCheckpoint(this.statements.checkpointAt.get(size)));
  }

  getEntry(registryId: string): Promise<RegistryEntry | undefined> {
    return settle(() => {
      const row = this.statements.entry.get(registryId) as EntryRow | undefined;
      return row && this.hydrate([row])[0];
    });
  }

  versionsOf(name: string): Promise<NodeVersion[]> {
    const { from, to } = nameRange(name);
    return settle(() =>
      (this.statements.versions.all(from, to) as { registry_id: string; owner_id: string }[]).map(
        (row) => ({ registryId: row.registry_id, ownerId: row.owner_id }),
      ),
    );
  }

  // SQLite answers in-process: one prepared statement per key costs no round trip.
  lookUp(query: StateQuery): Promise<StateLookup> {
    return settle(() => {
      const entries = new Map<string, RegistryEntry>();
      for (const id of new Set(query.registryIds)) {
        const row = this.statements.entry.get(id) as EntryRow | undefined;
        const entry = row && this.hydrate([row])[0];
        if (entry !== undefined) entries.set(id, entry);
      }
      const versions = new Map<string, NodeVersion[]>();
      for (const name of query.names) {
        const { from, to } = nameRange(name);
        const rows = this.statements.versions.all(from, to) as {
          registry_id: string;
          owner_id: string;
        }[];
        versions.set(
          name,
          rows.map((row) => ({ registryId: row.registry_id, ownerId: row.owner_id })),
        );
      }
      const seenNonces = new Set(
        query.nonces.filter(
          (nonce) => this.statements.nonceSeen.get(nonce, query.now) !== undefined,
        ),
      );
      return { entries, versions, seenNonces };
    });
  }

  queryEntries(query: EntryQuery): Promise<RegistryEntry[]> {
    return settle(() =>
      this.hydrate(this.statements.entriesAfter.all(query.after ?? '', query.limit) as EntryRow[]),
    );
  }

  queryPage(query: EntryPageQuery): Promise<EntryPage> {
    return readEntryPage(this.entryIndex, query, this.answers).catch((error: unknown) => {
      throw damaged(error);
    });
  }

  entryIndexOf(registryIds: readonly string[]): Promise<StoredEntryIndex[]> {
    return settle(() => sqliteEntryIndexOf(this.db, registryIds));
  }

  servedEntry(registryId: string): Promise<EntryPageRow | undefined> {
    return settle(() => {
      const row = this.statements.servedEntry.get(registryId) as
        { registryId: string; ownerId: string; json: string | null } | undefined;
      return row?.json == null
        ? undefined
        : { registryId: row.registryId, ownerId: row.ownerId, body: Buffer.from(row.json) };
    });
  }

  nonceSeen(nonce: string, now: number): Promise<boolean> {
    return settle(() => this.statements.nonceSeen.get(nonce, now) !== undefined);
  }

  trustDocument(
    kind: TrustDocumentKind,
    version?: number,
  ): Promise<StoredTrustDocument | undefined> {
    return settle(() =>
      toTrustDocument(
        version === undefined
          ? this.statements.latestTrustDocument.get(kind)
          : this.statements.trustDocument.get(kind, version),
      ),
    );
  }

  enrolment(ownerId: string): Promise<StoredEnrolment | undefined> {
    return settle(() => toEnrolment(this.statements.enrolment.get(ownerId)));
  }

  listEnrolments(): Promise<StoredEnrolment[]> {
    return settle(() =>
      (
        this.db
          .prepare(
            'SELECT owner_id, lanes, max_tier, log_index, enrolled_at FROM enrolments ORDER BY owner_id',
          )
          .all() as EnrolmentRow[]
      ).map(enrolmentFromRow),
    );
  }

  append(batch: AppendBatch): Promise<void> {
    const s = this.statements;
    return settle(() => {
      unreplicated(batch);
      this.db
        .transaction(() => {
          const size = s.size.get() as number;
          if (size !== batch.expectedSize) {
            throw new StoreError(
              'size-conflict',
              `log size is ${size}, the batch expected ${batch.expectedSize}`,
            );
          }
          const newSize = size + batch.leaves.length;
          if (batch.checkpoint.size !== newSize) {
            throw new StoreError(
              'invalid',
              `checkpoint size ${batch.checkpoint.size} does not match the new tree size ${newSize}`,
            );
          }
          batch.leaves.forEach((leaf, i) => s.insertLeaf.run(size + i, leaf));
          for (const { level, index, hash } of batch.subtreeHashes)
            s.insertSubtree.run(level, index, hash);
          s.insertCheckpoint.run(
            batch.checkpoint.size,
            batch.checkpoint.note,
            batch.checkpoint.signedAt,
          );
          for (const entry of batch.entries) {
            s.upsertEntry.run(entryParams(entry));
            s.deleteSignals.run(entry.registryId);
            for (const signal of entry.signals) s.insertSignal.run(entry.registryId, signal);
            s.deleteCapabilities.run(entry.registryId);
            for (const pattern of entry.capabilities)
              s.insertCapability.run(entry.registryId, capabilityVerb(pattern), pattern);
            this.entryIndexWriter.write(entry, batch.checkpoint.size);
          }
          for (const { nonce, expiresAt } of batch.nonces) {
            try {
              s.insertNonce.run(nonce, expiresAt);
            } catch (error) {
              if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
                throw new StoreError('nonce-conflict', `nonce ${nonce} was already used`);
              }
              throw error;
            }
          }
          this.appendTrust(batch);
          s.setSize.run(newSize);
        })
        .immediate();
    });
  }

  nonceCount(): Promise<number> {
    return settle(() => this.statements.nonceCount.get() as number);
  }

  pruneNonces(now: number): Promise<number> {
    return settle(() => this.statements.pruneNonces.run(now).changes);
  }

  openSnapshot(): Promise<StoreSnapshot> {
    return settle(() => openSqliteSnapshot(this.db));
  }

  writeSnapshot(
    size: number,
    records: AsyncIterable<SnapshotRecord> | Iterable<SnapshotRecord>,
    verify: (view: Store) => Promise<void>,
  ): Promise<void> {
    return writeSqliteSnapshot(this.db, size, records, () => verify(this));
  }

  /** The batch's trust documents and enrolments, inside append's transaction. */
  private appendTrust(batch: AppendBatch): void {
    const s = this.statements;
    for (const document of batch.trustDocuments ?? []) {
      try {
        s.insertTrustDocument.run(
          document.kind,
          document.version,
          document.envelope,
          document.logIndex,
        );
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
          throw duplicateTrustDocument(document);
        throw error;
      }
    }
    for (const enrolment of batch.enrolments ?? []) {
      s.upsertEnrolment.run(
        enrolment.ownerId,
        enrolment.lanes.join(','),
        enrolment.maxTier,
        enrolment.logIndex,
        enrolment.enrolledAt,
      );
    }
  }

  close(): Promise<void> {
    return settle(() => {
      this.db.close();
    });
  }

  private hydrate(rows: readonly EntryRow[]): RegistryEntry[] {
    return rows.map((row) => {
      const signals = groupBy(
        this.statements.signals.all(row.registry_id) as { registry_id: string; value: string }[],
      );
      const capabilities = groupBy(
        this.statements.capabilities.all(row.registry_id) as {
          registry_id: string;
          value: string;
        }[],
      );
      return entryFromRow(
        row,
        signals.get(row.registry_id) ?? [],
        capabilities.get(row.registry_id) ?? [],
      );
    });
  }
}

function entryParams(entry: RegistryEntry): EntryRow {
  return {
    registry_id: entry.registryId,
    owner_id: entry.ownerId,
    lane: entry.lane,
    tier: entry.tier,
    node_spec: entry.nodeSpec,
    spec_digest: entry.specDigest,
    status: entry.status,
    registered_index: entry.registeredIndex,
    deregistered_index: entry.deregisteredIndex ?? null,
    integrated_at: entry.integratedAt,
    provenance: entry.provenance ?? 'owner',
    claimed_index: entry.claimedIndex ?? null,
  };
}

function toCheckpoint(row: unknown): StoredCheckpoint | undefined {
  if (row === undefined) return undefined;
  const {
    size,
    note,
    signed_at: signedAt,
  } = row as { size: number; note: string; signed_at: number };
  return { size, note, signedAt };
}

function toTrustDocument(row: unknown): StoredTrustDocument | undefined {
  return row === undefined ? undefined : trustDocumentFromRow(row as TrustDocumentRow);
}

function toEnrolment(row: unknown): StoredEnrolment | undefined {
  return row === undefined ? undefined : enrolmentFromRow(row as EnrolmentRow);
}

/** Runs synchronous database work, turning a throw into a rejected promise like the async stores. */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(damaged(error));
  }
}

/**
 * SQLite's "this file is damaged" errors as a StoreError `corrupt` that says so; anything else
 * as it is.
 */
function damaged(error: unknown, file?: string): Error {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^SQLITE_(CORRUPT|NOTADB)/.test(code))
    return new StoreError(
      'corrupt',
      `${file === undefined ? 'the SQLite database' : file} is damaged (${(error as Error).message}): restore it from a backup (docs/runbooks/restore-from-backup.md)`,
    );
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * The embedded store is one process's: a batch from a replica's sequencer (with a lease fence
 * or queued writes to settle) belongs on PostgreSQL (replication.ts) and is refused here.
 */
function unreplicated(batch: AppendBatch): void {
  if (batch.fence !== undefined || batch.settle !== undefined)
    throw new StoreError(
      'invalid',
      'the SQLite store has no sequencer lease or write queue: replicas share a PostgreSQL store',
    );
}
