/**
 * The PostgreSQL store, for several registry replicas sharing one log. Appends serialize on
 * the `log_state` row (SELECT ... FOR UPDATE): a replica whose sequencer built a batch on a
 * stale tree size gets `size-conflict` and rebuilds, so two replicas can never fork the log.
 */
import pg from 'pg';
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
import { pack } from './postgres-packed.js';
import { CoalescedLookUp, type StateRead } from './coalesced-lookup.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations.js';
import {
  PostgresEntryIndex,
  postgresEntryIndexOf,
  rebuildPostgresEntryIndex,
  writePostgresEntryIndex,
} from './postgres-entry-index.js';
import { openPostgresSnapshot, writePostgresSnapshot } from './postgres-snapshot.js';
import { CHANNELS, checkFence, PostgresReplication, settleIn } from './postgres-replication.js';
import type { Replication } from './replication.js';
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
  type TrustDocumentKind,
} from './store.js';

export interface PostgresStoreOptions {
  /** A libpq connection string, e.g. `postgres://user@127.0.0.1:5432/registry`. */
  readonly connectionString: string;
  /** Schema (namespace) holding the tables; created if absent. Default `public`. */
  readonly schema?: string;
  readonly maxConnections?: number;
  /** Query answers kept in memory (entry-pages.ts). Default: none. */
  readonly answerCache?: AnswerCache;
  /**
   * Told when a pooled connection fails (the server restarted, the backend was killed, the
   * network cut): the pool drops it and the next query opens another.
   */
  readonly onConnectionError?: (error: Error) => void;
}

const UNIQUE_VIOLATION = '23505';
// Arbitrary constant key for the advisory lock that serializes migrations across replicas.
const MIGRATION_LOCK = 0x6d61747269;

/** The PostgreSQL store, with what replicas share through it (replication.ts). */
export interface PostgresStoreHandle extends Store {
  readonly kind: 'postgres';
  readonly replication: Replication;
}

export async function openPostgresStore(
  options: PostgresStoreOptions,
): Promise<PostgresStoreHandle> {
  const schema = options.schema ?? 'public';
  if (!/^[a-z_][a-z0-9_]*$/.test(schema))
    throw new StoreError('invalid', `invalid schema name ${JSON.stringify(schema)}`);
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    options: `-c search_path=${schema}`,
  });
  // A connection that fails outside a query (the backend killed, the server restarted, the
  // network cut) emits 'error' on its client, idle or checked out, and an 'error' nobody
  // listens to ends the process. The pool drops the client; the query in flight, if any,
  // fails on its own; the next one opens a new connection.
  pool.on('connect', (client) => {
    client.on('error', (error) => {
      options.onConnectionError?.(error);
    });
  });
  pool.on('error', () => {
    // Already told by the client's listener above.
  });
  try {
    await migrate(pool, schema);
  } catch (error) {
    await pool.end();
    throw unreachable(error, options.connectionString) ?? error;
  }
  const store = new PostgresStore(pool, undefined, options.answerCache ?? new AnswerCache(0));
  return Object.assign(store, {
    replication: new PostgresReplication(pool, {
      connectionString: options.connectionString,
      schema,
    }),
  });
}

/** Socket errors, and SQLSTATE classes 08 (connection) and 28 (authorization), and 3D000. */
const UNREACHABLE = /^(E[A-Z]+|08...|28...|3D000)$/;

/**
 * A failure to connect as a StoreError `unreachable` that names the server and database (never
 * the password); undefined for any other error.
 */
function unreachable(error: unknown, connectionString: string): StoreError | undefined {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !UNREACHABLE.test(code)) return undefined;
  let where = 'the database';
  try {
    const url = new URL(connectionString);
    where = `${url.host}${url.pathname}`;
  } catch {
    // A libpq keyword string, not a URL: said as "the database".
  }
  return new StoreError(
    'unreachable',
    `cannot open the PostgreSQL database ${where}: ${(error as Error).message}`,
  );
}

