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
  readonly size: number;
}

export class ScratchSpace {
  private readonly db: Database.Database;
  private spaces = 0;

  constructor() {
    // An empty file name is SQLite's private temporary on-disk database.
    this.db = new Database('');
    this.db.pragma('journal_mode = OFF');
    this.db.pragma('synchronous = OFF');
    this.db.exec(
      'CREATE TABLE scratch (space INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (space, key)) WITHOUT ROWID',
    );
    this.db.exec('BEGIN');
  }

  /** A new, empty map. */
  map<V>(): ScratchMap<V> {
    const space = this.spaces++;
    const select = this.db.prepare('SELECT value FROM scratch WHERE space = ? AND key = ?').pluck();
    const upsert = this.db.prepare(
      'INSERT INTO scratch (space, key, value) VALUES (?, ?, ?) ON CONFLICT (space, key) DO UPDATE SET value = excluded.value',
    );
    let size = 0;
    return {
      get: (key) => {
        const value = select.get(space, key) as string | undefined;
        return value === undefined ? undefined : (JSON.parse(value) as V);
      },
      set: (key, value) => {
        if (select.get(space, key) === undefined) size++;
        upsert.run(space, key, JSON.stringify(value));
      },
      has: (key) => select.get(space, key) !== undefined,
      get size() {
        return size;
      },
    };
  }

  close(): void {
    this.db.close();
  }
}
