import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  LegacyStoreError,
  planLegacyImport,
  readLegacyStore,
  type LegacyStore,
} from '../../src/backup/legacy-store.js';
import type { RegistryEntry } from '../../src/store/store.js';
import { legacySample, legacySpec, writeLegacyStore } from '../support/legacy-store.js';

const KEY = 'a key only these tests use';
const encode = (text: string) => new TextEncoder().encode(text);

function refusal(run: () => unknown): LegacyStoreError {
  try {
    run();
  } catch (error) {
    if (error instanceof LegacyStoreError) return error;
    throw error;
  }
  throw new Error('expected a LegacyStoreError');
}

const nothingStored = () => Promise.resolve(undefined);

describe('reading the prototype store', () => {
  it('verifies the shared sample with its key and reads its 5 entries in the order they were registered', () => {
    const sample = legacySample();
    const store = readLegacyStore(sample.store, sample.sig, encode(sample.key));
    expect(store.version).toBe(7);
    expect(store.hmac).toBe(sample.sig);
    expect(store.sha256).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(store.entries.map((e) => e.legacyId)).toEqual([
      'memoria_adapter_episodic::1796457074',
      'oneiric_core_v2::1796457074',
      'memoria_adapter_semantic::1796457075',
      'memoria_cache_edge::1796457076',
      'oneiric_kernel_bridge::1796457077',
    ]);
    expect(store.entries[0]?.registeredAt).toBe(1796457074.034148);
  });

  it('refuses the store when any one byte changed, and names the three causes', () => {
    const sample = legacySample();
    for (const at of [0, 100, sample.store.length - 1]) {
      const changed = sample.store.slice();
      changed[at] = (changed[at] as number) ^ 0x01;
      const error = refusal(() => readLegacyStore(changed, sample.sig, encode(sample.key)));
      expect(error.code).toBe('hmac-mismatch');
      expect(error.message).toMatch(/^tampered, torn or wrong key/);
    }
  });

  it('refuses the wrong key, and a store torn off after its signature was written', () => {
    const sample = legacySample();
    expect(refusal(() => readLegacyStore(sample.store, sample.sig, encode('wrong'))).code).toBe(
      'hmac-mismatch',
    );
    const torn = sample.store.slice(0, sample.store.length - 10);
    expect(refusal(() => readLegacyStore(torn, sample.sig, encode(sample.key))).code).toBe(
      'hmac-mismatch',
    );
  });

  it('reads a signature file with a final newline, and refuses one that is not 64 hex digits', () => {
    const sample = legacySample();
    expect(
      readLegacyStore(sample.store, `${sample.sig}\n`, encode(sample.key)).entries,
    ).toHaveLength(5);
    for (const sig of ['', sample.sig.toUpperCase(), `${sample.sig}00`, sample.sig.slice(1)])
      expect(refusal(() => readLegacyStore(sample.store, sig, encode(sample.key))).code).toBe(
        'bad-signature-file',
      );
  });

  it('refuses a correctly signed file that is not the prototype format', () => {
    for (const text of [
      '[]',
      '{"version": 1, "ts": 1, "entries": []}',
      '{"ts": 1, "entries": {}}',
      '{"a":1,"a":2}',
      'NaN',
    ]) {
      const store = encode(text);
      const sig = writeLegacyStoreSig(store);
      expect(refusal(() => readLegacyStore(store, sig, encode(KEY))).code).toBe('malformed');
    }
  });
});

function writeLegacyStoreSig(store: Uint8Array): string {
  return createHmac('sha256', KEY).update(store).digest('hex');
}

function read(entries: Parameters<typeof writeLegacyStore>[0]): LegacyStore {
  const written = writeLegacyStore(entries, KEY);
  return readLegacyStore(written.store, written.sig, encode(KEY));
}

