/**
 * What the registry serves for an entry, built once when the entry is written (issue 17): the
 * entry as `GET /api/v1/registry/{id}` and query pages answer it, its summary for listing pages
 * (`view=summary`), and the index terms queries look it up by. Both stores keep these beside the
 * entry, so a page is assembled from stored text without parsing or serializing a NodeSpec.
 *
 * The only part of an answer that depends on the moment of the read, `owner_revoked_at`, is
 * never stored: the registry adds it (`withOwnerRevokedAt`) when the newest revocation list
 * revokes the owner key.
 */
import type { RegistryEntry } from './store.js';

/**
 * The entry as served, without `owner_revoked_at`: the same members, in the same order, as the
 * `Entry` schema of the API; `node_spec` is the stored canonical NodeSpec text itself.
 */
export function servedEntryJson(entry: RegistryEntry): string {
  let json =
    `{"registry_id":${JSON.stringify(entry.registryId)}` +
    `,"owner_id":${JSON.stringify(entry.ownerId)}` +
    `,"lane":${JSON.stringify(entry.lane)}` +
    `,"tier":${entry.tier}` +
    `,"status":${JSON.stringify(entry.status)}` +
    `,"spec_digest":${JSON.stringify(entry.specDigest)}` +
    `,"log_index":${entry.registeredIndex}`;
  if (entry.deregisteredIndex !== undefined)
    json += `,"deregistered_log_index":${entry.deregisteredIndex}`;
  json +=
    `,"integrated_at":${JSON.stringify(entry.integratedAt)}` +
    `,"provenance":${JSON.stringify(entry.provenance ?? 'owner')}`;
  if (entry.claimedIndex !== undefined) json += `,"claimed_log_index":${entry.claimedIndex}`;
  return `${json},"node_spec":${entry.nodeSpec}}`;
}

/**
 * The entry's summary for listing pages (`view=summary`): who owns it, where it runs, and what
 * it emits, subscribes to and may do, without the NodeSpec.
 */
export function entrySummaryJson(entry: RegistryEntry): string {
  const at = entry.registryId.lastIndexOf('@');
  return JSON.stringify({
    registry_id: entry.registryId,
    owner_id: entry.ownerId,
    lane: entry.lane,
    tier: entry.tier,
    version: entry.registryId.slice(at + 1),
    signals: entry.signals,
    capabilities: entry.capabilities,
  });
}

/**
 * An answer (entry or summary, UTF-8 JSON) with `owner_revoked_at` added, for an owner key the
 * newest revocation list revokes. Stored answers are JSON objects with at least one member.
 */
export function withOwnerRevokedAt(body: Buffer, revokedAt: string): Buffer {
  return Buffer.concat([
    Buffer.from(`{"owner_revoked_at":${JSON.stringify(revokedAt)},`),
    body.subarray(1),
  ]);
}

/**
 * Index terms: an active entry is listed under each of its terms, in registry id order, so every
 * query filter is a range of one index (a capability filter, of a few), and a page is read with a
 * seek, not a scan. Deregistered entries are listed under none.
 */
export const ALL_ACTIVE_TERM = 'a:';
export const signalTerm = (signal: string): string => `s:${signal}`;
export const laneTerm = (lane: string): string => `l:${lane}`;
export const ownerTerm = (owner: string): string => `o:${owner}`;
export const capabilityTerm = (pattern: string): string => `c:${pattern}`;

export function entryTerms(entry: RegistryEntry): string[] {
  if (entry.status !== 'active') return [];
  return [
    ...new Set([
      ALL_ACTIVE_TERM,
      laneTerm(entry.lane),
      ownerTerm(entry.ownerId),
      ...entry.signals.map(signalTerm),
      ...entry.capabilities.map(capabilityTerm),
    ]),
  ];
}

/**
 * Named (non-`*`) segments a capability query may have: the patterns that cover a query are its
 * segments with any subset of the named ones replaced by `*`, 2^named of them, each one index range.
 */
export const MAX_CAPABILITY_QUERY_NAMED_SEGMENTS = 10;

/**
 * The index terms of every allow-list pattern that covers capability `query` (a well-formed
 * pattern, `verb:a/b`): a pattern covers it when it has as many segments and each is `*` or the
 * query's segment (nodespec/rules/capabilities.ts `capabilityCovers`). Undefined when the query
 * has more than MAX_CAPABILITY_QUERY_NAMED_SEGMENTS named segments.
 */
export function capabilityQueryTerms(query: string): string[] | undefined {
  const colon = query.indexOf(':');
  const segments = [query.slice(0, colon), ...query.slice(colon + 1).split('/')];
  const named = segments.filter((segment) => segment !== '*').length;
  if (named > MAX_CAPABILITY_QUERY_NAMED_SEGMENTS) return undefined;
  let patterns: string[][] = [[]];
  for (const segment of segments) {
    const choices = segment === '*' ? ['*'] : [segment, '*'];
    patterns = patterns.flatMap((prefix) => choices.map((choice) => [...prefix, choice]));
  }
  return patterns.map(([verb, ...path]) => capabilityTerm(`${verb}:${path.join('/')}`));
}
