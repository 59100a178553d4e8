/**
 * Whole-store reads and writes for PostgreSQL (encrypted exports, docs/formats.md).
 *
 * A snapshot is one REPEATABLE READ, READ ONLY transaction on a client of its own: every query
 * in it sees the database as of its first statement, while replicas go on appending. A restore
 * writes every row in one transaction, after taking the `log_state` row lock that appends take,
 * and commits only after `verify` has read the rows back through that transaction.
 */
import type pg from 'pg';
import {
  capabilityVerb,
  enrolmentFromRow,
  entryFromRow,
  groupBy,
  SNAPSHOT_TABLES,
  trustDocumentFromRow,
  type EnrolmentRow,
  type EntryRow,
  type TrustDocumentRow,
} from './entry-rows.js';
import { writePostgresEntryIndex } from './postgres-entry-index.js';
import {
  StoreError,
  type SnapshotRecord,
  type StoredCheckpoint,
  type StoreSnapshot,
} from './store.js';

/** Rows read or written per statement: memory stays flat however large the log. */
const PAGE = 256;

export async function openPostgresSnapshot(pool: pg.Pool): Promise<StoreSnapshot> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows: sizeRows } = await client.query<{ size: string }>(
      'SELECT size FROM log_state WHERE id = 1',
    );
    const { rows: checkpointRows } = await client.query<{
      size: string;
      note: string;
      signed_at: string;
    }>('SELECT size, note, signed_at FROM checkpoints ORDER BY size DESC LIMIT 1');
    const latest = checkpointRows[0];
    const checkpoint: StoredCheckpoint | undefined = latest && {
      size: Number(latest.size),
      note: latest.note,
      signedAt: Number(latest.signed_at),
    };
    const { rows: documents } = await client.query<TrustDocumentRow>(
      'SELECT kind, version, envelope, log_index FROM trust_documents ORDER BY kind COLLATE "C", version',
    );
    const size = Number(sizeRows[0]?.size ?? 0);
    let closed = false;
    return {
      size,
      checkpoint,
      trustDocuments: documents.map(trustDocumentFromRow),
      records: () => readRecords(client, size),
      close: async () => {
        if (closed) return;
        closed = true;
        try {
          await client.query('COMMIT');
        } finally {
          client.release();
        }
      },
    };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
    throw error;
  }
}

