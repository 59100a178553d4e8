/**
 * Legacy import records (`matriz-legacy-import/v1`): one entry of the prototype registry this
 * project replaces, brought into the log by the trust root's `enrolment` role. The prototype
 * never had owner signatures, so the record does not pretend: it is signed by the operator's
 * enrolment role, says where it came from (the digest of the prototype's store file and the
 * HMAC that file carried, checked before the import), and keeps the entry exactly as stored.
 * A DSSE envelope of type `application/vnd.matriz.legacy-import+json`:
 *
 *   { "type": "matriz-legacy-import/v1", "origin", "legacy_id": "<name>::<unix seconds>",
 *     "registry_id": "<name>@<version>", "registered_at": <number, as stored>,
 *     "mode": <string, as stored>, "node_spec": <object, as stored>,
 *     "source": { "sha256": "sha256:<hex of the store file>", "hmac_sha256": "<hex>",
 *                 "skipped": [ { "legacy_id", "reason" }, ... ] } }
 *
 * `skipped` lists the entries of the same store the import left out and why (`--skip-invalid`);
 * the first record of an import carries the list, later ones an empty one. Whether the NodeSpec
 * is valid, and whether the id is free, are the registry's rules (entry-ledger.ts), not the
 * document's.
 */
import type { Envelope, EnvelopeSigner } from '../crypto/dsse.js';
import { sha256Digest } from '../crypto/digest.js';
import { PAYLOAD_TYPES } from '../crypto/payload-types.js';
import {
  checkOrigin,
  encodeDocument,
  readArray,
  readDocument,
  readString,
  record,
} from './document.js';
import { TrustError } from './errors.js';
import { signDocument, verifySignedBy, type SuiteLoader } from './signatures.js';
import { roleKeys, type TrustRoot } from './trust-root.js';

export const LEGACY_IMPORT_TYPE = 'matriz-legacy-import/v1';

/** One entry of the prototype's store the import left out, and why. */
export interface LegacySkip {
  readonly legacy_id: string;
  readonly reason: string;
}

export interface LegacySource {
  /** `sha256:<hex>` of the store file's exact bytes. */
  readonly sha256: string;
  /** The HMAC-SHA256 the prototype wrote beside the store (64 lowercase hex), verified. */
  readonly hmac_sha256: string;
  readonly skipped: readonly LegacySkip[];
}

export interface LegacyImport {
  readonly origin: string;
  /** The prototype's id: `<metadata.name>::<whole unix seconds>`. */
  readonly legacyId: string;
  /** The id it has in this registry: `<metadata.name>@<metadata.version>`. */
  readonly registryId: string;
  /** The prototype's `registered_at`, unix seconds as it stored them. */
  readonly registeredAt: number;
  readonly mode: string;
  /** The NodeSpec exactly as the prototype stored it (not yet validated). */
  readonly nodeSpec: Readonly<Record<string, unknown>>;
  readonly source: LegacySource;
  /** `sha256:<hex>` of the payload bytes. */
  readonly digest: string;
}

export interface LegacyImportInput {
  readonly origin: string;
  readonly legacyId: string;
  readonly registryId: string;
  readonly registeredAt: number;
  readonly mode: string;
  readonly nodeSpec: unknown;
  readonly source: LegacySource;
}

const MEMBERS = [
  'type',
  'origin',
  'legacy_id',
  'registry_id',
  'registered_at',
  'mode',
  'node_spec',
  'source',
];
const SHA256 = /^sha256:[0-9a-f]{64}$/;
const HMAC = /^[0-9a-f]{64}$/;

/** Parses and validates a legacy import payload (does not check signatures). */
export function parseLegacyImport(payload: Uint8Array): LegacyImport {
  const what = 'legacy import';
  const doc = readDocument(payload, what, LEGACY_IMPORT_TYPE, MEMBERS);
  const legacyId = readString(doc.legacy_id, `${what} "legacy_id"`);
  if (legacyId.lastIndexOf('::') <= 0)
    throw new TrustError('malformed', `${what} "legacy_id" must be <name>::<unix seconds>`);
  const registeredAt = doc.registered_at;
  if (typeof registeredAt !== 'number' || !Number.isFinite(registeredAt))
    throw new TrustError('malformed', `${what} "registered_at" must be a number`);
  if (typeof doc.mode !== 'string')
    throw new TrustError('malformed', `${what} "mode" must be a string`);
  const nodeSpec = record(doc.node_spec, `${what} "node_spec"`);
  return {
    origin: readString(doc.origin, `${what} "origin"`),
    legacyId,
    registryId: readString(doc.registry_id, `${what} "registry_id"`),
    registeredAt,
    mode: doc.mode,
    nodeSpec,
    source: readSource(doc.source, `${what} "source"`),
    digest: sha256Digest(payload),
  };
}

function readSource(value: unknown, where: string): LegacySource {
  const fields = record(value, where);
  for (const name of Object.keys(fields))
    if (!['sha256', 'hmac_sha256', 'skipped'].includes(name))
      throw new TrustError('malformed', `${where}: unknown member "${name}"`);
  if (typeof fields.sha256 !== 'string' || !SHA256.test(fields.sha256))
    throw new TrustError('malformed', `${where}.sha256 must be sha256:<64 lowercase hex>`);
  if (typeof fields.hmac_sha256 !== 'string' || !HMAC.test(fields.hmac_sha256))
    throw new TrustError('malformed', `${where}.hmac_sha256 must be 64 lowercase hex digits`);
  const skipped = readArray(fields.skipped, `${where}.skipped`).map((skip, i) => {
    const at = `${where}.skipped[${i}]`;
    const entry = record(skip, at);
    if (Object.keys(entry).length !== 2)
      throw new TrustError('malformed', `${at} must have exactly "legacy_id" and "reason"`);
    return {
      legacy_id: readString(entry.legacy_id, `${at}.legacy_id`),
      reason: readString(entry.reason, `${at}.reason`),
    };
  });
  return { sha256: fields.sha256, hmac_sha256: fields.hmac_sha256, skipped };
}

/** The canonical payload of a legacy import; refuses input that would not parse back. */
export function legacyImportPayload(input: LegacyImportInput): Uint8Array {
  const payload = encodeDocument({
    type: LEGACY_IMPORT_TYPE,
    origin: input.origin,
    legacy_id: input.legacyId,
    registry_id: input.registryId,
    registered_at: input.registeredAt,
    mode: input.mode,
    node_spec: input.nodeSpec,
    source: input.source,
  });
  parseLegacyImport(payload);
  return payload;
}

export function buildLegacyImport(
  input: LegacyImportInput,
  signers: readonly EnvelopeSigner[] = [],
): Envelope {
  return signDocument(PAYLOAD_TYPES.legacyImport, legacyImportPayload(input), signers);
}

/**
 * Verifies a legacy import envelope under `root`: signed by a threshold of its `enrolment` role
 * (`threshold`) and for the same origin (`wrong-origin`).
 */
export async function verifyLegacyImport(
  envelope: unknown,
  root: TrustRoot,
  suites: SuiteLoader,
): Promise<LegacyImport> {
  const { payload } = await verifySignedBy(
    envelope,
    PAYLOAD_TYPES.legacyImport,
    roleKeys(root, 'enrolment'),
    root.roles.enrolment.threshold,
    `legacy import (enrolment role of trust root v${root.version})`,
    suites,
  );
  const imported = parseLegacyImport(payload);
  checkOrigin(imported.origin, root.origin, `legacy import of ${imported.legacyId}`);
  return imported;
}
