/**
 * The entry index on PostgreSQL (entry-documents.ts, entry-pages.ts): the same columns and
 * `entry_terms` table as on SQLite, with terms and ids in the "C" collation (byte order), so
 * cursors mean the same in both stores. Each read is one statement.
 */
import type pg from 'pg';
import { entrySummaryJson, entryTerms, servedEntryJson } from './entry-documents.js';
import type { EntryIndex, EntryPageView, EntryRef, StoredAnswer } from './entry-pages.js';
import { entryFromRow, groupBy, type EntryRow } from './entry-rows.js';
import type { RegistryEntry, StoredEntryIndex } from './store.js';

type Queryable = Pick<pg.PoolClient, 'query'>;

/** Writes the stored answers and index terms of `entries` (rows that exist), in one transaction of the caller's. */
export async function writePostgresEntryIndex(
  client: Queryable,
  entries: readonly RegistryEntry[],
  revision: number,
): Promise<void> {
  if (entries.length === 0) return;
  const ids = entries.map((e) => e.registryId);
  await client.query(
    `UPDATE entries SET served_json = d.served_json, summary_json = d.summary_json, answer_revision = $4
     FROM unnest($1::text[], $2::text[], $3::text[]) AS d(registry_id, served_json, summary_json)
     WHERE entries.registry_id = d.registry_id`,
    [ids, entries.map(servedEntryJson), entries.map(entrySummaryJson), revision],
  );
  await client.query('DELETE FROM entry_terms WHERE registry_id = ANY($1::text[])', [ids]);
  const terms = entries.flatMap((e) => entryTerms(e).map((term) => [term, e.registryId]));
  if (terms.length > 0) {
    await client.query(
      'INSERT INTO entry_terms (term, registry_id, revision) SELECT t.term, t.registry_id, $3 FROM unnest($1::text[], $2::text[]) AS t(term, registry_id)',
      [terms.map(([term]) => term), terms.map(([, id]) => id), revision],
    );
  }
}

/** Entries read at a time while the index of a database written before it is built. */
const REBUILD_PAGE = 1000;

/** Builds the index of every stored entry (schema migration 6), inside the caller's transaction. */
export async function rebuildPostgresEntryIndex(client: Queryable): Promise<void> {
  const { rows: state } = await client.query<{ size: string }>(
    'SELECT size FROM log_state WHERE id = 1',
  );
  const revision = Number(state[0]?.size ?? 0);
  for (let after = ''; ;) {
    const { rows } = await client.query<EntryRow>(
      'SELECT * FROM entries WHERE registry_id COLLATE "C" > $1 ORDER BY registry_id COLLATE "C" LIMIT $2',
      [after, REBUILD_PAGE],
    );
    if (rows.length === 0) return;
    const ids = rows.map((row) => row.registry_id);
    const [signals, capabilities] = [
      await client.query<{ registry_id: string; value: string }>(
        'SELECT registry_id, signal AS value FROM entry_signals WHERE registry_id = ANY($1) ORDER BY signal COLLATE "C"',
        [ids],
      ),
      await client.query<{ registry_id: string; value: string }>(
        'SELECT registry_id, pattern AS value FROM entry_capabilities WHERE registry_id = ANY($1) ORDER BY pattern COLLATE "C"',
        [ids],
      ),
    ];
    const signalsById = groupBy(signals.rows);
    const capabilitiesById = groupBy(capabilities.rows);
    await writePostgresEntryIndex(
      client,
      rows.map((row) =>
        entryFromRow(
          row,
          signalsById.get(row.registry_id) ?? [],
          capabilitiesById.get(row.registry_id) ?? [],
        ),
      ),
      revision,
    );
    after = ids[ids.length - 1] ?? after;
  }
}

/** The stored answers and terms of `ids` (Store.entryIndexOf). */
export async function postgresEntryIndexOf(
  db: Queryable,
  ids: readonly string[],
): Promise<StoredEntryIndex[]> {
  const [rows, terms] = await Promise.all([
    db.query<{ registry_id: string; served_json: string | null; summary_json: string | null }>(
      'SELECT registry_id, served_json, summary_json FROM entries WHERE registry_id = ANY($1::text[]) ORDER BY registry_id COLLATE "C"',
      [ids],
    ),
    db.query<{ registry_id: string; value: string }>(
      'SELECT registry_id, term AS value FROM entry_terms WHERE registry_id = ANY($1::text[]) ORDER BY registry_id, term',
      [ids],
    ),
  ]);
  const byId = groupBy(terms.rows);
  return rows.rows.map((row) => ({
    registryId: row.registry_id,
    served: row.served_json,
    summary: row.summary_json,
    terms: byId.get(row.registry_id) ?? [],
  }));
}

export class PostgresEntryIndex implements EntryIndex {
  constructor(private readonly db: Queryable) {}

  async ids(terms: readonly string[], after: string, count: number): Promise<EntryRef[]> {
    const { rows } = await this.db.query<{ registry_id: string; revision: string }>(
      terms.length === 1
        ? 'SELECT registry_id, revision FROM entry_terms WHERE term = ($1::text[])[1] AND registry_id > $2 ORDER BY registry_id LIMIT $3'
        : `SELECT DISTINCT r.registry_id, r.revision FROM unnest($1::text[]) AS t(term)
           CROSS JOIN LATERAL (SELECT registry_id, revision FROM entry_terms WHERE term = t.term AND registry_id > $2 ORDER BY registry_id LIMIT $3) AS r
           ORDER BY r.registry_id LIMIT $3`,
      [terms, after, count],
    );
    return rows.map((row) => ({ registryId: row.registry_id, revision: Number(row.revision) }));
  }

  async listed(ids: readonly string[], terms: readonly string[]): Promise<Set<string>> {
    const { rows } = await this.db.query<{ registry_id: string }>(
      'SELECT DISTINCT registry_id FROM entry_terms WHERE registry_id = ANY($1::text[]) AND term = ANY($2::text[])',
      [ids, terms],
    );
    return new Set(rows.map((row) => row.registry_id));
  }

  async documents(ids: readonly string[], view: EntryPageView): Promise<StoredAnswer[]> {
    const { rows } = await this.db.query<Omit<StoredAnswer, 'revision'> & { revision: string }>(
      `SELECT registry_id AS "registryId", owner_id AS "ownerId", ${view === 'summary' ? 'summary_json' : 'served_json'} AS json, answer_revision AS revision
       FROM entries WHERE registry_id = ANY($1::text[]) AND status = 'active' ORDER BY registry_id COLLATE "C"`,
      [ids],
    );
    return rows.map((row) => ({ ...row, revision: Number(row.revision) }));
  }
}
