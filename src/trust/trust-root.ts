/**
 * The trust root (`matriz-trust-root/v1`): the keys of a log's four roles, their thresholds, and
 * an expiry, in a DSSE envelope of type `application/vnd.matriz.trust-root+json` whose payload is
 * RFC 8785 canonical JSON:
 *
 *   { "type": "matriz-trust-root/v1", "origin", "version" (>= 1), "expires" (RFC 3339 UTC),
 *     "keys": { keyid: { "alg", "public_key" } },
 *     "roles": { "root" | "log" | "enrolment" | "revocation": { "keyids", "threshold" } } }
 *
 * A parsed `TrustRoot` guarantees: every keyid is `keyId(alg, public key)`; no two keys share key
 * material (a hybrid's ML-DSA and Ed25519 halves count as material of their own), so a threshold
 * can never be met twice by one secret; every role lists unique keyids present in `keys`, with
 * 1 <= threshold <= its number of keys; the log role holds only `hybrid-ml-dsa-44-ed25519` keys
 * (the pair that signs a checkpoint's Ed25519 and ML-DSA-44 note lines).
 *
 * Updates follow TUF (theupdateframework.io specification, 5.3 "Update the root role"): version
 * N+1 must be signed by a threshold of version N's root keys and a threshold of its own, versions
 * go up by exactly one, and only the newest root must be unexpired (an expired intermediate root
 * is fine: it was superseded).
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { HYBRID_COMPONENTS } from '../crypto/hybrid.js';
import { isSignatureAlgorithm } from '../crypto/algorithms.js';
import { sha256Digest } from '../crypto/digest.js';
import type { Envelope, EnvelopeSigner } from '../crypto/dsse.js';
import { base64Decode, base64Encode, concatBytes } from '../crypto/encoding.js';
import { PUBLIC_KEY_LENGTHS, publicKeyOf, type PublicKey } from '../crypto/keys.js';
import { PAYLOAD_TYPES } from '../crypto/payload-types.js';
import { isValidOrigin } from '../log/checkpoint.js';
import {
  checkOrigin,
  encodeDocument,
  formatTimestamp,
  readDocument,
  readInteger,
  readKeyId,
  readKeyIds,
  readPublicKey,
  readString,
  readTimestamp,
  record,
} from './document.js';
import { TrustError } from './errors.js';
import { readEnvelope, signDocument, verifySignedBy, type SuiteLoader } from './signatures.js';

export const TRUST_ROOT_TYPE = 'matriz-trust-root/v1';
export const TRUST_ROLES = ['root', 'log', 'enrolment', 'revocation'] as const;
export type TrustRole = (typeof TRUST_ROLES)[number];
/** The only algorithm a log role key may have. */
export const LOG_KEY_ALGORITHM = 'hybrid-ml-dsa-44-ed25519';

export interface RoleDefinition {
  readonly keyids: readonly string[];
  readonly threshold: number;
}

export interface TrustRoot {
  readonly origin: string;
  readonly version: number;
  /** RFC 3339 UTC, as written in the document. */
  readonly expires: string;
  readonly keys: ReadonlyMap<string, PublicKey>;
  readonly roles: Readonly<Record<TrustRole, RoleDefinition>>;
  /** `sha256:<hex>` of the payload bytes (what a log rotation record names). */
  readonly digest: string;
}

export interface TrustRootInput {
  readonly origin: string;
  readonly version: number;
  readonly expires: Date | string;
  readonly keys: readonly PublicKey[];
  readonly roles: Readonly<Record<TrustRole, RoleDefinition>>;
}

const MEMBERS = ['type', 'origin', 'version', 'expires', 'keys', 'roles'];

