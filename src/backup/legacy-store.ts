/**
 * Reading the prototype registry's files (the system this project replaces) for
 * `matriz import-legacy`: `registry_store.json`, the HMAC-SHA256 beside it (`checkpoint.sig`),
 * and the key. The format, as the prototype wrote it:
 *
 *   { "version": <saves since start>, "ts": <unix seconds>, "entries": { "<name>::<seconds>":
 *     { "node_spec": <NodeSpec as sent>, "registered_at": <unix seconds>, "mode": <string> } } }
 *
 * The HMAC is checked over the file's exact bytes before anything is parsed: the prototype wrote
 * the store and then its signature with no fsync, so a mismatch means tampered, torn or the wrong
 * key, never "fine". Then the import is planned against the registry it goes into: each entry is
 * imported, already there (the same import run before: nothing to do), or skipped with a reason
 * (legacy-entry.ts rules, two entries mapping to one id, an id the registry holds otherwise).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { parseJson } from '../json/parse.js';
import { checkLegacyEntry } from '../registry/legacy-entry.js';
import type { RegistryEntry } from '../store/store.js';
import type { LegacySkip } from '../trust/legacy-import.js';

export type LegacyStoreErrorCode =
  /** The HMAC does not match: tampered, torn (store written, signature not) or the wrong key. */
  | 'hmac-mismatch'
  /** The signature file is not 64 lowercase hex characters. */
  | 'bad-signature-file'
  /** The store is not the prototype's format. */
  | 'malformed';

