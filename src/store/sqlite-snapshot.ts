/**
 * Whole-store reads and writes for SQLite (encrypted exports, docs/formats.md).
 *
 * A snapshot is a read transaction on a connection of its own: in WAL mode it sees the database
 * as of its first read while the server's writer goes on committing. A restore writes every row
 * in one transaction and commits only after `verify` has read them back on the same connection.
 */
import Database from 'better-sqlite3';
import {
  capabilityVerb,
  enrolmentFromRow,
  entryFromRow,
  SNAPSHOT_TABLES,
  trustDocumentFromRow,
  type EnrolmentRow,
  type EntryRow,
  type TrustDocumentRow,
} from './entry-rows.js';
import { SqliteEntryIndexWriter } from './sqlite-entry-index.js';
import {
  StoreError,
  type SnapshotRecord,
  type StoredCheckpoint,
  type StoreSnapshot,
} from './store.js';

/** Rows read per query: memory stays flat however large the log. */
const PAGE = 256;

export function openSqliteSnapshot(db: Database.Database): StoreSnapshot {
  // An in-memory database has no second connection; tests share the one (no concurrent appends).
  const reader = db.memory ? db : new Database(db.name, { readonly: true });
  if (!db.memory) reader.pragma('busy_timeout = 5000');
  reader.exec('BEGIN');
  try {
    const size = reader.prepare('SELECT size FROM log_state WHERE id = 1').pluck().get() as number;
    const checkpointRow = reader
      .prepare('SELECT size, note, signed_at FROM checkpoints ORDER BY size DESC LIMIT 1')
      .get() as { size: number; note: string; signed_at: number } | undefined;
    const checkpoint: StoredCheckpoint | undefined = checkpointRow && {
      size: checkpointRow.size,
      note: checkpointRow.note,
      signedAt: checkpointRow.signed_at,
    };
    const trustDocuments = (
      reader
        .prepare(
          'SELECT kind, version, envelope, log_index FROM trust_documents ORDER BY kind, version',
        )
        .all() as TrustDocumentRow[]
    ).map(trustDocumentFromRow);
    return {
      size,
      checkpoint,
      trustDocuments,
      records: () => readRecords(reader, size),
      close: () => {
        if (reader.inTransaction) reader.exec('COMMIT');
        if (reader !== db) reader.close();
        return Promise.resolve();
      },
    };
  } catch (error) {
    reader.exec('ROLLBACK');
    if (reader !== db) reader.close();
    throw error;
  }
}

async function* readRecords(db: Database.Database, size: number): AsyncGenerator<SnapshotRecord> {
  const leaves = db.prepare('SELECT idx, data FROM leaves WHERE idx >= ? AND idx < ? ORDER BY idx');
  for (let start = 0; start < size; start += PAGE) {
    const rows = leaves.all(start, Math.min(size, start + PAGE)) as { idx: number; data: Buffer }[];
    for (const row of rows) yield { type: 'leaf', index: row.idx, data: new Uint8Array(row.data) };
    await yieldToEventLoop();
  }
  const subtrees = db.prepare(
    'SELECT level, idx, hash FROM subtrees WHERE (level, idx) > (?, ?) ORDER BY level, idx LIMIT ?',
  );
  for (let after = { level: -1, idx: -1 }; ;) {
    const rows = subtrees.all(after.level, after.idx, PAGE) as {
      level: number;
      idx: number;
      hash: Buffer;
    }[];
    for (const row of rows)
      yield {
        type: 'subtree',
        subtree: { level: row.level, index: row.idx, hash: new Uint8Array(row.hash) },
      };
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1] ?? after;
    await yieldToEventLoop();
  }
  const checkpoints = db.prepare(
    'SELECT size, note, signed_at FROM checkpoints WHERE size > ? ORDER BY size LIMIT ?',
  );
  for (let after = -1; ;) {
    const rows = checkpoints.all(after, PAGE) as {
      size: number;
      note: string;
      signed_at: number;
    }[];
    for (const row of rows)
      yield {
        type: 'checkpoint',
        checkpoint: { size: row.size, note: row.note, signedAt: row.signed_at },
      };
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1]?.size ?? after;
    await yieldToEventLoop();
  }
  for (const row of db
    .prepare(
      'SELECT kind, version, envelope, log_index FROM trust_documents ORDER BY kind, version',
    )
    .all() as TrustDocumentRow[])
    yield { type: 'trust-document', document: trustDocumentFromRow(row) };
  const enrolments = db.prepare(
    'SELECT owner_id, lanes, max_tier, log_index, enrolled_at FROM enrolments WHERE owner_id > ? ORDER BY owner_id LIMIT ?',
  );
  for (let after = ''; ;) {
    const rows = enrolments.all(after, PAGE) as EnrolmentRow[];
    for (const row of rows) yield { type: 'enrolment', enrolment: enrolmentFromRow(row) };
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1]?.owner_id ?? after;
  }
  const entries = db.prepare(
    'SELECT * FROM entries WHERE registry_id > ? ORDER BY registry_id LIMIT ?',
  );
  const signals = db
    .prepare('SELECT signal FROM entry_signals WHERE registry_id = ? ORDER BY signal')
    .pluck();
  const capabilities = db
    .prepare('SELECT pattern FROM entry_capabilities WHERE registry_id = ? ORDER BY pattern')
    .pluck();
  for (let after = ''; ;) {
    const rows = entries.all(after, PAGE) as EntryRow[];
    for (const row of rows)
      yield {
        type: 'entry',
        entry: entryFromRow(
          row,
          signals.all(row.registry_id) as string[],
          capabilities.all(row.registry_id) as string[],
        ),
      };
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1]?.registry_id ?? after;
    await yieldToEventLoop();
  }
  const nonces = db.prepare(
    'SELECT nonce, expires_at FROM nonces WHERE nonce > ? ORDER BY nonce LIMIT ?',
  );
  for (let after = ''; ;) {
    const rows = nonces.all(after, PAGE) as { nonce: string; expires_at: number }[];
    for (const row of rows) yield { type: 'nonce', nonce: row.nonce, expiresAt: row.expires_at };
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1]?.nonce ?? after;
  }
}

