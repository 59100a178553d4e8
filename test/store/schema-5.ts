/**
 * A database as matriz wrote it before schema migration 6 (the entry index): the SQL of
 * migrations 1 to 5 and two entries, one active and one deregistered. Plain SQL both stores run.
 */
import { MIGRATIONS } from '../../src/store/migrations.js';

export function schema5Statements(engine: 'sqlite' | 'postgres'): string[] {
  const owner = `GLYMPH:${'c'.repeat(64)}`;
  return [
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)',
    ...MIGRATIONS.filter((m) => m.version <= 5).flatMap((m) => [
      m[engine],
      `INSERT INTO schema_migrations VALUES (${m.version}, 'before the entry index', '2026-12-01T00:00:00Z')`,
    ]),
    `INSERT INTO entries (registry_id, owner_id, lane, tier, node_spec, spec_digest, status, registered_index, deregistered_index, integrated_at)
     VALUES ('old@1.0.0', '${owner}', 'core', 2, '{"metadata":{"name":"old"}}', 'sha256:${'1'.repeat(64)}', 'active', 0, NULL, '2026-12-01T00:00:00Z'),
            ('gone@1.0.0', '${owner}', 'core', 2, '{"metadata":{"name":"gone"}}', 'sha256:${'2'.repeat(64)}', 'deregistered', 1, 2, '2026-12-01T00:00:00Z')`,
    `INSERT INTO entry_signals (registry_id, signal) VALUES ('old@1.0.0', 'old.signal'), ('gone@1.0.0', 'old.signal')`,
    `INSERT INTO entry_capabilities (registry_id, verb, pattern) VALUES ('old@1.0.0', 'read', 'read:old/*')`,
  ];
}

/** What the migrated store must answer for `old@1.0.0`. */
export const OLD_ENTRY_SUMMARY = {
  registry_id: 'old@1.0.0',
  owner_id: `GLYMPH:${'c'.repeat(64)}`,
  lane: 'core',
  tier: 2,
  version: '1.0.0',
  signals: ['old.signal'],
  capabilities: ['read:old/*'],
};
