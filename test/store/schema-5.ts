/**
 * A database as matriz wrote it before schema migration 6 (the entry index): the SQL of
 * migrations 1 to 5 and two entries, one active and one deregistered. Plain SQL both stores run.
 */
import { expect } from 'vitest';
import { capabilityTerm, signalTerm } from '../../src/store/entry-documents.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import type { Store } from '../../src/store/store.js';

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

/**
 * Checks that `store`, opened on the schema-5 database, has built the index: the active entry is
 * found by its capability and signal, as its summary; the deregistered one is listed nowhere.
 */
export async function expectOldEntryIndexed(store: Store): Promise<void> {
  try {
    const query = {
      filters: [[capabilityTerm('read:old/*')], [signalTerm('old.signal')]],
      view: 'summary' as const,
      limit: 10,
      scanLimit: 100,
      maxBytes: 1 << 20,
    };
    const page = await store.queryPage(query);
    expect(page.rows.map((row) => JSON.parse(row.body.toString()) as unknown)).toStrictEqual([
      OLD_ENTRY_SUMMARY,
    ]);
    // gone@1.0.0 has the signal too, but it is deregistered.
    const bySignal = await store.queryPage({ ...query, filters: [[signalTerm('old.signal')]] });
    expect(bySignal.rows.map((row) => row.registryId)).toStrictEqual(['old@1.0.0']);
  } finally {
    await store.close();
  }
}
