import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { AnswerCache } from '../../src/store/entry-pages.js';
import { tempDir } from '../support/tmp.js';
import { expectOldEntryIndexed, schema5Statements } from './schema-5.js';
import { describeStoreConformance } from './conformance.js';

let file = '';
describeStoreConformance(
  'SQLite',
  () => {
    file = path.join(tempDir(), 'registry.sqlite3');
    return Promise.resolve(openSqliteStore({ path: file, answerCache: new AnswerCache(1 << 20) }));
  },
  () => Promise.resolve(openSqliteStore({ path: file, answerCache: new AnswerCache(1 << 20) })),
);

let workerFile = '';
describeStoreConformance(
  'SQLite with appends in a worker thread',
  () => {
    workerFile = path.join(tempDir(), 'registry.sqlite3');
    return Promise.resolve(openSqliteStore({ path: workerFile, appendInWorker: true }));
  },
  () => Promise.resolve(openSqliteStore({ path: workerFile, appendInWorker: true })),
);

describe('SQLite store', () => {
  it('runs in WAL mode with synchronous=FULL, so a commit survives power loss', async () => {
    const dbFile = path.join(tempDir(), 'r.sqlite3');
    const store = openSqliteStore({ path: dbFile });
    await store.close();
    const db = new Database(dbFile);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('refuses a database whose schema is newer than this code', async () => {
    const dbFile = path.join(tempDir(), 'r.sqlite3');
    await openSqliteStore({ path: dbFile }).close();
    const db = new Database(dbFile);
    db.prepare("INSERT INTO schema_migrations VALUES (999, 'from the future', 'now')").run();
    db.close();
    expect(() => openSqliteStore({ path: dbFile })).toThrow(/schema version 999 is newer/);
  });

  it('builds the entry index of a database written before it (schema 5), once', async () => {
    const dbFile = path.join(tempDir(), 'r.sqlite3');
    const db = new Database(dbFile);
    for (const statement of schema5Statements('sqlite')) db.exec(statement);
    db.close();
    const store = openSqliteStore({ path: dbFile });
    await expectOldEntryIndexed(store);
    // Migration 9 dropped the two indexes nothing read any more.
    const after = new Database(dbFile, { readonly: true });
    const indexes = after
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'entries'")
      .pluck()
      .all();
    after.close();
    expect(indexes).not.toContain('entries_owner');
    expect(indexes).not.toContain('entries_lane');
  });

  it('migrates an existing database only once', async () => {
    const dbFile = path.join(tempDir(), 'r.sqlite3');
    await openSqliteStore({ path: dbFile }).close();
    await openSqliteStore({ path: dbFile }).close();
    const db = new Database(dbFile);
    expect(db.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get()).toStrictEqual({
      n: MIGRATIONS.length,
    });
    db.close();
  });
});