describe('planning an import', () => {
  it('imports every entry of the shared sample under <name>@<version>', async () => {
    const sample = legacySample();
    const plan = await planLegacyImport(
      readLegacyStore(sample.store, sample.sig, encode(sample.key)),
      nothingStored,
    );
    expect(plan.skipped).toEqual([]);
    expect(plan.imports.map((i) => i.registryId)).toEqual([
      'memoria_adapter_episodic@0.1.0',
      'oneiric_core_v2@0.3.0',
      'memoria_adapter_semantic@0.0.4',
      'memoria_cache_edge@0.2.1',
      'oneiric_kernel_bridge@2.0.0-rc1',
    ]);
    expect(plan.imports[0]).toMatchObject({
      legacyId: 'memoria_adapter_episodic::1796457074',
      mode: 'dynamic',
    });
  });

  it('splits an id on its last "::", since names may hold "::"', async () => {
    const plan = await planLegacyImport(
      read([{ id: 'lukhas::memory::1796457001', nodeSpec: legacySpec('lukhas::memory', '1.0.0') }]),
      nothingStored,
    );
    // The name is the NodeSpec's; whether v1 accepts it decides import or skip, never the split.
    const decided = [
      ...plan.imports.map((i) => i.legacyId),
      ...plan.skipped.map((s) => s.legacy_id),
    ];
    expect(decided).toEqual(['lukhas::memory::1796457001']);
    expect(plan.skipped.map((s) => s.reason).join()).not.toMatch(/metadata\.name is/);
  });

  it('lists each entry it cannot import with the reason, and imports the rest', async () => {
    const invalid = legacySpec('broken_node', '1.0.0');
    delete invalid.identity;
    const plan = await planLegacyImport(
      read([
        { id: 'good_node::1796457001', nodeSpec: legacySpec('good_node', '1.0.0') },
        { id: 'broken_node::1796457002', nodeSpec: invalid },
        { id: 'other_name::1796457003', nodeSpec: legacySpec('renamed_node', '1.0.0') },
        { id: 'twice_node::1796457004', nodeSpec: legacySpec('twice_node', '2.0.0') },
        { id: 'twice_node::1796457005', nodeSpec: legacySpec('twice_node', '2.0.0') },
        { id: 'no_seconds', nodeSpec: legacySpec('no_seconds', '1.0.0') },
        { id: 'not_an_object::1796457006', nodeSpec: 'a string' },
      ]),
      nothingStored,
    );
    expect(plan.imports.map((i) => i.registryId)).toEqual(['good_node@1.0.0']);
    const reasons = Object.fromEntries(plan.skipped.map((s) => [s.legacy_id, s.reason]));
    expect(reasons['broken_node::1796457002']).toMatch(/not valid under nodespec\.v1: .*identity/);
    expect(reasons['other_name::1796457003']).toMatch(
      /names "other_name" but the NodeSpec's metadata\.name is "renamed_node"/,
    );
    expect(reasons['twice_node::1796457004']).toMatch(
      /maps to twice_node@2\.0\.0 like twice_node::1796457005/,
    );
    expect(reasons['twice_node::1796457005']).toMatch(
      /maps to twice_node@2\.0\.0 like twice_node::1796457004/,
    );
    expect(reasons.no_seconds).toMatch(/<name>::<unix seconds>/);
    expect(reasons['not_an_object::1796457006']).toMatch(/"node_spec" is not a JSON object/);
    expect(plan.skipped).toHaveLength(6);
  });

  it('counts an entry the same import brought over before as already imported, and refuses an id held otherwise', async () => {
    const store = read([
      { id: 'kept_node::1796457001', nodeSpec: legacySpec('kept_node', '1.0.0') },
      { id: 'taken_node::1796457002', nodeSpec: legacySpec('taken_node', '1.0.0') },
    ]);
    const first = await planLegacyImport(store, nothingStored);
    const digest = (id: string) =>
      first.imports.find((i) => i.registryId === id)?.specDigest as string;
    const stored = (entry: Partial<RegistryEntry>) => entry as RegistryEntry;
    const plan = await planLegacyImport(store, (id) =>
      Promise.resolve(
        id === 'kept_node@1.0.0'
          ? stored({ provenance: 'legacy-import', specDigest: digest(id), registeredIndex: 1 })
          : stored({ specDigest: digest(id), registeredIndex: 7 }),
      ),
    );
    expect(plan.imports).toEqual([]);
    expect(plan.already).toEqual([
      { legacyId: 'kept_node::1796457001', registryId: 'kept_node@1.0.0' },
    ]);
    expect(plan.skipped).toEqual([
      {
        legacy_id: 'taken_node::1796457002',
        reason: expect.stringMatching(
          /taken_node@1\.0\.0 is already in the registry with other content .*log index 7/,
        ),
      },
    ]);
  });
});
