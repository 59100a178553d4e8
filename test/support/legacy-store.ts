/**
 * Prototype registry stores for tests, written the way the prototype wrote them (Python's
 * `json.dumps(state, indent=2)`, ASCII, no final newline; HMAC-SHA256 of the exact bytes).
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const LEGACY_SAMPLE_DIR = path.resolve(import.meta.dirname, '../fixtures/legacy-prototype');

/** The shared sample: 6 registrations and 1 deregistration, so 5 entries. */
export function legacySample(): { store: Uint8Array; sig: string; key: string } {
  return {
    store: new Uint8Array(readFileSync(path.join(LEGACY_SAMPLE_DIR, 'registry_store.json'))),
    sig: readFileSync(path.join(LEGACY_SAMPLE_DIR, 'checkpoint.sig'), 'latin1'),
    key: readFileSync(path.join(LEGACY_SAMPLE_DIR, 'hmac_key.txt'), 'utf8'),
  };
}

/** The sample's first NodeSpec, to build other entries from. */
export function legacyNodeSpec(): Record<string, any> {
  const state = JSON.parse(new TextDecoder().decode(legacySample().store)) as {
    entries: Record<string, { node_spec: Record<string, any> }>;
  };
  return structuredClone(Object.values(state.entries)[0]?.node_spec ?? {});
}

/** A spec named `name` at `version`, from the sample's first one. */
export function legacySpec(name: string, version: string): Record<string, any> {
  const spec = legacyNodeSpec();
  spec.metadata.name = name;
  spec.metadata.version = version;
  return spec;
}

export interface LegacyEntryInput {
  readonly id: string;
  readonly nodeSpec: unknown;
  readonly registeredAt?: number;
  readonly mode?: string;
}

/** A store file and its signature under `key`, as the prototype would have written them. */
export function writeLegacyStore(
  entries: readonly LegacyEntryInput[],
  key: string,
): { store: Uint8Array; sig: string } {
  const state = {
    version: entries.length,
    ts: 1796457078.2891657,
    entries: Object.fromEntries(
      entries.map((e, i) => [
        e.id,
        {
          node_spec: e.nodeSpec,
          registered_at: e.registeredAt ?? 1796457074.25 + i,
          mode: e.mode ?? 'dynamic',
        },
      ]),
    ),
  };
  // JSON.stringify with an indent of 2 and only ASCII: what json.dumps(state, indent=2) writes
  // for this data (no floats JSON.stringify writes differently from Python's repr).
  const text = JSON.stringify(state, null, 2).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  const store = new TextEncoder().encode(text);
  return { store, sig: createHmac('sha256', key).update(store).digest('hex') };
}