async function migrate(pool: pg.Pool, schema: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)',
    );
    const { rows } = await client.query<{ version: number | null }>(
      'SELECT MAX(version) AS version FROM schema_migrations',
    );
    const current = rows[0]?.version ?? 0;
    if (current > LATEST_SCHEMA_VERSION) {
      throw new StoreError(
        'schema-too-new',
        `database schema version ${current} is newer than this matriz (${LATEST_SCHEMA_VERSION}); upgrade matriz`,
      );
    }
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue;
      await client.query(migration.postgres);
      if (migration.rebuildEntryIndex) await rebuildPostgresEntryIndex(client);
      await client.query(
        'INSERT INTO schema_migrations (version, description, applied_at) VALUES ($1, $2, $3)',
        [migration.version, migration.description, new Date().toISOString()],
      );
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

/** Where reads go: the pool, or one client inside a transaction (writeSnapshot's view). */
type Queryable = Pick<pg.PoolClient, 'query'>;

class PostgresStore implements Store {
  private readonly lookups = new CoalescedLookUp((query) => this.readState(query));
  readonly kind = 'postgres' as const;
  private readonly db: Queryable;

  constructor(
    private readonly pool: pg.Pool,
    reads?: Queryable,
    private readonly answers = new AnswerCache(0),
  ) {
    this.db = reads ?? pool;
  }

  async treeSize(): Promise<number> {
    const { rows } = await this.db.query<{ size: string }>(
      'SELECT size FROM log_state WHERE id = 1',
    );
    return Number(rows[0]?.size ?? 0);
  }

  async readSubtreeHashes(refs: readonly SubtreeRef[]): Promise<Uint8Array[]> {
    if (refs.length === 0) return [];
    const { rows } = await this.db.query<{ level: number; idx: string; hash: Buffer }>(
      'SELECT level, idx, hash FROM subtrees WHERE (level, idx) IN (SELECT * FROM unnest($1::smallint[], $2::bigint[]))',
      [refs.map((r) => r.level), refs.map((r) => r.index)],
    );
    const found = new Map(rows.map((row) => [`${row.level}/${row.idx}`, row.hash]));
    return refs.map(({ level, index }) => {
      const hash = found.get(`${level}/${index}`);
      if (hash === undefined)
        throw new StoreError(
          'missing-hash',
          `no stored subtree hash at level ${level}, index ${index}`,
        );
      return new Uint8Array(hash);
    });
  }

  async readLeaves(start: number, end: number): Promise<Uint8Array[]> {
    const { rows } = await this.db.query<{ data: Buffer }>(
      'SELECT data FROM leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx',
      [start, end],
    );
    return rows.map((row) => new Uint8Array(row.data));
  }

