/**
 * Log key rotation records (`matriz-log-rotation/v1`): the old log keys and the new ones both
 * sign that the log moves from one to the other under a given trust root. A DSSE envelope of type
 * `application/vnd.matriz.log-rotation+json`:
 *
 *   { "type": "matriz-log-rotation/v1", "origin", "trust_root_version",
 *     "trust_root_digest": "sha256:<hex of SHA-256 of that root envelope's payload bytes>",
 *     "old_keyids": [...], "new_keyids": [...], "rotated_at" (RFC 3339 UTC) }
 *
 * Every listed keyid, old and new, must have a valid (hybrid) signature: the old keys hand over,
 * the new keys prove possession.
 */
import type { Envelope, EnvelopeSigner } from '../crypto/dsse.js';
import { base64Decode } from '../crypto/encoding.js';
import type { PublicKey } from '../crypto/keys.js';
import { PAYLOAD_TYPES } from '../crypto/payload-types.js';
import {
  checkOrigin,
  encodeDocument,
  formatTimestamp,
  readDocument,
  readInteger,
  readKeyIds,
  readString,
  readTimestamp,
} from './document.js';
import { TrustError } from './errors.js';
import { readEnvelope, signDocument, verifySignedBy, type SuiteLoader } from './signatures.js';
import type { TrustRoot } from './trust-root.js';

export const LOG_ROTATION_TYPE = 'matriz-log-rotation/v1';
const DIGEST = /^sha256:[0-9a-f]{64}$/;

export interface LogRotation {
  readonly origin: string;
  readonly trustRootVersion: number;
  readonly trustRootDigest: string;
  readonly oldKeyids: readonly string[];
  readonly newKeyids: readonly string[];
  /** RFC 3339 UTC, as written. */
  readonly rotatedAt: string;
}

export interface LogRotationInput {
  /** The trust root the rotation happens under (its version and digest are recorded). */
  readonly root: TrustRoot;
  readonly oldKeyids: readonly string[];
  readonly newKeyids: readonly string[];
  readonly rotatedAt: Date | string;
}

const MEMBERS = [
  'type',
  'origin',
  'trust_root_version',
  'trust_root_digest',
  'old_keyids',
  'new_keyids',
  'rotated_at',
];

/** Parses and validates a log rotation payload (does not check signatures). */
export function parseLogRotation(payload: Uint8Array): LogRotation {
  const what = 'log rotation';
  const doc = readDocument(payload, what, LOG_ROTATION_TYPE, MEMBERS);
  const origin = readString(doc.origin, `${what} "origin"`);
  const trustRootVersion = readInteger(doc.trust_root_version, `${what} "trust_root_version"`, 1);
  if (typeof doc.trust_root_digest !== 'string' || !DIGEST.test(doc.trust_root_digest))
    throw new TrustError('malformed', `${what} "trust_root_digest" must be sha256:<64 hex digits>`);
  const oldKeyids = readKeyIds(doc.old_keyids, `${what} "old_keyids"`);
  const newKeyids = readKeyIds(doc.new_keyids, `${what} "new_keyids"`);
  const both = oldKeyids.find((keyid) => newKeyids.includes(keyid));
  if (both !== undefined)
    throw new TrustError('malformed', `${what}: ${both} is in both "old_keyids" and "new_keyids"`);
  readTimestamp(doc.rotated_at, `${what} "rotated_at"`);
  return {
    origin,
    trustRootVersion,
    trustRootDigest: doc.trust_root_digest,
    oldKeyids,
    newKeyids,
    rotatedAt: doc.rotated_at as string,
  };
}

/** The canonical payload of a rotation record; refuses input that would not parse back. */
export function logRotationPayload(input: LogRotationInput): Uint8Array {
  const payload = encodeDocument({
    type: LOG_ROTATION_TYPE,
    origin: input.root.origin,
    trust_root_version: input.root.version,
    trust_root_digest: input.root.digest,
    old_keyids: input.oldKeyids,
    new_keyids: input.newKeyids,
    rotated_at: formatTimestamp(input.rotatedAt),
  });
  parseLogRotation(payload);
  return payload;
}

/** A rotation envelope signed by `signers` (the old and the new log keys, hybrid signers). */
export function buildLogRotation(
  input: LogRotationInput,
  signers: readonly EnvelopeSigner[] = [],
): Envelope {
  return signDocument(PAYLOAD_TYPES.logRotation, logRotationPayload(input), signers);
}

/**
 * Verifies a rotation record under `root`, the trust root in effect: it must name that root
 * (version and digest, `wrong-root`) and its origin (`wrong-origin`); the new keyids must be in
 * its log role, the old ones in its log role or in `previousRoot`'s (for old keys the root no
 * longer lists) (`unknown-key`); and every listed key must have signed (`threshold`).
 */
export async function verifyLogRotation(
  envelope: unknown,
  root: TrustRoot,
  suites: SuiteLoader,
  previousRoot?: TrustRoot,
): Promise<LogRotation> {
  const what = 'log rotation';
  const read = readEnvelope(envelope, what);
  if (read.payloadType !== PAYLOAD_TYPES.logRotation)
    throw new TrustError(
      'wrong-type',
      `${what}: payloadType is ${JSON.stringify(read.payloadType)}, expected ${JSON.stringify(PAYLOAD_TYPES.logRotation)}`,
    );
  const rotation = parseLogRotation(base64Decode(read.payload));
  checkOrigin(rotation.origin, root.origin, what);
  if (rotation.trustRootVersion !== root.version || rotation.trustRootDigest !== root.digest)
    throw new TrustError(
      'wrong-root',
      `${what} is for trust root v${rotation.trustRootVersion} (${rotation.trustRootDigest}), not the one in effect, v${root.version} (${root.digest})`,
    );
  const keys: PublicKey[] = [
    ...rotation.oldKeyids.map((keyid) => logKey(keyid, 'old', [root, previousRoot])),
    ...rotation.newKeyids.map((keyid) => logKey(keyid, 'new', [root])),
  ];
  await verifySignedBy(
    envelope,
    PAYLOAD_TYPES.logRotation,
    keys,
    keys.length,
    `${what} (every old and new log key must sign)`,
    suites,
  );
  return rotation;
}

function logKey(
  keyid: string,
  which: string,
  roots: readonly (TrustRoot | undefined)[],
): PublicKey {
  for (const root of roots)
    if (root?.roles.log.keyids.includes(keyid)) return root.keys.get(keyid) as PublicKey;
  throw new TrustError(
    'unknown-key',
    `log rotation: ${which} key ${keyid} is not a log key of trust root v${roots
      .filter((r) => r !== undefined)
      .map((r) => r.version)
      .join(' or v')}`,
  );
}