/** Parses and validates a trust root payload (does not check signatures). */
export function parseTrustRoot(payload: Uint8Array): TrustRoot {
  const what = 'trust root';
  const doc = readDocument(payload, what, TRUST_ROOT_TYPE, MEMBERS);
  const origin = readString(doc.origin, `${what} "origin"`);
  if (!isValidOrigin(origin))
    throw new TrustError(
      'malformed',
      `${what} "origin" ${JSON.stringify(origin)} is not a log origin`,
    );
  const version = readInteger(doc.version, `${what} "version"`, 1);
  readTimestamp(doc.expires, `${what} "expires"`);
  const keys = new Map<string, PublicKey>();
  const material = new Map<string, string>();
  for (const [keyid, value] of Object.entries(record(doc.keys, `${what} "keys"`))) {
    const where = `${what} keys["${keyid}"]`;
    readKeyId(keyid, `${what} key name ${JSON.stringify(keyid)}`);
    const key = readPublicKey(value, where);
    if (key.keyid !== keyid)
      throw new TrustError(
        'malformed',
        `${where}: the keyid does not match the key (keyId(alg, public_key) is ${key.keyid})`,
      );
    for (const part of keyMaterial(key)) {
      const other = material.get(part);
      if (other !== undefined)
        throw new TrustError(
          'malformed',
          `${what}: keys ${other} and ${keyid} share key material; one secret would count twice`,
        );
      material.set(part, keyid);
    }
    keys.set(keyid, key);
  }
  const rolesField = record(doc.roles, `${what} "roles"`);
  for (const name of Object.keys(rolesField))
    if (!(TRUST_ROLES as readonly string[]).includes(name))
      throw new TrustError('malformed', `${what}: unknown role "${name}"`);
  const roles = {} as Record<TrustRole, RoleDefinition>;
  for (const role of TRUST_ROLES) {
    const where = `${what} roles.${role}`;
    if (!(role in rolesField)) throw new TrustError('malformed', `${what}: missing role "${role}"`);
    const fields = record(rolesField[role], where);
    for (const name of Object.keys(fields))
      if (name !== 'keyids' && name !== 'threshold')
        throw new TrustError('malformed', `${where}: unknown member "${name}"`);
    const keyids = readKeyIds(fields.keyids, `${where}.keyids`);
    const threshold = readInteger(fields.threshold, `${where}.threshold`, 1, keyids.length);
    for (const keyid of keyids) {
      const key = keys.get(keyid);
      if (!key) throw new TrustError('malformed', `${where}.keyids: ${keyid} is not in "keys"`);
      if (role === 'log' && key.algorithm !== LOG_KEY_ALGORITHM)
        throw new TrustError(
          'malformed',
          `${where}.keyids: ${keyid} is ${key.algorithm}; log keys must be ${LOG_KEY_ALGORITHM}`,
        );
    }
    roles[role] = { keyids, threshold };
  }
  return {
    origin,
    version,
    expires: doc.expires as string,
    keys,
    roles,
    digest: sha256Digest(payload),
  };
}

/** The canonical payload of a trust root; refuses input that would not parse back. */
export function trustRootPayload(input: TrustRootInput): Uint8Array {
  const payload = encodeDocument({
    type: TRUST_ROOT_TYPE,
    origin: input.origin,
    version: input.version,
    expires: formatTimestamp(input.expires),
    keys: Object.fromEntries(
      input.keys.map((key) => [
        key.keyid,
        { alg: key.algorithm, public_key: base64Encode(key.publicKey) },
      ]),
    ),
    roles: input.roles,
  });
  parseTrustRoot(payload);
  return payload;
}

/** A trust root envelope signed by `signers` (add more with `addSignature`). */
export function buildTrustRoot(
  input: TrustRootInput,
  signers: readonly EnvelopeSigner[] = [],
): Envelope {
  return signDocument(PAYLOAD_TYPES.trustRoot, trustRootPayload(input), signers);
}

/** The public keys of `role`, in the order the root lists them. */
export function roleKeys(root: TrustRoot, role: TrustRole): PublicKey[] {
  return root.roles[role].keyids.map((keyid) => root.keys.get(keyid) as PublicKey);
}

/**
 * The log key a trust root lists for a checkpoint key pair: one `hybrid-ml-dsa-44-ed25519` key
 * whose halves are the ML-DSA-44 key of the cosignature line and the Ed25519 key of the note line.
 */
export function logKeyOf(mlDsa44PublicKey: Uint8Array, ed25519PublicKey: Uint8Array): PublicKey {
  return publicKeyOf(LOG_KEY_ALGORITHM, concatBytes(mlDsa44PublicKey, ed25519PublicKey));
}

/** The two halves of a log key (see `logKeyOf`). */
export function logKeyHalves(key: PublicKey): { mlDsa44: Uint8Array; ed25519: Uint8Array } {
  const split = PUBLIC_KEY_LENGTHS['ml-dsa-44'];
  return { mlDsa44: key.publicKey.subarray(0, split), ed25519: key.publicKey.subarray(split) };
}

/** Reads a trust root envelope's payload without checking signatures (`malformed`, `wrong-type`). */
export function peekTrustRoot(value: unknown): TrustRoot {
  const envelope = readEnvelope(value, 'trust root');
  if (envelope.payloadType !== PAYLOAD_TYPES.trustRoot)
    throw new TrustError(
      'wrong-type',
      `trust root: payloadType is ${JSON.stringify(envelope.payloadType)}, expected ${JSON.stringify(PAYLOAD_TYPES.trustRoot)}`,
    );
  return parseTrustRoot(base64Decode(envelope.payload));
}

