/**
 * The entry index on PostgreSQL (entry-documents.ts, entry-pages.ts): the same columns and
 * `entry_terms` table as on SQLite, with terms and ids in the "C" collation (byte order), so
 * cursors mean the same in both stores. Each read is one statement.
 */
import type pg from 'pg';
import { entrySummaryJson, entryTerms, servedEntryJson } from './entry-documents.js';
import type { EntryIndex, EntryPageRow, EntryPageView } from './entry-pages.js';
import { entryFromRow, groupBy, type EntryRow } from './entry-rows.js';
import type { RegistryEntry } from './store.js';

type Queryable = Pick<pg.PoolClient, 'query'>;

/** Writes the stored answers and index terms of `entries` (rows that exist), in one transaction of the caller's. */
export async function writePostgresEntryIndex(
  client: Queryable,
  entries: readonly RegistryEntry[],
): Promise<void> {
  if (entries.length === 0) return;
  const ids = entries.map((e) => e.registryId);
  await client.query(
    `UPDATE entries SET served_json = d.served_json, summary_json = d.summary_json
     FROM unnest($1::text[], $2::text[], $3::text[]) AS d(registry_id, served_json, summary_json)
     WHERE entries.registry_id = d.registry_id`,
    [ids, entries.map(servedEntryJson), entries.map(entrySummaryJson)],
  );
  await client.query('DELETE FROM entry_terms WHERE registry_id = ANY($1::text[])', [ids]);
  const terms = entries.flatMap((e) => entryTerms(e).map((term) => [term, e.registryId]));
  if (terms.length > 0) {
    await client.query(
      'INSERT INTO entry_terms (term, registry_id) SELECT * FROM unnest($1::text[], $2::text[])',
      [terms.map(([term]) => term), terms.map(([, id]) => id)],
    );
  }
}

/** Entries read at a time while the index of a database written before it is built. */
const REBUILD_PAGE = 1000;

/** Builds the index of every stored entry (schema migration 6), inside the caller's transaction. */
export async function rebuildPostgresEntryIndex(client: Queryable): Promise<void> {
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
    );
    after = ids[ids.length - 1] ?? after;
  }
}

export class PostgresEntryIndex implements EntryIndex {
  constructor(private readonly db: Queryable) {}

  async ids(terms: readonly string[], after: string, count: number): Promise<string[]> {
    const { rows } = await this.db.query<{ registry_id: string }>(
      terms.length === 1
        ? 'SELECT registry_id FROM entry_terms WHERE term = ($1::text[])[1] AND registry_id > $2 ORDER BY registry_id LIMIT $3'
        : `SELECT DISTINCT r.registry_id FROM unnest($1::text[]) AS t(term)
           CROSS JOIN LATERAL (SELECT registry_id FROM entry_terms WHERE term = t.term AND registry_id > $2 ORDER BY registry_id LIMIT $3) AS r
           ORDER BY r.registry_id LIMIT $3`,
      [terms, after, count],
    );
    return rows.map((row) => row.registry_id);
  }

  async count(terms: readonly string[], after: string, cap: number): Promise<number> {
    const { rows } = await this.db.query<{ count: string }>(
      `SELECT count(*) AS count FROM (SELECT 1 FROM unnest($1::text[]) AS t(term)
         CROSS JOIN LATERAL (SELECT 1 FROM entry_terms WHERE term = t.term AND registry_id > $2 LIMIT $3) AS r
         LIMIT $3) AS counted`,
      [terms, after, cap],
    );
    return Number(rows[0]?.count ?? 0);
  }

  async listed(ids: readonly string[], terms: readonly string[]): Promise<Set<string>> {
    const { rows } = await this.db.query<{ registry_id: string }>(
      'SELECT DISTINCT registry_id FROM entry_terms WHERE registry_id = ANY($1::text[]) AND term = ANY($2::text[])',
      [ids, terms],
    );
    return new Set(rows.map((row) => row.registry_id));
  }

  async termDocuments(
    term: string,
    after: string,
    count: number,
    view: EntryPageView,
  ): Promise<EntryPageRow[]> {
    const { rows } = await this.db.query<EntryPageRow>(
      `SELECT t.registry_id AS "registryId", e.owner_id AS "ownerId", e.${view === 'summary' ? 'summary_json' : 'served_json'} AS json
       FROM entry_terms t JOIN entries e ON e.registry_id = t.registry_id
       WHERE t.term = $1 AND t.registry_id > $2 ORDER BY t.registry_id LIMIT $3`,
      [term, after, count],
    );
    return rows;
  }

  async documents(ids: readonly string[], view: EntryPageView): Promise<EntryPageRow[]> {
    const { rows } = await this.db.query<EntryPageRow>(
      `SELECT registry_id AS "registryId", owner_id AS "ownerId", ${view === 'summary' ? 'summary_json' : 'served_json'} AS json
       FROM entries WHERE registry_id = ANY($1::text[]) AND status = 'active' ORDER BY registry_id COLLATE "C"`,
      [ids],
    );
    return rows;
  }
}
