/**
 * The part of the stored registry state a set of writes can read, loaded before they are decided,
 * so that `EntryLedger.apply` itself does no I/O: each write's current entry, whether its nonce
 * was seen, its owner's logged enrolment when the open policy does not already allow the lane
 * and tier it claims, and for a registration the versions of its node name and their owners.
 */
import { parseEnvelope } from '../crypto/dsse.js';
import { base64Decode } from '../crypto/encoding.js';
import type { Store } from '../store/store.js';
import { parseClaim } from '../trust/claim.js';
import { parseLegacyImport } from '../trust/legacy-import.js';
import { parseTakedown } from '../trust/takedown.js';
import type { EntryLookup } from './entry-ledger.js';
import { openlyAllowed, type Entitlement, type EntitlementPolicy } from './policy.js';
import type { WriteRequest } from './request.js';
import type { ControlWrite } from './trust-ledger.js';

/**
 * Reads what `requests`, and operator records about `recordIds` (controlRegistryIds), need from
 * `store`; `now` is POSIX seconds, for nonce expiry.
 */
export async function loadEntrySnapshot(
  store: Store,
  requests: readonly WriteRequest[],
  now: number,
  policy: EntitlementPolicy,
  recordIds: readonly string[] = [],
): Promise<EntryLookup> {
  const ids = new Set([...requests.map((request) => request.registryId), ...recordIds]);
  const nonces = new Set(requests.map((request) => request.nonce));
  const owners = new Set(
    requests.flatMap((request) =>
      request.op === 'register' &&
      !openlyAllowed(policy, request.nodeSpec.identity.lane, request.nodeSpec.identity.tier)
        ? [request.ownerId]
        : [],
    ),
  );
  const names = new Set(
    requests.flatMap((request) =>
      request.op === 'register' ? [request.nodeSpec.metadata.name] : [],
    ),
  );
  const [state, enrolments] = await Promise.all([
    store.lookUp({ registryIds: [...ids], names: [...names], nonces: [...nonces], now }),
    Promise.all([...owners].map(async (owner) => [owner, await store.enrolment(owner)] as const)),
  ]);
  const enrolmentMap = new Map<string, Entitlement | undefined>(enrolments);
  const loaded = <T>(asked: Set<string>, key: string, what: string, value: () => T): T => {
    if (!asked.has(key)) throw new Error(`entry snapshot: ${what} ${key} was not loaded`);
    return value();
  };
  return {
    entry: (id) => loaded(ids, id, 'entry', () => state.entries.get(id)),
    nonceSeen: (nonce) => loaded(nonces, nonce, 'nonce', () => state.seenNonces.has(nonce)),
    enrolment: (owner) => loaded(owners, owner, 'enrolment of', () => enrolmentMap.get(owner)),
    versionsOf: (name) => loaded(names, name, 'versions of', () => state.versions.get(name) ?? []),
  };
}

/**
 * The registry id an operator record is about (a `legacy-import` or a `claim`), read before its
 * signatures are checked so that the entry can be loaded; none for a record that does not parse
 * (its check refuses it) or that is about no entry.
 */
export function controlRegistryIds(control: ControlWrite): string[] {
  if (control.kind !== 'legacy-import' && control.kind !== 'claim' && control.kind !== 'takedown')
    return [];
  try {
    const envelope = parseEnvelope(control.envelope);
    const payload = base64Decode(envelope.payload, 'payload');
    return [
      control.kind === 'claim'
        ? parseClaim(payload).registryId
        : control.kind === 'takedown'
          ? parseTakedown(payload).registryId
          : parseLegacyImport(payload).registryId,
    ];
  } catch {
    return [];
  }
}
