/**
 * Enrolment records (`matriz-enrolment/v1`): the trust root's `enrolment` role admits an owner
 * key to some lanes up to a tier. A DSSE envelope of type `application/vnd.matriz.enrolment+json`:
 *
 *   { "type": "matriz-enrolment/v1", "origin", "owner": { "alg", "public_key" },
 *     "owner_id": "GLYMPH:<keyid of owner>", "lanes": [candidate|core|lukhas|products, ...],
 *     "max_tier": 0..7, "enrolled_at" (RFC 3339 UTC) }
 *
 * `lanes` is non-empty and unique; `owner_id` must be the owner key's identity.
 */
import type { Envelope, EnvelopeSigner } from '../crypto/dsse.js';
import { sha256Digest } from '../crypto/digest.js';
import { base64Encode } from '../crypto/encoding.js';
import { ownerId, type PublicKey } from '../crypto/keys.js';
import { PAYLOAD_TYPES } from '../crypto/payload-types.js';
import {
  checkOrigin,
  encodeDocument,
  formatTimestamp,
  readArray,
  readDocument,
  readInteger,
  readPublicKey,
  readString,
  readTimestamp,
} from './document.js';
import { TrustError } from './errors.js';
import { findRevocation, type RevocationList } from './revocations.js';
import { signDocument, verifySignedBy, type SuiteLoader } from './signatures.js';
import { roleKeys, type TrustRoot } from './trust-root.js';
import { LANES, type Lane } from '../nodespec/nodespec.js';

export const ENROLMENT_TYPE = 'matriz-enrolment/v1';
/** The lanes an enrolment may grant: every NodeSpec lane (nodespec.ts). */
export const ENROLMENT_LANES = LANES;
export type EnrolmentLane = Lane;
export const MAX_TIER = 7;

export interface Enrolment {
  readonly origin: string;
  readonly owner: PublicKey;
  readonly ownerId: string;
  readonly lanes: readonly EnrolmentLane[];
  readonly maxTier: number;
  /** RFC 3339 UTC, as written. */
  readonly enrolledAt: string;
  /** `sha256:<hex>` of the payload bytes. */
  readonly digest: string;
}

export interface EnrolmentInput {
  readonly origin: string;
  readonly owner: PublicKey;
  readonly lanes: readonly EnrolmentLane[];
  readonly maxTier: number;
  readonly enrolledAt: Date | string;
}

const MEMBERS = ['type', 'origin', 'owner', 'owner_id', 'lanes', 'max_tier', 'enrolled_at'];

/** Parses and validates an enrolment payload (does not check signatures). */
export function parseEnrolment(payload: Uint8Array): Enrolment {
  const what = 'enrolment';
  const doc = readDocument(payload, what, ENROLMENT_TYPE, MEMBERS);
  const origin = readString(doc.origin, `${what} "origin"`);
  const owner = readPublicKey(doc.owner, `${what} "owner"`);
  if (doc.owner_id !== ownerId(owner.keyid))
    throw new TrustError(
      'malformed',
      `${what} "owner_id" ${JSON.stringify(doc.owner_id)} is not the owner key's (${ownerId(owner.keyid)})`,
    );
  const lanes = readArray(doc.lanes, `${what} "lanes"`).map((lane, i) => {
    if (typeof lane !== 'string' || !(ENROLMENT_LANES as readonly string[]).includes(lane))
      throw new TrustError(
        'malformed',
        `${what} lanes[${i}] must be one of ${ENROLMENT_LANES.join(', ')}, got ${JSON.stringify(lane)}`,
      );
    return lane as EnrolmentLane;
  });
  if (lanes.length === 0) throw new TrustError('malformed', `${what} "lanes" must not be empty`);
  const duplicate = lanes.find((lane, i) => lanes.indexOf(lane) !== i);
  if (duplicate !== undefined)
    throw new TrustError('malformed', `${what} "lanes" lists ${duplicate} twice`);
  const maxTier = readInteger(doc.max_tier, `${what} "max_tier"`, 0, MAX_TIER);
  readTimestamp(doc.enrolled_at, `${what} "enrolled_at"`);
  return {
    origin,
    owner,
    ownerId: ownerId(owner.keyid),
    lanes,
    maxTier,
    enrolledAt: doc.enrolled_at as string,
    digest: sha256Digest(payload),
  };
}

/** The canonical payload of an enrolment; refuses input that would not parse back. */
export function enrolmentPayload(input: EnrolmentInput): Uint8Array {
  const payload = encodeDocument({
    type: ENROLMENT_TYPE,
    origin: input.origin,
    owner: { alg: input.owner.algorithm, public_key: base64Encode(input.owner.publicKey) },
    owner_id: ownerId(input.owner.keyid),
    lanes: input.lanes,
    max_tier: input.maxTier,
    enrolled_at: formatTimestamp(input.enrolledAt),
  });
  parseEnrolment(payload);
  return payload;
}

export function buildEnrolment(
  input: EnrolmentInput,
  signers: readonly EnvelopeSigner[] = [],
): Envelope {
  return signDocument(PAYLOAD_TYPES.enrolment, enrolmentPayload(input), signers);
}

/**
 * Verifies an enrolment envelope under `root`: signed by a threshold of its `enrolment` role
 * (`threshold`), same origin (`wrong-origin`), and, when `revocations` is given, an owner key
 * that is not revoked (`revoked-key`; a revoked owner is refused whatever `enrolled_at` says).
 */
export async function verifyEnrolment(
  envelope: unknown,
  root: TrustRoot,
  suites: SuiteLoader,
  revocations?: RevocationList,
): Promise<Enrolment> {
  const { payload } = await verifySignedBy(
    envelope,
    PAYLOAD_TYPES.enrolment,
    roleKeys(root, 'enrolment'),
    root.roles.enrolment.threshold,
    `enrolment (enrolment role of trust root v${root.version})`,
    suites,
  );
  const enrolment = parseEnrolment(payload);
  checkOrigin(enrolment.origin, root.origin, `enrolment of ${enrolment.ownerId}`);
  const revoked = findRevocation(revocations, enrolment.owner.keyid);
  if (revoked)
    throw new TrustError(
      'revoked-key',
      `owner ${enrolment.ownerId} was revoked at ${revoked.revoked_at} (${revoked.reason})`,
    );
  return enrolment;
}
