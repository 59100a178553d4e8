/** How a RegistryEntry maps to rows, shared by both stores. */
import type { Lane } from '../nodespec/nodespec.js';
import type { EntryStatus, RegistryEntry } from './store.js';

export interface EntryRow {
  registry_id: string;
  owner_id: string;
  lane: string;
  tier: number | string;
  node_spec: string;
  spec_digest: string;
  status: string;
  registered_index: number | string;
  deregistered_index: number | string | null;
  integrated_at: string;
}

/** The verb of a capability pattern (`read` of `read:memory/*`), for indexed lookups. */
export function capabilityVerb(pattern: string): string {
  const colon = pattern.indexOf(':');
  return colon < 0 ? pattern : pattern.slice(0, colon);
}

export function entryFromRow(
  row: EntryRow,
  signals: readonly string[],
  capabilities: readonly string[],
): RegistryEntry {
  return {
    registryId: row.registry_id,
    ownerId: row.owner_id,
    lane: row.lane as Lane,
    tier: Number(row.tier),
    nodeSpec: row.node_spec,
    specDigest: row.spec_digest,
    status: row.status as EntryStatus,
    registeredIndex: Number(row.registered_index),
    ...(row.deregistered_index === null
      ? {}
      : { deregisteredIndex: Number(row.deregistered_index) }),
    integratedAt: row.integrated_at,
    signals,
    capabilities,
  };
}

/** Groups (registry_id, value) rows into a map of lists, keeping row order. */
export function groupBy(
  rows: readonly { registry_id: string; value: string }[],
): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const { registry_id: id, value } of rows) {
    const list = groups.get(id);
    if (list) list.push(value);
    else groups.set(id, [value]);
  }
  return groups;
}
