/**
 * The entry index on SQLite (entry-documents.ts, entry-pages.ts): each entry's stored answers
 * (`served_json`, `summary_json` columns of `entries`) and its index terms (`entry_terms`,
 * keyed by term then registry id, and by registry id for deletes and probes).
 */
import type Database from 'better-sqlite3';
import { entrySummaryJson, entryTerms, servedEntryJson } from './entry-documents.js';
import {
  mergeRefs,
  type EntryIndex,
  type EntryPageView,
  type EntryRef,
  type StoredAnswer,
} from './entry-pages.js';
import { entryFromRow, groupBy, type EntryRow } from './entry-rows.js';
import type { RegistryEntry, StoredEntryIndex } from './store.js';

/** Writes an entry's stored answers and index terms; the entry row must exist. */
export class SqliteEntryIndexWriter {
  private readonly statements;

  constructor(db: Database.Database) {
    this.statements = {
      documents: db.prepare(
        'UPDATE entries SET served_json = ?, summary_json = ?, answer_revision = ? WHERE registry_id = ?',
      ),
      deleteTerms: db.prepare('DELETE FROM entry_terms WHERE registry_id = ?'),
      insertTerm: db.prepare(
        'INSERT INTO entry_terms (term, registry_id, revision) VALUES (?, ?, ?)',
      ),
    };
  }

  /** `revision`: the log size after the append (or restore) that writes the entry. */
  write(entry: RegistryEntry, revision: number): void {
    const s = this.statements;
    s.documents.run(servedEntryJson(entry), entrySummaryJson(entry), revision, entry.registryId);
    s.deleteTerms.run(entry.registryId);
    for (const term of entryTerms(entry)) s.insertTerm.run(term, entry.registryId, revision);
  }
}

/**
 * Builds the index of every stored entry (schema migration 6, on a database written before it),
 * inside the caller's transaction.
 */
export function rebuildSqliteEntryIndex(db: Database.Database): void {
  const writer = new SqliteEntryIndexWriter(db);
  const revision = db.prepare('SELECT size FROM log_state WHERE id = 1').pluck().get() as number;
  const signals = groupBy(
    db
      .prepare(
        'SELECT registry_id, signal AS value FROM entry_signals ORDER BY registry_id, signal',
      )
      .all() as { registry_id: string; value: string }[],
  );
  const capabilities = groupBy(
    db
      .prepare(
        'SELECT registry_id, pattern AS value FROM entry_capabilities ORDER BY registry_id, pattern',
      )
      .all() as { registry_id: string; value: string }[],
  );
  // A page at a time: the connection cannot write while a statement iterates.
  const page = db.prepare(
    'SELECT * FROM entries WHERE registry_id > ? ORDER BY registry_id LIMIT 1000',
  );
  for (let after = ''; ;) {
    const rows = page.all(after) as EntryRow[];
    const last = rows[rows.length - 1];
    if (last === undefined) return;
    for (const row of rows) {
      writer.write(
        entryFromRow(
          row,
          signals.get(row.registry_id) ?? [],
          capabilities.get(row.registry_id) ?? [],
        ),
        revision,
      );
    }
    after = last.registry_id;
  }
}

/** Probing a candidate term by term costs less than reading its terms up to this many terms. */
const PROBE_TERMS = 8;

/** The stored answers and terms of `ids` (Store.entryIndexOf). */
export function sqliteEntryIndexOf(
  db: Database.Database,
  ids: readonly string[],
): StoredEntryIndex[] {
  const list = JSON.stringify(ids);
  const rows = db
    .prepare(
      'SELECT registry_id, served_json, summary_json FROM entries WHERE registry_id IN (SELECT value FROM json_each(?)) ORDER BY registry_id',
    )
    .all(list) as {
    registry_id: string;
    served_json: string | null;
    summary_json: string | null;
  }[];
  const terms = groupBy(
    db
      .prepare(
        'SELECT registry_id, term AS value FROM entry_terms WHERE registry_id IN (SELECT value FROM json_each(?)) ORDER BY registry_id, term',
      )
      .all(list) as { registry_id: string; value: string }[],
  );
  return rows.map((row) => ({
    registryId: row.registry_id,
    served: row.served_json,
    summary: row.summary_json,
    terms: terms.get(row.registry_id) ?? [],
  }));
}

export class SqliteEntryIndex implements EntryIndex {
  private readonly statements;

  constructor(db: Database.Database) {
    this.statements = {
      ids: db.prepare(
        'SELECT registry_id AS registryId, revision FROM entry_terms WHERE term = ? AND registry_id > ? ORDER BY registry_id LIMIT ?',
      ),
      // Which of several terms (a JSON array) list any entry after the cursor: one statement
      // instead of one range read per term, most of which find nothing.
      live: db
        .prepare(
          'SELECT value FROM json_each(?) WHERE EXISTS (SELECT 1 FROM entry_terms WHERE term = value AND registry_id > ?)',
        )
        .pluck(),
      listed: db.prepare('SELECT 1 FROM entry_terms WHERE term = ? AND registry_id = ?').pluck(),
      termsOf: db.prepare('SELECT term FROM entry_terms WHERE registry_id = ?').pluck(),
      entry: db.prepare(
        "SELECT registry_id AS registryId, owner_id AS ownerId, served_json AS json, answer_revision AS revision FROM entries WHERE registry_id IN (SELECT value FROM json_each(?)) AND status = 'active'",
      ),
      summary: db.prepare(
        "SELECT registry_id AS registryId, owner_id AS ownerId, summary_json AS json, answer_revision AS revision FROM entries WHERE registry_id IN (SELECT value FROM json_each(?)) AND status = 'active'",
      ),
    };
  }

  ids(terms: readonly string[], after: string, count: number): Promise<EntryRef[]> {
    const { ids, live } = this.statements;
    if (terms.length === 1) return Promise.resolve(ids.all(terms[0], after, count) as EntryRef[]);
    const listing = live.all(JSON.stringify(terms), after) as string[];
    return Promise.resolve(
      mergeRefs(
        listing.map((term) => ids.all(term, after, count) as EntryRef[]),
        count,
      ),
    );
  }

  listed(ids: readonly string[], terms: readonly string[]): Promise<Set<string>> {
    const { listed, termsOf } = this.statements;
    const found = new Set<string>();
    if (terms.length <= PROBE_TERMS) {
      for (const id of ids) {
        if (terms.some((term) => listed.get(term, id) !== undefined)) found.add(id);
      }
    } else {
      const wanted = new Set(terms);
      for (const id of ids) {
        if ((termsOf.all(id) as string[]).some((term) => wanted.has(term))) found.add(id);
      }
    }
    return Promise.resolve(found);
  }

  documents(ids: readonly string[], view: EntryPageView): Promise<StoredAnswer[]> {
    const statement = view === 'summary' ? this.statements.summary : this.statements.entry;
    // One statement for the whole list (the ids as a JSON array): cheaper than one per id.
    return Promise.resolve(statement.all(JSON.stringify(ids)) as StoredAnswer[]);
  }
}
