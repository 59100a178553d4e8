/**
 * The revocation list (`matriz-revocations/v1`), a DSSE envelope of type
 * `application/vnd.matriz.revocations+json` signed by a threshold of the trust root's
 * `revocation` role:
 *
 *   { "type": "matriz-revocations/v1", "origin", "version" (>= 1), "issued_at" (RFC 3339 UTC),
 *     "revoked": [ { "keyid", "revoked_at" (RFC 3339 UTC), "reason" (1..500 chars) } ] }
 *
 * Entries are unique and sorted by keyid. Revocations are never undone: a newer list has a higher
 * version and keeps every entry of the previous one unchanged.
 */
import type { Envelope, EnvelopeSigner } from '../crypto/dsse.js';
import { sha256Digest } from '../crypto/digest.js';
import { base64Decode } from '../crypto/encoding.js';
import { PAYLOAD_TYPES } from '../crypto/payload-types.js';
import {
  checkOrigin,
  encodeDocument,
  formatTimestamp,
  readArray,
  readDocument,
  readInteger,
  readKeyId,
  readString,
  readTimestamp,
  record,
} from './document.js';
import { TrustError } from './errors.js';
import { readEnvelope, signDocument, verifySignedBy, type SuiteLoader } from './signatures.js';
import { roleKeys, type TrustRoot } from './trust-root.js';

export const REVOCATIONS_TYPE = 'matriz-revocations/v1';
export const MAX_REASON_LENGTH = 500;

export interface Revocation {
  readonly keyid: string;
  /** RFC 3339 UTC, as written. */
  readonly revoked_at: string;
  readonly reason: string;
}

export interface RevocationList {
  readonly origin: string;
  readonly version: number;
  readonly issued_at: string;
  /** Sorted by keyid. */
  readonly revoked: readonly Revocation[];
  /** `sha256:<hex>` of the payload bytes. */
  readonly digest: string;
}

export interface RevocationListInput {
  readonly origin: string;
  readonly version: number;
  readonly issuedAt: Date | string;
  /** Any order: the builder sorts by keyid. */
  readonly revoked: readonly {
    readonly keyid: string;
    readonly revokedAt: Date | string;
    readonly reason: string;
  }[];
}

const MEMBERS = ['type', 'origin', 'version', 'issued_at', 'revoked'];
const ENTRY_MEMBERS = ['keyid', 'revoked_at', 'reason'];

/** Parses and validates a revocation list payload (does not check signatures). */
export function parseRevocationList(payload: Uint8Array): RevocationList {
  const what = 'revocation list';
  const doc = readDocument(payload, what, REVOCATIONS_TYPE, MEMBERS);
  const origin = readString(doc.origin, `${what} "origin"`);
  const version = readInteger(doc.version, `${what} "version"`, 1);
  readTimestamp(doc.issued_at, `${what} "issued_at"`);
  const revoked = readArray(doc.revoked, `${what} "revoked"`).map((value, i): Revocation => {
    const where = `${what} revoked[${i}]`;
    const entry = record(value, where);
    for (const name of Object.keys(entry))
      if (!ENTRY_MEMBERS.includes(name))
        throw new TrustError('malformed', `${where}: unknown member "${name}"`);
    const keyid = readKeyId(entry.keyid, `${where}.keyid`);
    readTimestamp(entry.revoked_at, `${where}.revoked_at`);
    const reason = readString(entry.reason, `${where}.reason`);
    if (reason.length > MAX_REASON_LENGTH)
      throw new TrustError(
        'malformed',
        `${where}.reason is ${reason.length} characters; at most ${MAX_REASON_LENGTH}`,
      );
    return { keyid, revoked_at: entry.revoked_at as string, reason };
  });
  for (let i = 1; i < revoked.length; i++)
    if ((revoked[i - 1] as Revocation).keyid >= (revoked[i] as Revocation).keyid)
      throw new TrustError(
        'malformed',
        `${what} revoked[${i}]: entries must be unique and sorted by keyid`,
      );
  return {
    origin,
    version,
    issued_at: doc.issued_at as string,
    revoked,
    digest: sha256Digest(payload),
  };
}