/**
 * First contact: a root (normally version 1, obtained out of band) signed by a threshold of its
 * own root role. Checks expiry when `now` is given and the origin when `origin` is.
 */
export async function verifyRootSelfSigned(
  envelope: unknown,
  suites: SuiteLoader,
  options: { readonly now?: Date; readonly origin?: string } = {},
): Promise<TrustRoot> {
  const root = peekTrustRoot(envelope);
  if (options.origin !== undefined)
    checkOrigin(root.origin, options.origin, `trust root v${root.version}`);
  await verifySignedBy(
    envelope,
    PAYLOAD_TYPES.trustRoot,
    roleKeys(root, 'root'),
    root.roles.root.threshold,
    `trust root v${root.version} (its own root role)`,
    suites,
  );
  if (options.now) checkNotExpired(root, options.now);
  return root;
}

/**
 * Walks from the pinned `trusted` root through `candidates` (envelopes of versions
 * trusted.version + 1, + 2, ... in order). Each candidate must be: a valid trust root of the
 * same origin (`wrong-origin`), exactly one version up (`rollback` when lower or equal, `gap`
 * when higher), signed by a threshold of the previous root's root role and a threshold of its
 * own (`threshold`). Then the newest root, the last candidate or `trusted` when there are none,
 * must not be expired at `now` (`expired`). Returns the newly verified roots, in order.
 */
export async function verifyRootChain(
  trusted: TrustRoot,
  candidates: readonly unknown[],
  now: Date,
  suites: SuiteLoader,
): Promise<TrustRoot[]> {
  const chain: TrustRoot[] = [];
  let current = trusted;
  for (const envelope of candidates) {
    const next = peekTrustRoot(envelope);
    const what = `trust root v${next.version}`;
    checkOrigin(next.origin, current.origin, what);
    if (next.version <= current.version)
      throw new TrustError(
        'rollback',
        `${what} is not newer than the trusted v${current.version}: a root version never goes back or is replaced`,
      );
    if (next.version !== current.version + 1)
      throw new TrustError(
        'gap',
        `${what} follows v${current.version}: versions must go up by one; fetch v${current.version + 1} first`,
      );
    await verifySignedBy(
      envelope,
      PAYLOAD_TYPES.trustRoot,
      roleKeys(current, 'root'),
      current.roles.root.threshold,
      `${what} (root role of the trusted v${current.version})`,
      suites,
    );
    await verifySignedBy(
      envelope,
      PAYLOAD_TYPES.trustRoot,
      roleKeys(next, 'root'),
      next.roles.root.threshold,
      `${what} (its own root role)`,
      suites,
    );
    chain.push(next);
    current = next;
  }
  checkNotExpired(current, now);
  return chain;
}

/** Refuses (`expired`) a root whose `expires` is at or before `now`. */
export function checkNotExpired(root: TrustRoot, now: Date): void {
  if (Date.parse(root.expires) <= now.getTime())
    throw new TrustError(
      'expired',
      `trust root v${root.version} expired at ${root.expires}; the log must publish a newer root (refusing stale trust: freeze protection)`,
    );
}

/**
 * A client pinned at `pinned` that is served `latest` as the newest root: refuses (`rollback`)
 * a lower version, or the same version with other content; returns whether `latest` is newer
 * (then walk to it with `verifyRootChain`). Signatures are not checked here.
 */
export function checkServedRoot(pinned: TrustRoot, latest: unknown): 'current' | 'newer' {
  const served = peekTrustRoot(latest);
  checkOrigin(served.origin, pinned.origin, `served trust root v${served.version}`);
  if (served.version < pinned.version)
    throw new TrustError(
      'rollback',
      `the server offers trust root v${served.version} as its newest, but v${pinned.version} is already trusted`,
    );
  if (served.version === pinned.version) {
    if (served.digest !== pinned.digest)
      throw new TrustError(
        'rollback',
        `the server offers a different trust root v${served.version} than the trusted one (${pinned.digest})`,
      );
    return 'current';
  }
  return 'newer';
}

/** The public key bytes a key is made of: the whole key, or both halves of a hybrid. */
function keyMaterial(key: PublicKey): string[] {
  if (isSignatureAlgorithm(key.algorithm)) return [bytesToHex(key.publicKey)];
  const split = PUBLIC_KEY_LENGTHS[HYBRID_COMPONENTS[key.algorithm]];
  return [bytesToHex(key.publicKey.subarray(0, split)), bytesToHex(key.publicKey.subarray(split))];
}
