/**
 * Schema migrations for both stores. A migration is applied once, in order, in a transaction,
 * and recorded in `schema_migrations`; a database whose schema is newer than this code knows
 * is refused rather than written to.
 */

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sqlite: string;
  readonly postgres: string;
  /**
   * After the SQL: build the entry index (entry-documents.ts) of every stored entry, in the same
   * transaction (the stored answers and terms are computed in code, not SQL).
   */
  readonly rebuildEntryIndex?: boolean;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'log leaves, subtree hashes, checkpoints, registry entries, nonces',
    sqlite: `
      CREATE TABLE log_state (id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL);
      INSERT INTO log_state (id, size) VALUES (1, 0);
      CREATE TABLE leaves (idx INTEGER PRIMARY KEY, data BLOB NOT NULL);
      CREATE TABLE subtrees (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID;
      CREATE TABLE checkpoints (size INTEGER PRIMARY KEY, note TEXT NOT NULL, signed_at INTEGER NOT NULL);
      CREATE TABLE entries (
        registry_id TEXT PRIMARY KEY,
        owner_id TEXT NOT NULL,
        lane TEXT NOT NULL,
        tier INTEGER NOT NULL,
        node_spec TEXT NOT NULL,
        spec_digest TEXT NOT NULL,
        status TEXT NOT NULL,
        registered_index INTEGER NOT NULL,
        deregistered_index INTEGER,
        integrated_at TEXT NOT NULL
      );
      CREATE INDEX entries_owner ON entries (owner_id, registry_id);
      CREATE INDEX entries_lane ON entries (lane, registry_id);
      CREATE TABLE entry_signals (registry_id TEXT NOT NULL REFERENCES entries, signal TEXT NOT NULL, PRIMARY KEY (signal, registry_id)) WITHOUT ROWID;
      CREATE TABLE entry_capabilities (registry_id TEXT NOT NULL REFERENCES entries, verb TEXT NOT NULL, pattern TEXT NOT NULL, PRIMARY KEY (verb, registry_id, pattern)) WITHOUT ROWID;
      CREATE TABLE nonces (nonce TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
      CREATE INDEX nonces_expiry ON nonces (expires_at);
    `,
    postgres: `
      CREATE TABLE log_state (id INTEGER PRIMARY KEY CHECK (id = 1), size BIGINT NOT NULL);
      INSERT INTO log_state (id, size) VALUES (1, 0);
      CREATE TABLE leaves (idx BIGINT PRIMARY KEY, data BYTEA NOT NULL);
      CREATE TABLE subtrees (level SMALLINT NOT NULL, idx BIGINT NOT NULL, hash BYTEA NOT NULL, PRIMARY KEY (level, idx));
      CREATE TABLE checkpoints (size BIGINT PRIMARY KEY, note TEXT NOT NULL, signed_at BIGINT NOT NULL);
      CREATE TABLE entries (
        registry_id TEXT PRIMARY KEY,
        owner_id TEXT NOT NULL,
        lane TEXT NOT NULL,
        tier INTEGER NOT NULL,
        node_spec TEXT NOT NULL,
        spec_digest TEXT NOT NULL,
        status TEXT NOT NULL,
        registered_index BIGINT NOT NULL,
        deregistered_index BIGINT,
        integrated_at TEXT NOT NULL
      );
      CREATE INDEX entries_owner ON entries (owner_id, registry_id);
      CREATE INDEX entries_lane ON entries (lane, registry_id);
      CREATE TABLE entry_signals (registry_id TEXT NOT NULL REFERENCES entries, signal TEXT NOT NULL, PRIMARY KEY (signal, registry_id));
      CREATE TABLE entry_capabilities (registry_id TEXT NOT NULL REFERENCES entries, verb TEXT NOT NULL, pattern TEXT NOT NULL, PRIMARY KEY (verb, registry_id, pattern));
      CREATE TABLE nonces (nonce TEXT PRIMARY KEY, expires_at BIGINT NOT NULL);
      CREATE INDEX nonces_expiry ON nonces (expires_at);
    `,
  },
  {
    version: 2,
    description: 'trust documents (trust roots, revocation lists) and owner enrolments',
    sqlite: `
      CREATE TABLE trust_documents (kind TEXT NOT NULL, version INTEGER NOT NULL, envelope TEXT NOT NULL, log_index INTEGER NOT NULL, PRIMARY KEY (kind, version)) WITHOUT ROWID;
      CREATE TABLE enrolments (owner_id TEXT PRIMARY KEY, lanes TEXT NOT NULL, max_tier INTEGER NOT NULL, log_index INTEGER NOT NULL, enrolled_at TEXT NOT NULL);
    `,
    postgres: `
      CREATE TABLE trust_documents (kind TEXT NOT NULL, version BIGINT NOT NULL, envelope TEXT NOT NULL, log_index BIGINT NOT NULL, PRIMARY KEY (kind, version));
      CREATE TABLE enrolments (owner_id TEXT PRIMARY KEY, lanes TEXT NOT NULL, max_tier INTEGER NOT NULL, log_index BIGINT NOT NULL, enrolled_at TEXT NOT NULL);
    `,
  },
  {
    version: 3,
    description:
      'index entry signals and capabilities by registry id (appends and reads no longer scan them)',
    sqlite: `
      CREATE INDEX entry_signals_registry_id ON entry_signals (registry_id);
      CREATE INDEX entry_capabilities_registry_id ON entry_capabilities (registry_id);
    `,
    postgres: `
      CREATE INDEX entry_signals_registry_id ON entry_signals (registry_id);
      CREATE INDEX entry_capabilities_registry_id ON entry_capabilities (registry_id);
    `,
  },
  {
    version: 4,
    description:
      'entry provenance (legacy-import: brought over from the prototype registry) and the claim that binds an imported entry to its owner',
    sqlite: `
      ALTER TABLE entries ADD COLUMN provenance TEXT NOT NULL DEFAULT 'owner';
      ALTER TABLE entries ADD COLUMN claimed_index INTEGER;
    `,
    postgres: `
      ALTER TABLE entries ADD COLUMN provenance TEXT NOT NULL DEFAULT 'owner';
      ALTER TABLE entries ADD COLUMN claimed_index BIGINT;
    `,
  },
  {
    version: 5,
    description:
      'index registry ids in byte order on PostgreSQL, for the owners of a node name (a range of ids)',
    sqlite: `SELECT 1;`,
    postgres: `
      CREATE INDEX entries_registry_id_bytes ON entries (registry_id COLLATE "C");
    `,
  },
  {
    version: 6,
    description:
      'entry index: each entry as served and as summarized, built once when written, with a revision (the log size after that write), and its query terms (signal, capability pattern, lane, owner) in registry id order',
    sqlite: `
      ALTER TABLE entries ADD COLUMN served_json TEXT;
      ALTER TABLE entries ADD COLUMN summary_json TEXT;
      ALTER TABLE entries ADD COLUMN answer_revision INTEGER;
      CREATE TABLE entry_terms (term TEXT NOT NULL, registry_id TEXT NOT NULL REFERENCES entries, revision INTEGER NOT NULL, PRIMARY KEY (term, registry_id)) WITHOUT ROWID;
      CREATE INDEX entry_terms_registry_id ON entry_terms (registry_id, term);
    `,
    postgres: `
      ALTER TABLE entries ADD COLUMN served_json TEXT;
      ALTER TABLE entries ADD COLUMN summary_json TEXT;
      ALTER TABLE entries ADD COLUMN answer_revision BIGINT;
      CREATE TABLE entry_terms (term TEXT COLLATE "C" NOT NULL, registry_id TEXT COLLATE "C" NOT NULL REFERENCES entries, revision BIGINT NOT NULL, PRIMARY KEY (term, registry_id) INCLUDE (revision));
      CREATE INDEX entry_terms_registry_id ON entry_terms (registry_id, term);
    `,
    rebuildEntryIndex: true,
  },
  {
    version: 7,
    description:
      'replicas (PostgreSQL only): the queue of verified writes waiting for the sequencer, with each outcome once settled, and the sequencer lease',
    sqlite: `SELECT 1;`,
    postgres: `
      CREATE TABLE pending_writes (
        id BIGSERIAL PRIMARY KEY,
        nonce TEXT COLLATE "C" NOT NULL UNIQUE,
        digest TEXT NOT NULL,
        request TEXT NOT NULL,
        expires_at BIGINT NOT NULL,
        enqueued_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
        outcome TEXT,
        settled_at TIMESTAMPTZ
      );
      CREATE INDEX pending_writes_unsettled ON pending_writes (id) WHERE outcome IS NULL;
      CREATE TABLE sequencer_lease (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        holder TEXT NOT NULL,
        epoch BIGINT NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL,
        acquired_at TIMESTAMPTZ NOT NULL
      );
      INSERT INTO sequencer_lease (id, holder, epoch, expires_at, acquired_at) VALUES (1, '', 0, '-infinity', '-infinity');
    `,
  },
  {
    version: 8,
    description:
      'replicas (PostgreSQL only): the checkpoint the sequencer last published with its witnesses cosignatures, served by every replica',
    sqlite: `SELECT 1;`,
    postgres: `
      CREATE TABLE cosigned_checkpoint (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        size BIGINT NOT NULL,
        note TEXT NOT NULL
      );
    `,
  },
  {
    version: 9,
    description:
      'drop the entries_owner and entries_lane indexes: queries by owner and lane read the entry index (entry_terms, migration 6), so these were only written, two more B-trees updated by every registration',
    sqlite: `
      DROP INDEX IF EXISTS entries_owner;
      DROP INDEX IF EXISTS entries_lane;
    `,
    postgres: `
      DROP INDEX IF EXISTS entries_owner;
      DROP INDEX IF EXISTS entries_lane;
    `,
  },
];

export const LATEST_SCHEMA_VERSION =
  MIGRATIONS.length === 0 ? 0 : (MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0);
