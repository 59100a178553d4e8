/**
 * Takedown records (`matriz-takedown/v1`): the trust root's `revocation` role deregisters an
 * entry whose owner key is revoked. A revoked key can no longer sign its owner's deregistration,
 * so without this an entry of a compromised key would stay active for ever. A DSSE envelope of
 * type `application/vnd.matriz.takedown+json`:
 *
 *   { "type": "matriz-takedown/v1", "origin", "registry_id", "spec_digest": "sha256:<hex>",
 *     "reason", "taken_down_at" (RFC 3339 UTC) }
 *
 * `spec_digest` names the content taken down. Whether the entry may be taken down (active, owner
 * key revoked) is the registry's rule (entry-ledger.ts).
 */
import type { Envelope, EnvelopeSigner } from '../crypto/dsse.js';
import { sha256Digest } from '../crypto/digest.js';
import { PAYLOAD_TYPES } from '../crypto/payload-types.js';
import {
  checkOrigin,
  encodeDocument,
  formatTimestamp,
  readDocument,
  readString,
  readTimestamp,
} from './document.js';
import { TrustError } from './errors.js';
import { MAX_REASON_LENGTH } from './revocations.js';
import { signDocument, verifySignedBy, type SuiteLoader } from './signatures.js';
import { roleKeys, type TrustRoot } from './trust-root.js';

export const TAKEDOWN_TYPE = 'matriz-takedown/v1';

export interface Takedown {
  readonly origin: string;
  readonly registryId: string;
  readonly specDigest: string;
  readonly reason: string;
  /** RFC 3339 UTC, as written. */
  readonly takenDownAt: string;
  /** `sha256:<hex>` of the payload bytes. */
  readonly digest: string;
}

export interface TakedownInput {
  readonly origin: string;
  readonly registryId: string;
  readonly specDigest: string;
  readonly reason: string;
  readonly takenDownAt: Date | string;
}

const MEMBERS = ['type', 'origin', 'registry_id', 'spec_digest', 'reason', 'taken_down_at'];
const SHA256 = /^sha256:[0-9a-f]{64}$/;

/** Parses and validates a takedown payload (does not check signatures). */
export function parseTakedown(payload: Uint8Array): Takedown {
  const what = 'takedown';
  const doc = readDocument(payload, what, TAKEDOWN_TYPE, MEMBERS);
  if (typeof doc.spec_digest !== 'string' || !SHA256.test(doc.spec_digest))
    throw new TrustError('malformed', `${what} "spec_digest" must be sha256:<64 lowercase hex>`);
  const reason = readString(doc.reason, `${what} "reason"`);
  if (reason.length > MAX_REASON_LENGTH)
    throw new TrustError(
      'malformed',
      `${what} "reason" is ${reason.length} characters; at most ${MAX_REASON_LENGTH}`,
    );
  readTimestamp(doc.taken_down_at, `${what} "taken_down_at"`);
  return {
    origin: readString(doc.origin, `${what} "origin"`),
    registryId: readString(doc.registry_id, `${what} "registry_id"`),
    specDigest: doc.spec_digest,
    reason,
    takenDownAt: doc.taken_down_at as string,
    digest: sha256Digest(payload),
  };
}

/** The canonical payload of a takedown; refuses input that would not parse back. */
export function takedownPayload(input: TakedownInput): Uint8Array {
  const payload = encodeDocument({
    type: TAKEDOWN_TYPE,
    origin: input.origin,
    registry_id: input.registryId,
    spec_digest: input.specDigest,
    reason: input.reason,
    taken_down_at: formatTimestamp(input.takenDownAt),
  });
  parseTakedown(payload);
  return payload;
}

export function buildTakedown(
  input: TakedownInput,
  signers: readonly EnvelopeSigner[] = [],
): Envelope {
  return signDocument(PAYLOAD_TYPES.takedown, takedownPayload(input), signers);
}

/**
 * Verifies a takedown envelope under `root`: signed by a threshold of its `revocation` role
 * (`threshold`) and for the same origin (`wrong-origin`).
 */
export async function verifyTakedown(
  envelope: unknown,
  root: TrustRoot,
  suites: SuiteLoader,
): Promise<Takedown> {
  const { payload } = await verifySignedBy(
    envelope,
    PAYLOAD_TYPES.takedown,
    roleKeys(root, 'revocation'),
    root.roles.revocation.threshold,
    `takedown (revocation role of trust root v${root.version})`,
    suites,
  );
  const takedown = parseTakedown(payload);
  checkOrigin(takedown.origin, root.origin, `takedown of ${takedown.registryId}`);
  return takedown;
}