  async latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    const { rows } = await this.db.query<CheckpointRow>(
      'SELECT size, note, signed_at FROM checkpoints ORDER BY size DESC LIMIT 1',
    );
    return toCheckpoint(rows[0]);
  }

  async checkpointAt(size: number): Promise<StoredCheckpoint | undefined> {
    const { rows } = await this.db.query<CheckpointRow>(
      'SELECT size, note, signed_at FROM checkpoints WHERE size = $1',
      [size],
    );
    return toCheckpoint(rows[0]);
  }

  async getEntry(registryId: string): Promise<RegistryEntry | undefined> {
    const { rows } = await this.db.query<EntryRow>('SELECT * FROM entries WHERE registry_id = $1', [
      registryId,
    ]);
    return (await this.hydrate(rows))[0];
  }

  async versionsOf(name: string): Promise<NodeVersion[]> {
    const { from, to } = nameRange(name);
    const { rows } = await this.db.query<{ registry_id: string; owner_id: string }>(
      'SELECT registry_id, owner_id FROM entries WHERE registry_id COLLATE "C" > $1 AND registry_id COLLATE "C" < $2 ORDER BY registry_id COLLATE "C"',
      [from, to],
    );
    return rows.map((row) => ({ registryId: row.registry_id, ownerId: row.owner_id }));
  }

  lookUp(query: StateQuery): Promise<StateLookup> {
    return this.lookups.lookUp(query);
  }

  /** One read of entries, versions and nonces for many keys: one query per kind. */
  private async readState(query: Omit<StateQuery, 'now'>): Promise<StateRead> {
    const ids = query.registryIds;
    const names = query.names;
    const ranges = names.map(nameRange);
    const [entryRows, versionRows, nonceRows] = await Promise.all([
      ids.length === 0
        ? []
        : this.db
            .query<EntryRow>('SELECT * FROM entries WHERE registry_id = ANY($1::text[])', [ids])
            .then((result) => result.rows),
      names.length === 0
        ? []
        : this.db
            .query<{ name: string; registry_id: string; owner_id: string }>(
              `SELECT r.name, e.registry_id, e.owner_id
                 FROM unnest($1::text[], $2::text[], $3::text[]) AS r(name, lo, hi)
                 JOIN entries e ON e.registry_id COLLATE "C" > r.lo AND e.registry_id COLLATE "C" < r.hi
                ORDER BY e.registry_id COLLATE "C"`,
              [names, ranges.map((range) => range.from), ranges.map((range) => range.to)],
            )
            .then((result) => result.rows),
      query.nonces.length === 0
        ? []
        : this.db
            .query<{ nonce: string; expires_at: string }>(
              'SELECT nonce, expires_at FROM nonces WHERE nonce = ANY($1::text[])',
              [query.nonces],
            )
            .then((result) => result.rows),
    ]);
    const versions = new Map<string, NodeVersion[]>(names.map((name) => [name, []]));
    for (const row of versionRows)
      versions.get(row.name)?.push({ registryId: row.registry_id, ownerId: row.owner_id });
    return {
      entries: new Map((await this.hydrate(entryRows)).map((entry) => [entry.registryId, entry])),
      versions,
      nonceExpiry: new Map(nonceRows.map((row) => [row.nonce, Number(row.expires_at)])),
    };
  }

  async queryEntries(query: EntryQuery): Promise<RegistryEntry[]> {
    // COLLATE "C": byte order, the same as SQLite's, so cursors mean the same in both stores.
    const { rows } = await this.db.query<EntryRow>(
      'SELECT * FROM entries WHERE registry_id COLLATE "C" > $1 ORDER BY registry_id COLLATE "C" LIMIT $2',
      [query.after ?? '', query.limit],
    );
    return this.hydrate(rows);
  }

  entryIndexOf(registryIds: readonly string[]): Promise<StoredEntryIndex[]> {
    return postgresEntryIndexOf(this.db, registryIds);
  }

  async servedEntry(registryId: string): Promise<EntryPageRow | undefined> {
    const { rows } = await this.db.query<{
      registry_id: string;
      owner_id: string;
      json: string | null;
    }>('SELECT registry_id, owner_id, served_json AS json FROM entries WHERE registry_id = $1', [
      registryId,
    ]);
    const row = rows[0];
    return row?.json == null
      ? undefined
      : { registryId: row.registry_id, ownerId: row.owner_id, body: Buffer.from(row.json) };
  }

  queryPage(query: EntryPageQuery): Promise<EntryPage> {
    return readEntryPage(new PostgresEntryIndex(this.db), query, this.answers);
  }

  async nonceSeen(nonce: string, now: number): Promise<boolean> {
    const { rowCount } = await this.db.query(
      'SELECT 1 FROM nonces WHERE nonce = $1 AND expires_at > $2',
      [nonce, now],
    );
    return (rowCount ?? 0) > 0;
  }

  async trustDocument(
    kind: TrustDocumentKind,
    version?: number,
  ): Promise<StoredTrustDocument | undefined> {
    const { rows } =
      version === undefined
        ? await this.db.query<TrustDocumentRow>(
            'SELECT kind, version, envelope, log_index FROM trust_documents WHERE kind = $1 ORDER BY version DESC LIMIT 1',
            [kind],
          )
        : await this.db.query<TrustDocumentRow>(
            'SELECT kind, version, envelope, log_index FROM trust_documents WHERE kind = $1 AND version = $2',
            [kind, version],
          );
    return rows[0] && trustDocumentFromRow(rows[0]);
  }

  async enrolment(ownerId: string): Promise<StoredEnrolment | undefined> {
    const { rows } = await this.db.query<EnrolmentRow>(
      'SELECT owner_id, lanes, max_tier, log_index, enrolled_at FROM enrolments WHERE owner_id = $1',
      [ownerId],
    );
    return rows[0] && enrolmentFromRow(rows[0]);
  }

  async listEnrolments(): Promise<StoredEnrolment[]> {
    const { rows } = await this.db.query<EnrolmentRow>(
      'SELECT owner_id, lanes, max_tier, log_index, enrolled_at FROM enrolments ORDER BY owner_id COLLATE "C"',
    );
    return rows.map(enrolmentFromRow);
  }

  async append(batch: AppendBatch): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ size: string }>(
        'SELECT size FROM log_state WHERE id = 1 FOR UPDATE',
      );
      const size = Number(rows[0]?.size ?? 0);
      if (batch.fence !== undefined) await checkFence(client, batch.fence);
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
      if (batch.leaves.length > 0) {
        const leaves = pack(batch.leaves);
        await client.query(
          `INSERT INTO leaves (idx, data)
           SELECT $1::bigint + p.n - 1, substring($2::bytea FROM p.start FOR p.len)
             FROM unnest($3::integer[], $4::integer[]) WITH ORDINALITY AS p(start, len, n)`,
          [size, leaves.bytes, leaves.starts, leaves.lengths],
        );
      }
      if (batch.subtreeHashes.length > 0) {
        await client.query(
          'INSERT INTO subtrees (level, idx, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])',
          [
            batch.subtreeHashes.map((h) => h.level),
            batch.subtreeHashes.map((h) => h.index),
            batch.subtreeHashes.map((h) => Buffer.from(h.hash)),
          ],
        );
      }
      // A batch without leaves signs the same tree again: its checkpoint replaces the older one.
      await client.query(
        'INSERT INTO checkpoints (size, note, signed_at) VALUES ($1, $2, $3) ON CONFLICT (size) DO UPDATE SET note = excluded.note, signed_at = excluded.signed_at',
        [batch.checkpoint.size, batch.checkpoint.note, batch.checkpoint.signedAt],
      );
      // One statement per table for the whole batch, not one round trip per entry and table.
      // An id listed twice keeps its last state (ON CONFLICT cannot touch a row twice).
      const entries = [...new Map(batch.entries.map((e) => [e.registryId, e])).values()];
      if (entries.length > 0) {
        const ids = entries.map((e) => e.registryId);
        await client.query(
          `INSERT INTO entries (registry_id, owner_id, lane, tier, node_spec, spec_digest, status, registered_index, deregistered_index, integrated_at, provenance, claimed_index)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::bigint[], $10::text[], $11::text[], $12::bigint[])
           ON CONFLICT (registry_id) DO UPDATE SET owner_id = excluded.owner_id, status = excluded.status, deregistered_index = excluded.deregistered_index, claimed_index = excluded.claimed_index`,
          [
            ids,
            entries.map((e) => e.ownerId),
            entries.map((e) => e.lane),
            entries.map((e) => e.tier),
            entries.map((e) => e.nodeSpec),
            entries.map((e) => e.specDigest),
            entries.map((e) => e.status),
            entries.map((e) => e.registeredIndex),
            entries.map((e) => e.deregisteredIndex ?? null),
            entries.map((e) => e.integratedAt),
            entries.map((e) => e.provenance ?? 'owner'),
            entries.map((e) => e.claimedIndex ?? null),
          ],
        );
        await client.query('DELETE FROM entry_signals WHERE registry_id = ANY($1::text[])', [ids]);
        await client.query('DELETE FROM entry_capabilities WHERE registry_id = ANY($1::text[])', [
          ids,
        ]);
        const signals = entries.flatMap((e) => e.signals.map((signal) => [e.registryId, signal]));
        if (signals.length > 0) {
          await client.query(
            'INSERT INTO entry_signals (registry_id, signal) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING',
            [signals.map(([id]) => id), signals.map(([, signal]) => signal)],
          );
        }
        const capabilities = entries.flatMap((e) =>
          e.capabilities.map((pattern) => [e.registryId, capabilityVerb(pattern), pattern]),
        );
        if (capabilities.length > 0) {
          await client.query(
            'INSERT INTO entry_capabilities (registry_id, verb, pattern) SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING',
            [
              capabilities.map(([id]) => id),
              capabilities.map(([, verb]) => verb),
              capabilities.map(([, , pattern]) => pattern),
            ],
          );
        }
        await writePostgresEntryIndex(client, entries, batch.checkpoint.size);
      }
      if (batch.nonces.length > 0) {
        try {
          await client.query(
            'INSERT INTO nonces (nonce, expires_at) SELECT * FROM unnest($1::text[], $2::bigint[])',
            [batch.nonces.map((n) => n.nonce), batch.nonces.map((n) => n.expiresAt)],
          );
        } catch (error) {
          if ((error as { code?: string }).code === UNIQUE_VIOLATION) {
            throw new StoreError('nonce-conflict', 'a nonce in the batch was already used');
          }
          throw error;
        }
      }
      await appendTrust(client, batch);
      await client.query('UPDATE log_state SET size = $1 WHERE id = 1', [newSize]);
      // Replicas waiting on these writes, or following the log, hear of it at the commit.
      if (batch.settle !== undefined) await settleIn(client, batch.settle);
      else await client.query('SELECT pg_notify($1, NULL)', [CHANNELS.settled]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }

  async nonceCount(): Promise<number> {
    const { rows } = await this.db.query<{ count: string }>('SELECT count(*) AS count FROM nonces');
    return Number(rows[0]?.count ?? 0);
  }

  async pruneNonces(now: number): Promise<number> {
    const { rowCount } = await this.db.query('DELETE FROM nonces WHERE expires_at <= $1', [now]);
    return rowCount ?? 0;
  }

  openSnapshot(): Promise<StoreSnapshot> {
    return openPostgresSnapshot(this.pool);
  }

  writeSnapshot(
    size: number,
    records: AsyncIterable<SnapshotRecord> | Iterable<SnapshotRecord>,
    verify: (view: Store) => Promise<void>,
  ): Promise<void> {
    return writePostgresSnapshot(this.pool, size, records, (client) =>
      verify(new PostgresStore(this.pool, client)),
    );
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async hydrate(rows: readonly EntryRow[]): Promise<RegistryEntry[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((row) => row.registry_id);
    const [signals, capabilities] = await Promise.all([
      this.db.query<{ registry_id: string; value: string }>(
        'SELECT registry_id, signal AS value FROM entry_signals WHERE registry_id = ANY($1) ORDER BY signal COLLATE "C"',
        [ids],
      ),
      this.db.query<{ registry_id: string; value: string }>(
        'SELECT registry_id, pattern AS value FROM entry_capabilities WHERE registry_id = ANY($1) ORDER BY pattern COLLATE "C"',
        [ids],
      ),
    ]);
    const signalsById = groupBy(signals.rows);
    const capabilitiesById = groupBy(capabilities.rows);
    return rows.map((row) =>
      entryFromRow(
        row,
        signalsById.get(row.registry_id) ?? [],
        capabilitiesById.get(row.registry_id) ?? [],
      ),
    );
  }
}

