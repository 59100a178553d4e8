/**
 * Log leaves, the bytes the registry's tree hashes (docs/api.md, Log leaves), each the RFC 8785
 * JSON of one object:
 *
 * - an owner's write: `{"envelope": <payload, payloadType and the owner's verified signature>,
 *   "integrated_at": <RFC 3339>, "registry_id": ...}`, so anyone can re-check the owner's
 *   signature from the log alone;
 * - a trust record: `{"envelope": ..., "integrated_at": ..., "kind": <ControlKind>}`, a trust
 *   root version, a revocation list version, an owner enrolment or a log key rotation record,
 *   each a DSSE envelope signed by the role that may make it (docs/security.md);
 * - the registry records an operator makes about entries, with the same shape: an entry imported
 *   from the prototype registry (`legacy-import`) and the binding of such an entry to its
 *   owner's key (`claim`), both signed by the trust root's enrolment role.
 */
import { sha256Digest } from '../crypto/digest.js';
import { canonicalize } from '../json/canonicalize.js';
import { parseJson } from '../json/parse.js';
import { verifyClaim, type Claim } from '../trust/claim.js';
import { verifyLegacyImport, type LegacyImport } from '../trust/legacy-import.js';
import type { RevocationList } from '../trust/revocations.js';
import type { TrustRoot } from '../trust/trust-root.js';
import { EvidenceError } from './errors.js';
import type { VerifierSuites } from './suites.js';

export interface LeafContent {
  readonly envelope: unknown;
  readonly integrated_at: string;
  readonly registry_id: string;
}

const encoder = new TextEncoder();

/**
 * The leaf bytes, from the envelope's canonical form. Member names sort as envelope <
 * integrated_at < registry_id, so concatenation is exactly RFC 8785 of LeafContent.
 */
export function encodeLeaf(
  canonicalEnvelope: string,
  integratedAt: string,
  registryId: string,
): Uint8Array {
  return encoder.encode(
    `{"envelope":${canonicalEnvelope},"integrated_at":${canonicalize(integratedAt)},"registry_id":${canonicalize(registryId)}}`,
  );
}

/** The kinds of records the log holds besides owners' writes. */
export const CONTROL_KINDS = [
  'trust-root',
  'revocations',
  'enrolment',
  'log-rotation',
  'legacy-import',
  'claim',
  'takedown',
] as const;

export type ControlKind = (typeof CONTROL_KINDS)[number];

export function isControlKind(value: unknown): value is ControlKind {
  return (CONTROL_KINDS as readonly unknown[]).includes(value);
}

/** A trust record's leaf bytes; members sort as envelope < integrated_at < kind. */
export function encodeControlLeaf(
  kind: ControlKind,
  canonicalEnvelope: string,
  integratedAt: string,
): Uint8Array {
  return encoder.encode(
    `{"envelope":${canonicalEnvelope},"integrated_at":${canonicalize(integratedAt)},"kind":${canonicalize(kind)}}`,
  );
}

const leafDecoder = new TextDecoder();

/** The kind of an operator record's leaf; undefined for an owner's write (or unreadable bytes). */
export function controlKindOf(leaf: Uint8Array): ControlKind | undefined {
  let content: unknown;
  try {
    content = JSON.parse(leafDecoder.decode(leaf));
  } catch {
    return undefined;
  }
  const kind = (content as { kind?: unknown } | null)?.kind;
  return isControlKind(kind) ? kind : undefined;
}

/** A log leaf as read back: an owner's write or an operator record. */
export type LogLeaf =
  | {
      readonly kind: 'write';
      readonly envelope: unknown;
      readonly integratedAt: string;
      readonly registryId: string;
    }
  | { readonly kind: ControlKind; readonly envelope: unknown; readonly integratedAt: string };

/**
 * Reads leaf bytes. Throws EvidenceError `leaf-mismatch` for bytes that are not the canonical
 * JSON of one of the two shapes (members, their types, a known `kind`).
 */