async function* readRecords(client: pg.PoolClient, size: number): AsyncGenerator<SnapshotRecord> {
  for (let start = 0; start < size; start += PAGE) {
    const { rows } = await client.query<{ idx: string; data: Buffer }>(
      'SELECT idx, data FROM leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx',
      [start, Math.min(size, start + PAGE)],
    );
    for (const row of rows)
      yield { type: 'leaf', index: Number(row.idx), data: new Uint8Array(row.data) };
  }
  for (let after = { level: -1, idx: '-1' }; ;) {
    const { rows } = await client.query<{ level: number; idx: string; hash: Buffer }>(
      'SELECT level, idx, hash FROM subtrees WHERE (level, idx) > ($1, $2) ORDER BY level, idx LIMIT $3',
      [after.level, after.idx, PAGE],
    );
    for (const row of rows)
      yield {
        type: 'subtree',
        subtree: { level: row.level, index: Number(row.idx), hash: new Uint8Array(row.hash) },
      };
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1] ?? after;
  }
  for (let after = -1; ;) {
    const { rows } = await client.query<{ size: string; note: string; signed_at: string }>(
      'SELECT size, note, signed_at FROM checkpoints WHERE size > $1 ORDER BY size LIMIT $2',
      [after, PAGE],
    );
    for (const row of rows)
      yield {
        type: 'checkpoint',
        checkpoint: { size: Number(row.size), note: row.note, signedAt: Number(row.signed_at) },
      };
    if (rows.length < PAGE) break;
    after = Number(rows[rows.length - 1]?.size ?? after);
  }
  const { rows: documents } = await client.query<TrustDocumentRow>(
    'SELECT kind, version, envelope, log_index FROM trust_documents ORDER BY kind COLLATE "C", version',
  );
  for (const row of documents)
    yield { type: 'trust-document', document: trustDocumentFromRow(row) };
  for (let after = ''; ;) {
    const { rows } = await client.query<EnrolmentRow>(
      'SELECT owner_id, lanes, max_tier, log_index, enrolled_at FROM enrolments WHERE owner_id COLLATE "C" > $1 ORDER BY owner_id COLLATE "C" LIMIT $2',
      [after, PAGE],
    );
    for (const row of rows) yield { type: 'enrolment', enrolment: enrolmentFromRow(row) };
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1]?.owner_id ?? after;
  }
  for (let after = ''; ;) {
    const { rows } = await client.query<EntryRow>(
      'SELECT * FROM entries WHERE registry_id COLLATE "C" > $1 ORDER BY registry_id COLLATE "C" LIMIT $2',
      [after, PAGE],
    );
    if (rows.length > 0) {
      const ids = rows.map((row) => row.registry_id);
      const signals = await client.query<{ registry_id: string; value: string }>(
        'SELECT registry_id, signal AS value FROM entry_signals WHERE registry_id = ANY($1) ORDER BY signal COLLATE "C"',
        [ids],
      );
      const capabilities = await client.query<{ registry_id: string; value: string }>(
        'SELECT registry_id, pattern AS value FROM entry_capabilities WHERE registry_id = ANY($1) ORDER BY pattern COLLATE "C"',
        [ids],
      );
      const signalsById = groupBy(signals.rows);
      const capabilitiesById = groupBy(capabilities.rows);
      for (const row of rows)
        yield {
          type: 'entry',
          entry: entryFromRow(
            row,
            signalsById.get(row.registry_id) ?? [],
            capabilitiesById.get(row.registry_id) ?? [],
          ),
        };
    }
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1]?.registry_id ?? after;
  }
  for (let after = ''; ;) {
    const { rows } = await client.query<{ nonce: string; expires_at: string }>(
      'SELECT nonce, expires_at FROM nonces WHERE nonce COLLATE "C" > $1 ORDER BY nonce COLLATE "C" LIMIT $2',
      [after, PAGE],
    );
    for (const row of rows)
      yield { type: 'nonce', nonce: row.nonce, expiresAt: Number(row.expires_at) };
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1]?.nonce ?? after;
  }
}

/**
 * Writes `records` in one transaction (refusing a schema that holds anything), then runs
 * `verify` with the transaction's client and commits only if it returns.
 */
export async function writePostgresSnapshot(
  pool: pg.Pool,
  size: number,
  records: AsyncIterable<SnapshotRecord> | Iterable<SnapshotRecord>,
  verify: (client: pg.PoolClient) => Promise<void>,
): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ size: string }>(
      'SELECT size FROM log_state WHERE id = 1 FOR UPDATE',
    );
    const current = Number(rows[0]?.size ?? 0);
    const occupied: string[] = [];
    for (const table of SNAPSHOT_TABLES) {
      const { rowCount } = await client.query(`SELECT 1 FROM ${table} LIMIT 1`);
      if ((rowCount ?? 0) > 0) occupied.push(table);
    }
    if (current !== 0 || occupied.length > 0)
      throw new StoreError(
        'not-empty',
        `the target database is not empty (log size ${current}${occupied.length > 0 ? `; rows in ${occupied.join(', ')}` : ''}); restore only into an empty one`,
      );
    const writer = new BatchWriter(client, size);
    for await (const record of records) await writer.add(record);
    await writer.flush();
    await client.query('UPDATE log_state SET size = $1 WHERE id = 1', [size]);
    await verify(client);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw isConstraint(error)
      ? new StoreError('invalid', `the rows do not fit the schema: ${(error as Error).message}`)
      : error;
  } finally {
    client.release();
  }
}

/** Buffers records of one type and inserts each buffer with one `unnest` statement. */
class BatchWriter {
  private type: SnapshotRecord['type'] | undefined;
  private buffer: SnapshotRecord[] = [];

  constructor(
    private readonly client: pg.PoolClient,
    /** The restored log's size: the revision of every restored entry's answers. */
    private readonly size: number,
  ) {}

  async add(record: SnapshotRecord): Promise<void> {
    if (record.type !== this.type || this.buffer.length >= PAGE) await this.flush();
    this.type = record.type;
    this.buffer.push(record);
  }

