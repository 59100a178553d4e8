/** How registry entries, trust documents and enrolments map to rows, shared by both stores. */
import type { Lane } from '../nodespec/nodespec.js';
import {
  StoreError,
  type EntryStatus,
  type RegistryEntry,
  type StoredEnrolment,
  type StoredTrustDocument,
  type TrustDocumentKind,
} from './store.js';

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
  provenance: string;
  claimed_index: number | string | null;
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
    ...(row.provenance === 'legacy-import' ? { provenance: 'legacy-import' as const } : {}),
    ...(row.claimed_index === null ? {} : { claimedIndex: Number(row.claimed_index) }),
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

export interface TrustDocumentRow {
  kind: string;
  version: number | string;
  envelope: string;
  log_index: number | string;
}

export function trustDocumentFromRow(row: TrustDocumentRow): StoredTrustDocument {
  return {
    kind: row.kind as TrustDocumentKind,
    version: Number(row.version),
    envelope: row.envelope,
    logIndex: Number(row.log_index),
  };
}

export interface EnrolmentRow {
  owner_id: string;
  lanes: string;
  max_tier: number | string;
  log_index: number | string;
  enrolled_at: string;
}

export function enrolmentFromRow(row: EnrolmentRow): StoredEnrolment {
  return {
    ownerId: row.owner_id,
    lanes: row.lanes.split(',') as Lane[],
    maxTier: Number(row.max_tier),
    logIndex: Number(row.log_index),
    enrolledAt: row.enrolled_at,
  };
}

export function duplicateTrustDocument(document: StoredTrustDocument): StoreError {
  return new StoreError(
    'invalid',
    `${document.kind} version ${document.version} is already recorded; versions are never replaced`,
  );
}

/** The tables holding the log and the registry state: all empty in a restore target. */
export const SNAPSHOT_TABLES = [
  'leaves',
  'subtrees',
  'checkpoints',
  'trust_documents',
  'enrolments',
  'entries',
  'nonces',
] as const;

/**
 * The registry id range of the versions of node `name`: ids `<name>@<version>` sort after
 * `<name>@` and before `<name>A` (`A` follows `@` in byte order), since a name holds no `@`.
 */
export function nameRange(name: string): { readonly from: string; readonly to: string } {
  return { from: `${name}@`, to: `${name}A` };
}