export class LegacyStoreError extends Error {
  override readonly name = 'LegacyStoreError';
  constructor(
    readonly code: LegacyStoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** One entry as the prototype stored it. */
export interface LegacyEntry {
  readonly legacyId: string;
  /** The stored entry object, for the reason when it is not an entry at all. */
  readonly nodeSpec: unknown;
  readonly registeredAt: unknown;
  readonly mode: unknown;
}

export interface LegacyStore {
  /** `sha256:<hex>` of the store file's bytes. */
  readonly sha256: string;
  /** The verified HMAC-SHA256, lowercase hex. */
  readonly hmac: string;
  /** The prototype's save counter and time of the last save (for the report only). */
  readonly version: number;
  readonly ts: number;
  /** In the file's order, which is the order the prototype registered them. */
  readonly entries: readonly LegacyEntry[];
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Verifies `storeBytes` against the signature file's text under `key` (the UTF-8 bytes of the
 * prototype's key), then parses it. Throws LegacyStoreError.
 */
export function readLegacyStore(
  storeBytes: Uint8Array,
  signatureText: string,
  key: Uint8Array,
): LegacyStore {
  // The prototype wrote no newline; a copy through an editor may add one.
  const signature = signatureText.replace(/\r?\n$/, '');
  if (!HEX64.test(signature))
    throw new LegacyStoreError(
      'bad-signature-file',
      'the signature file must hold the 64 lowercase hex characters of an HMAC-SHA256',
    );
  const expected = createHmac('sha256', key).update(storeBytes).digest();
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex')))
    throw new LegacyStoreError(
      'hmac-mismatch',
      'tampered, torn or wrong key: the HMAC-SHA256 of the store file does not match its signature file; nothing was imported',
    );
  const parsed = parseJson(storeBytes, { maxBytes: storeBytes.length + 1, maxDepth: 256 });
  if (!parsed.ok)
    throw new LegacyStoreError(
      'malformed',
      `the store is not JSON: line ${parsed.error.line}, column ${parsed.error.column}: ${parsed.error.message}`,
    );
  const root = parsed.value;
  if (typeof root !== 'object' || root === null || Array.isArray(root))
    throw new LegacyStoreError('malformed', 'the store must be a JSON object');
  const { version, ts, entries } = root;
  if (typeof version !== 'number' || !Number.isSafeInteger(version))
    throw new LegacyStoreError('malformed', 'the store\'s "version" must be an integer');
  if (typeof ts !== 'number')
    throw new LegacyStoreError('malformed', 'the store\'s "ts" must be a number');
  if (typeof entries !== 'object' || entries === null || Array.isArray(entries))
    throw new LegacyStoreError('malformed', 'the store\'s "entries" must be an object');
  return {
    sha256: `sha256:${createHash('sha256').update(storeBytes).digest('hex')}`,
    hmac: signature,
    version,
    ts,
    entries: Object.entries(entries).map(([legacyId, value]) => {
      const entry =
        typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {};
      return {
        legacyId,
        nodeSpec: entry.node_spec,
        registeredAt: entry.registered_at,
        mode: entry.mode,
      };
    }),
  };
}

/** An entry the import brings over. */
export interface PlannedImport {
  readonly legacyId: string;
  readonly registryId: string;
  readonly registeredAt: number;
  readonly mode: string;
  readonly nodeSpec: unknown;
  readonly specDigest: string;
}

export interface LegacyImportPlan {
  readonly imports: readonly PlannedImport[];
  /** Entries an earlier run of the same import already brought over. */
  readonly already: readonly { readonly legacyId: string; readonly registryId: string }[];
  readonly skipped: readonly LegacySkip[];
}

/**
 * Decides each entry of `store` against the registry's current entries (`current`, by registry
 * id). Pure; nothing is signed or written.
 */
export async function planLegacyImport(
  store: LegacyStore,
  current: (registryId: string) => Promise<RegistryEntry | undefined>,
): Promise<LegacyImportPlan> {
  const skipped: LegacySkip[] = [];
  const candidates: PlannedImport[] = [];
  for (const entry of store.entries) {
    const reason = shapeProblem(entry);
    if (reason !== undefined) {
      skipped.push({ legacy_id: entry.legacyId, reason });
      continue;
    }
    const checked = checkLegacyEntry(entry.legacyId, entry.nodeSpec);
    if (!checked.ok) {
      skipped.push({ legacy_id: entry.legacyId, reason: checked.reason });
      continue;
    }
    candidates.push({
      legacyId: entry.legacyId,
      registryId: checked.registryId,
      registeredAt: entry.registeredAt as number,
      mode: entry.mode as string,
      nodeSpec: entry.nodeSpec,
      specDigest: checked.specDigest,
    });
  }
  // Two prototype entries (the same name and version registered at two times) cannot both have
  // one registry id, and which one is right is not ours to guess: both are left out.
  const byId = new Map<string, PlannedImport[]>();
  for (const candidate of candidates)
    byId.set(candidate.registryId, [...(byId.get(candidate.registryId) ?? []), candidate]);
  const imports: PlannedImport[] = [];
  const already: { legacyId: string; registryId: string }[] = [];
  for (const candidate of candidates) {
    const same = byId.get(candidate.registryId) ?? [];
    if (same.length > 1) {
      const others = same.filter((c) => c !== candidate).map((c) => c.legacyId);
      skipped.push({
        legacy_id: candidate.legacyId,
        reason: `maps to ${candidate.registryId} like ${others.join(', ')}; which one is right is not decidable, so none is imported`,
      });
      continue;
    }
    const existing = await current(candidate.registryId);
    if (existing === undefined) imports.push(candidate);
    else if (
      existing.provenance === 'legacy-import' &&
      existing.specDigest === candidate.specDigest
    )
      already.push({ legacyId: candidate.legacyId, registryId: candidate.registryId });
    else
      skipped.push({
        legacy_id: candidate.legacyId,
        reason: `${candidate.registryId} is already in the registry with other content (${existing.specDigest}, log index ${existing.registeredIndex})`,
      });
  }
  return { imports, already, skipped };
}

function shapeProblem(entry: LegacyEntry): string | undefined {
  if (typeof entry.registeredAt !== 'number' || !Number.isFinite(entry.registeredAt))
    return 'the entry has no numeric "registered_at"';
  if (typeof entry.mode !== 'string') return 'the entry has no string "mode"';
  if (
    typeof entry.nodeSpec !== 'object' ||
    entry.nodeSpec === null ||
    Array.isArray(entry.nodeSpec)
  )
    return 'the entry\'s "node_spec" is not a JSON object';
  return undefined;
}
