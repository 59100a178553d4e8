/**
 * Scratch space on disk for work whose state grows with the log, such as fsck's replay of every
 * entry and nonce: a private temporary SQLite database (deleted when closed, never synced, one
 * transaction that is never committed), so that memory stays flat however long the log is. Reads
 * and writes are synchronous, as the pure decision code that reads it expects.
 */
import Database from 'better-sqlite3';

/** A map from string keys to JSON values, kept in the scratch space. */
export interface ScratchMap<V> {
  get(key: string): V | undefined;
  set(key: string, value: V): void;
  has(key: string): boolean;
  /** Every entry, in key order (SQLite's binary collation). */
  entries(): IterableIterator<[string, V]>;
  readonly size: number;
}

export class ScratchSpace {
  private readonly db: Database.Database;
  private spaces = 0;

  /**
   * Without `file`, SQLite's private temporary database, gone when closed. With `file`, a
   * database that outlives the process (audit's resumable replay): `commit` makes what was
   * written so far durable, and a later ScratchSpace on the same file opens the same maps, in
   * the same order, where the last commit left them; what came after it is rolled back.
   */
  constructor(file = '') {
    this.db = new Database(file);
    this.db.pragma(file === '' ? 'journal_mode = OFF' : 'journal_mode = WAL');
    this.db.pragma(file === '' ? 'synchronous = OFF' : 'synchronous = NORMAL');
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS scratch (space INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (space, key)) WITHOUT ROWID',
    );
    this.db.exec('BEGIN');
  }

  /** Makes everything written so far durable (a persistent space). */
  commit(): void {
    this.db.exec('COMMIT');
    this.db.exec('BEGIN');
  }

  /** A new, empty map. */
  map<V>(): ScratchMap<V> {
    const space = this.spaces++;
    const select = this.db.prepare('SELECT value FROM scratch WHERE space = ? AND key = ?').pluck();
    const all = this.db.prepare('SELECT key, value FROM scratch WHERE space = ? ORDER BY key');
    const insert = this.db.prepare(
      'INSERT INTO scratch (space, key, value) VALUES (?, ?, ?) ON CONFLICT (space, key) DO NOTHING',
    );
    const update = this.db.prepare('UPDATE scratch SET value = ? WHERE space = ? AND key = ?');
    let size = this.db
      .prepare('SELECT count(*) FROM scratch WHERE space = ?')
      .pluck()
      .get(space) as number;
    return {
      get: (key) => {
        const value = select.get(space, key) as string | undefined;
        return value === undefined ? undefined : (JSON.parse(value) as V);
      },
      set: (key, value) => {
        const text = JSON.stringify(value);
        if (insert.run(space, key, text).changes === 1) size++;
        else update.run(text, space, key);
      },
      has: (key) => select.get(space, key) !== undefined,
      entries: function* () {
        for (const row of all.iterate(space) as Iterable<{ key: string; value: string }>)
          yield [row.key, JSON.parse(row.value) as V];
      },
      get size() {
        return size;
      },
    };
  }

  close(): void {
    this.db.close();
  }
}