/** The canonical payload of a revocation list; refuses input that would not parse back. */
export function revocationListPayload(input: RevocationListInput): Uint8Array {
  const revoked = input.revoked
    .map((entry) => ({
      keyid: entry.keyid,
      revoked_at: formatTimestamp(entry.revokedAt),
      reason: entry.reason,
    }))
    .sort((a, b) => (a.keyid < b.keyid ? -1 : a.keyid > b.keyid ? 1 : 0));
  const payload = encodeDocument({
    type: REVOCATIONS_TYPE,
    origin: input.origin,
    version: input.version,
    issued_at: formatTimestamp(input.issuedAt),
    revoked,
  });
  parseRevocationList(payload);
  return payload;
}

export function buildRevocationList(
  input: RevocationListInput,
  signers: readonly EnvelopeSigner[] = [],
): Envelope {
  return signDocument(PAYLOAD_TYPES.revocations, revocationListPayload(input), signers);
}

/**
 * Verifies a revocation list envelope under `root`: signed by a threshold of its `revocation`
 * role (`threshold`), same origin (`wrong-origin`). With `previous` (the list already trusted),
 * the new list must be the same document or a successor: higher version and every previous
 * entry kept unchanged (`rollback` otherwise).
 */
export async function verifyRevocationList(
  envelope: unknown,
  root: TrustRoot,
  suites: SuiteLoader,
  previous?: RevocationList,
): Promise<RevocationList> {
  const { payload } = await verifySignedBy(
    envelope,
    PAYLOAD_TYPES.revocations,
    roleKeys(root, 'revocation'),
    root.roles.revocation.threshold,
    `revocation list (revocation role of trust root v${root.version})`,
    suites,
  );
  const list = parseRevocationList(payload);
  checkOrigin(list.origin, root.origin, `revocation list v${list.version}`);
  if (previous) checkRevocationUpdate(previous, list);
  return list;
}

/**
 * Refuses (`rollback`) a `next` list that is not `previous` itself or a successor keeping all of
 * its entries unchanged at a higher version.
 */
export function checkRevocationUpdate(previous: RevocationList, next: RevocationList): void {
  if (next.digest === previous.digest) return;
  if (next.version <= previous.version)
    throw new TrustError(
      'rollback',
      `revocation list v${next.version} is not newer than the trusted v${previous.version}`,
    );
  const kept = new Map(next.revoked.map((entry) => [entry.keyid, entry]));
  for (const entry of previous.revoked) {
    const now = kept.get(entry.keyid);
    if (!now)
      throw new TrustError(
        'rollback',
        `revocation list v${next.version} drops the revocation of ${entry.keyid}; revocations are never undone`,
      );
    if (now.revoked_at !== entry.revoked_at || now.reason !== entry.reason)
      throw new TrustError(
        'rollback',
        `revocation list v${next.version} changes the revocation of ${entry.keyid}; entries are kept unchanged`,
      );
  }
}

/** Reads a revocation list envelope's payload without checking signatures (`malformed`, `wrong-type`). */
export function peekRevocationList(value: unknown): RevocationList {
  const envelope = readEnvelope(value, 'revocation list');
  if (envelope.payloadType !== PAYLOAD_TYPES.revocations)
    throw new TrustError(
      'wrong-type',
      `revocation list: payloadType is ${JSON.stringify(envelope.payloadType)}, expected ${JSON.stringify(PAYLOAD_TYPES.revocations)}`,
    );
  return parseRevocationList(base64Decode(envelope.payload));
}

/** The entry revoking `keyid`, if any. */
export function findRevocation(
  list: RevocationList | undefined,
  keyid: string,
): Revocation | undefined {
  return list?.revoked.find((entry) => entry.keyid === keyid);
}