/** The batch's trust documents and enrolments, inside append's transaction. */
async function appendTrust(client: pg.PoolClient, batch: AppendBatch): Promise<void> {
  for (const document of batch.trustDocuments ?? []) {
    try {
      await client.query(
        'INSERT INTO trust_documents (kind, version, envelope, log_index) VALUES ($1, $2, $3, $4)',
        [document.kind, document.version, document.envelope, document.logIndex],
      );
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION)
        throw duplicateTrustDocument(document);
      throw error;
    }
  }
  for (const enrolment of batch.enrolments ?? []) {
    await client.query(
      `INSERT INTO enrolments (owner_id, lanes, max_tier, log_index, enrolled_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (owner_id) DO UPDATE SET lanes = excluded.lanes, max_tier = excluded.max_tier, log_index = excluded.log_index, enrolled_at = excluded.enrolled_at`,
      [
        enrolment.ownerId,
        enrolment.lanes.join(','),
        enrolment.maxTier,
        enrolment.logIndex,
        enrolment.enrolledAt,
      ],
    );
  }
}

interface CheckpointRow {
  size: string;
  note: string;
  signed_at: string;
}

function toCheckpoint(row: CheckpointRow | undefined): StoredCheckpoint | undefined {
  return row && { size: Number(row.size), note: row.note, signedAt: Number(row.signed_at) };
}
