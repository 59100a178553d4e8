/**
 * Claim records (`matriz-claim/v1`): the trust root's `enrolment` role binds an entry imported
 * from the prototype registry (legacy-import.ts), which has no owner key, to the key of its real
 * owner. From then on the entry is that owner's like any other: only their signed requests change
 * it. A DSSE envelope of type `application/vnd.matriz.claim+json`:
 *
 *   { "type": "matriz-claim/v1", "origin", "registry_id", "spec_digest": "sha256:<hex>",
 *     "owner": { "alg", "public_key" }, "owner_id": "GLYMPH:<keyid of owner>",
 *     "claimed_at" (RFC 3339 UTC) }
 *
 * `spec_digest` names the imported content being claimed, so a claim cannot be replayed onto
 * anything else.
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
  readDocument,
  readPublicKey,
  readString,
  readTimestamp,
} from './document.js';
import { TrustError } from './errors.js';
import { findRevocation, type RevocationList } from './revocations.js';
import { signDocument, verifySignedBy, type SuiteLoader } from './signatures.js';
import { roleKeys, type TrustRoot } from './trust-root.js';

export const CLAIM_TYPE = 'matriz-claim/v1';

export interface Claim {
  readonly origin: string;
  readonly registryId: string;
  /** `sha256:<hex>` of the claimed entry's canonical NodeSpec. */
  readonly specDigest: string;
  readonly owner: PublicKey;
  readonly ownerId: string;
  /** RFC 3339 UTC, as written. */
  readonly claimedAt: string;
  /** `sha256:<hex>` of the payload bytes. */
  readonly digest: string;
}

export interface ClaimInput {
  readonly origin: string;
  readonly registryId: string;
  readonly specDigest: string;
  readonly owner: PublicKey;
  readonly claimedAt: Date | string;
}

const MEMBERS = ['type', 'origin', 'registry_id', 'spec_digest', 'owner', 'owner_id', 'claimed_at'];
const SHA256 = /^sha256:[0-9a-f]{64}$/;

/** Parses and validates a claim payload (does not check signatures). */
export function parseClaim(payload: Uint8Array): Claim {
  const what = 'claim';
  const doc = readDocument(payload, what, CLAIM_TYPE, MEMBERS);
  const owner = readPublicKey(doc.owner, `${what} "owner"`);
  if (doc.owner_id !== ownerId(owner.keyid))
    throw new TrustError(
      'malformed',
      `${what} "owner_id" ${JSON.stringify(doc.owner_id)} is not the owner key's (${ownerId(owner.keyid)})`,
    );
  if (typeof doc.spec_digest !== 'string' || !SHA256.test(doc.spec_digest))
    throw new TrustError('malformed', `${what} "spec_digest" must be sha256:<64 lowercase hex>`);
  readTimestamp(doc.claimed_at, `${what} "claimed_at"`);
  return {
    origin: readString(doc.origin, `${what} "origin"`),
    registryId: readString(doc.registry_id, `${what} "registry_id"`),
    specDigest: doc.spec_digest,
    owner,
    ownerId: ownerId(owner.keyid),
    claimedAt: doc.claimed_at as string,
    digest: sha256Digest(payload),
  };
}

/** The canonical payload of a claim; refuses input that would not parse back. */
export function claimPayload(input: ClaimInput): Uint8Array {
  const payload = encodeDocument({
    type: CLAIM_TYPE,
    origin: input.origin,
    registry_id: input.registryId,
    spec_digest: input.specDigest,
    owner: { alg: input.owner.algorithm, public_key: base64Encode(input.owner.publicKey) },
    owner_id: ownerId(input.owner.keyid),
    claimed_at: formatTimestamp(input.claimedAt),
  });
  parseClaim(payload);
  return payload;
}

export function buildClaim(input: ClaimInput, signers: readonly EnvelopeSigner[] = []): Envelope {
  return signDocument(PAYLOAD_TYPES.claim, claimPayload(input), signers);
}

/**
 * Verifies a claim envelope under `root`: signed by a threshold of its `enrolment` role
 * (`threshold`), same origin (`wrong-origin`), and, when `revocations` is given, for an owner
 * key that is not revoked (`revoked-key`).
 */
export async function verifyClaim(
  envelope: unknown,
  root: TrustRoot,
  suites: SuiteLoader,
  revocations?: RevocationList,
): Promise<Claim> {
  const { payload } = await verifySignedBy(
    envelope,
    PAYLOAD_TYPES.claim,
    roleKeys(root, 'enrolment'),
    root.roles.enrolment.threshold,
    `claim (enrolment role of trust root v${root.version})`,
    suites,
  );
  const claim = parseClaim(payload);
  checkOrigin(claim.origin, root.origin, `claim of ${claim.registryId}`);
  const revoked = findRevocation(revocations, claim.owner.keyid);
  if (revoked)
    throw new TrustError(
      'revoked-key',
      `owner ${claim.ownerId} was revoked at ${revoked.revoked_at} (${revoked.reason})`,
    );
  return claim;
}