  async flush(): Promise<void> {
    const batch = this.buffer;
    this.buffer = [];
    if (batch.length === 0) return;
    const pick = <T extends SnapshotRecord['type']>(type: T) =>
      batch.filter((r): r is Extract<SnapshotRecord, { type: T }> => r.type === type);
    const query = (sql: string, columns: unknown[][]) => this.client.query(sql, columns);
    switch (this.type) {
      case 'leaf': {
        const leaves = pick('leaf');
        await query(
          'INSERT INTO leaves (idx, data) SELECT * FROM unnest($1::bigint[], $2::bytea[])',
          [leaves.map((l) => l.index), leaves.map((l) => Buffer.from(l.data))],
        );
        break;
      }
      case 'subtree': {
        const hashes = pick('subtree').map((r) => r.subtree);
        await query(
          'INSERT INTO subtrees (level, idx, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])',
          [
            hashes.map((h) => h.level),
            hashes.map((h) => h.index),
            hashes.map((h) => Buffer.from(h.hash)),
          ],
        );
        break;
      }
      case 'checkpoint': {
        const checkpoints = pick('checkpoint').map((r) => r.checkpoint);
        await query(
          'INSERT INTO checkpoints (size, note, signed_at) SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[])',
          [
            checkpoints.map((c) => c.size),
            checkpoints.map((c) => c.note),
            checkpoints.map((c) => c.signedAt),
          ],
        );
        break;
      }
      case 'trust-document': {
        const documents = pick('trust-document').map((r) => r.document);
        await query(
          'INSERT INTO trust_documents (kind, version, envelope, log_index) SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[])',
          [
            documents.map((d) => d.kind),
            documents.map((d) => d.version),
            documents.map((d) => d.envelope),
            documents.map((d) => d.logIndex),
          ],
        );
        break;
      }
      case 'enrolment': {
        const enrolments = pick('enrolment').map((r) => r.enrolment);
        await query(
          'INSERT INTO enrolments (owner_id, lanes, max_tier, log_index, enrolled_at) SELECT * FROM unnest($1::text[], $2::text[], $3::integer[], $4::bigint[], $5::text[])',
          [
            enrolments.map((e) => e.ownerId),
            enrolments.map((e) => e.lanes.join(',')),
            enrolments.map((e) => e.maxTier),
            enrolments.map((e) => e.logIndex),
            enrolments.map((e) => e.enrolledAt),
          ],
        );
        break;
      }
      case 'entry': {
        const entries = pick('entry').map((r) => r.entry);
        await query(
          `INSERT INTO entries (registry_id, owner_id, lane, tier, node_spec, spec_digest, status, registered_index, deregistered_index, integrated_at, provenance, claimed_index)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::bigint[], $10::text[], $11::text[], $12::bigint[])`,
          [
            entries.map((e) => e.registryId),
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
        const signals = entries.flatMap((e) => e.signals.map((signal) => [e.registryId, signal]));
        if (signals.length > 0)
          await query(
            'INSERT INTO entry_signals (registry_id, signal) SELECT * FROM unnest($1::text[], $2::text[])',
            [signals.map(([id]) => id), signals.map(([, signal]) => signal)],
          );
        const capabilities = entries.flatMap((e) =>
          e.capabilities.map((pattern) => [e.registryId, capabilityVerb(pattern), pattern]),
        );
        if (capabilities.length > 0)
          await query(
            'INSERT INTO entry_capabilities (registry_id, verb, pattern) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])',
            [
              capabilities.map(([id]) => id),
              capabilities.map(([, verb]) => verb),
              capabilities.map(([, , pattern]) => pattern),
            ],
          );
        await writePostgresEntryIndex(this.client, entries, this.size);
        break;
      }
      case 'nonce': {
        const nonces = pick('nonce');
        await query(
          'INSERT INTO nonces (nonce, expires_at) SELECT * FROM unnest($1::text[], $2::bigint[])',
          [nonces.map((n) => n.nonce), nonces.map((n) => n.expiresAt)],
        );
        break;
      }
      case undefined:
        break;
    }
  }
}

function isConstraint(error: unknown): boolean {
  return String((error as { code?: unknown }).code).startsWith('23');
}