export function parseLeaf(bytes: Uint8Array): LogLeaf {
  const parsed = parseJson(bytes, { maxBytes: bytes.length + 1 });
  const bad = (why: string) => new EvidenceError('leaf-mismatch', `the log leaf ${why}`);
  if (!parsed.ok) throw bad(`is not JSON (${parsed.error.message})`);
  const value = parsed.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw bad('is not a JSON object');
  if (canonicalize(value) !== parsed.text) throw bad('is not RFC 8785 canonical JSON');
  const { envelope, integrated_at: integratedAt, registry_id: registryId, kind } = value;
  const names = Object.keys(value).sort().join(',');
  if (typeof integratedAt !== 'string' || typeof envelope !== 'object' || envelope === null)
    throw bad('has no envelope and integration time');
  if (names === 'envelope,integrated_at,registry_id' && typeof registryId === 'string')
    return { kind: 'write', envelope, integratedAt, registryId };
  if (names === 'envelope,integrated_at,kind' && isControlKind(kind))
    return { kind, envelope, integratedAt };
  throw bad(`has members ${names}${kind === undefined ? '' : ` and kind ${JSON.stringify(kind)}`}`);
}

/**
 * Verifies that `leaf` (the log entry an imported registry entry names as its `log_index`) is a
 * `legacy-import` record signed by the enrolment role of `root`, for `expected.registryId`, and
 * carrying the NodeSpec whose digest is `expected.specDigest`. Returns the record: the
 * prototype's id, time and mode, and the source file's digest and HMAC. Throws EvidenceError
 * `leaf-mismatch` or `wrong-entry`, or TrustError from the signature check.
 */
export async function verifyLegacyImportLeaf(
  leaf: Uint8Array,
  expected: { readonly registryId: string; readonly specDigest: string },
  root: TrustRoot,
  suites: Pick<VerifierSuites, 'load'>,
): Promise<LegacyImport> {
  const parsed = parseLeaf(leaf);
  if (parsed.kind !== 'legacy-import')
    throw new EvidenceError(
      'leaf-mismatch',
      `the log leaf is a ${parsed.kind} record, not a legacy-import`,
    );
  const record = await verifyLegacyImport(parsed.envelope, root, suites.load);
  if (record.registryId !== expected.registryId)
    throw new EvidenceError(
      'wrong-entry',
      `the legacy-import record is for ${record.registryId}, not ${expected.registryId}`,
    );
  if (sha256Digest(record.nodeSpec) !== expected.specDigest)
    throw new EvidenceError(
      'leaf-mismatch',
      `the legacy-import record of ${record.registryId} holds another NodeSpec than ${expected.specDigest}`,
    );
  return record;
}

/**
 * Verifies that `leaf` (an imported entry's `claimed_log_index`) is a `claim` record signed by
 * the enrolment role of `root` binding `expected.registryId` to `expected.ownerId`, for an owner
 * key `revocations` does not revoke. Throws EvidenceError `leaf-mismatch` or `wrong-entry`, or
 * TrustError from the signature and revocation checks.
 */
export async function verifyClaimLeaf(
  leaf: Uint8Array,
  expected: { readonly registryId: string; readonly ownerId: string },
  root: TrustRoot,
  suites: Pick<VerifierSuites, 'load'>,
  revocations?: RevocationList,
): Promise<Claim> {
  const parsed = parseLeaf(leaf);
  if (parsed.kind !== 'claim')
    throw new EvidenceError(
      'leaf-mismatch',
      `the log leaf is a ${parsed.kind} record, not a claim`,
    );
  const claim = await verifyClaim(parsed.envelope, root, suites.load, revocations);
  if (claim.registryId !== expected.registryId || claim.ownerId !== expected.ownerId)
    throw new EvidenceError(
      'wrong-entry',
      `the claim binds ${claim.registryId} to ${claim.ownerId}, not ${expected.registryId} to ${expected.ownerId}`,
    );
  return claim;
}