/** Refuses a database holding any row of the log or the registry state. */
export function checkSqliteEmpty(db: Database.Database): void {
  const size = db.prepare('SELECT size FROM log_state WHERE id = 1').pluck().get() as number;
  const occupied = SNAPSHOT_TABLES.filter(
    (table) => db.prepare(`SELECT 1 FROM ${table} LIMIT 1`).get() !== undefined,
  );
  if (size !== 0 || occupied.length > 0)
    throw new StoreError(
      'not-empty',
      `the target database is not empty (log size ${size}${occupied.length > 0 ? `; rows in ${occupied.join(', ')}` : ''}); restore only into an empty one`,
    );
}

/**
 * Writes `records` in one transaction, then runs `verify` on the same connection (which sees
 * the uncommitted rows) and commits only if it returns.
 */
export async function writeSqliteSnapshot(
  db: Database.Database,
  size: number,
  records: AsyncIterable<SnapshotRecord> | Iterable<SnapshotRecord>,
  verify: () => Promise<void>,
): Promise<void> {
  checkSqliteEmpty(db);
  const insert = {
    leaf: db.prepare('INSERT INTO leaves (idx, data) VALUES (?, ?)'),
    subtree: db.prepare('INSERT INTO subtrees (level, idx, hash) VALUES (?, ?, ?)'),
    checkpoint: db.prepare('INSERT INTO checkpoints (size, note, signed_at) VALUES (?, ?, ?)'),
    trustDocument: db.prepare(
      'INSERT INTO trust_documents (kind, version, envelope, log_index) VALUES (?, ?, ?, ?)',
    ),
    enrolment: db.prepare(
      'INSERT INTO enrolments (owner_id, lanes, max_tier, log_index, enrolled_at) VALUES (?, ?, ?, ?, ?)',
    ),
    entry: db.prepare(`
      INSERT INTO entries (registry_id, owner_id, lane, tier, node_spec, spec_digest, status, registered_index, deregistered_index, integrated_at, provenance, claimed_index)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    signal: db.prepare('INSERT INTO entry_signals (registry_id, signal) VALUES (?, ?)'),
    capability: db.prepare(
      'INSERT INTO entry_capabilities (registry_id, verb, pattern) VALUES (?, ?, ?)',
    ),
    nonce: db.prepare('INSERT INTO nonces (nonce, expires_at) VALUES (?, ?)'),
  };
  const entryIndex = new SqliteEntryIndexWriter(db);
  db.exec('BEGIN IMMEDIATE');
  try {
    for await (const record of records) {
      switch (record.type) {
        case 'leaf':
          insert.leaf.run(record.index, record.data);
          break;
        case 'subtree':
          insert.subtree.run(record.subtree.level, record.subtree.index, record.subtree.hash);
          break;
        case 'checkpoint':
          insert.checkpoint.run(
            record.checkpoint.size,
            record.checkpoint.note,
            record.checkpoint.signedAt,
          );
          break;
        case 'trust-document': {
          const d = record.document;
          insert.trustDocument.run(d.kind, d.version, d.envelope, d.logIndex);
          break;
        }
        case 'enrolment': {
          const e = record.enrolment;
          insert.enrolment.run(e.ownerId, e.lanes.join(','), e.maxTier, e.logIndex, e.enrolledAt);
          break;
        }
        case 'entry': {
          const e = record.entry;
          insert.entry.run(
            e.registryId,
            e.ownerId,
            e.lane,
            e.tier,
            e.nodeSpec,
            e.specDigest,
            e.status,
            e.registeredIndex,
            e.deregisteredIndex ?? null,
            e.integratedAt,
            e.provenance ?? 'owner',
            e.claimedIndex ?? null,
          );
          for (const signal of e.signals) insert.signal.run(e.registryId, signal);
          for (const pattern of e.capabilities)
            insert.capability.run(e.registryId, capabilityVerb(pattern), pattern);
          entryIndex.write(e, size);
          break;
        }
        case 'nonce':
          insert.nonce.run(record.nonce, record.expiresAt);
          break;
      }
    }
    db.prepare('UPDATE log_state SET size = ? WHERE id = 1').run(size);
    await verify();
    db.exec('COMMIT');
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error instanceof StoreError || !isConstraint(error)
      ? error
      : new StoreError('invalid', `the rows do not fit the schema: ${(error as Error).message}`);
  }
}

function isConstraint(error: unknown): boolean {
  return String((error as { code?: unknown }).code).startsWith('SQLITE_CONSTRAINT');
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
