/**
 * Public keys and the identities derived from them (DESIGN.md, Identity):
 *
 *   keyid    = hex(SHA-256(alg || 0x00 || public key))     alg as UTF-8, e.g. "ml-dsa-44"
 *   owner_id = "GLYMPH:" + keyid
 *
 * Binding the algorithm into the key id means the same bytes under two algorithms are two keys,
 * and a signature is always checked with the algorithm its trusted key names, never one chosen by
 * the signer.
 */
import { sha256 } from './sha256.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { isKeyAlgorithm, type KeyAlgorithm } from './algorithms.js';
import { base64Decode, base64Encode, concatBytes, utf8 } from './encoding.js';
import { CryptoError } from './errors.js';

export interface PublicKey {
  readonly algorithm: KeyAlgorithm;
  readonly publicKey: Uint8Array;
  readonly keyid: string;
}

/** The public key JSON the CLI exports and trust roots hold. */
export interface PublicKeyJson {
  readonly alg: KeyAlgorithm;
  /** Standard base64 of the public key bytes. */
  readonly public_key: string;
  readonly keyid: string;
  readonly owner_id: string;
}

/** Public key byte lengths, checked when a key is read (FIPS 204 Table 2, Falcon, RFC 8032). */
export const PUBLIC_KEY_LENGTHS: Readonly<Record<KeyAlgorithm, number>> = {
  'ml-dsa-44': 1312,
  'ml-dsa-65': 1952,
  'ml-dsa-87': 2592,
  'falcon-512': 897,
  'falcon-1024': 1793,
  ed25519: 32,
  'hybrid-ml-dsa-44-ed25519': 1312 + 32,
  'hybrid-ml-dsa-65-ed25519': 1952 + 32,
};

export function keyId(algorithm: KeyAlgorithm | 'x-wing', publicKey: Uint8Array): string {
  return bytesToHex(sha256(concatBytes(utf8(algorithm), Uint8Array.of(0), publicKey)));
}

/**
 * An owner's GLYMPH id (DESIGN.md, Identity): `GLYMPH:` and the key id, the one place the form
 * is built. `isOwnerId` is the one place it is recognised.
 */
export function ownerId(keyid: string): string {
  return `GLYMPH:${keyid}`;
}

const OWNER_ID = /^GLYMPH:[0-9a-f]{64}$/;

/** Whether `value` has the form of a GLYMPH owner id. */
export function isOwnerId(value: string): boolean {
  return OWNER_ID.test(value);
}

/** The keyid an owner id names; undefined for a string that is no owner id (a prototype's). */
export function ownerKeyId(value: string): string | undefined {
  return isOwnerId(value) ? value.slice('GLYMPH:'.length) : undefined;
}

export function publicKeyOf(algorithm: KeyAlgorithm, publicKey: Uint8Array): PublicKey {
  checkLength(algorithm, publicKey);
  return { algorithm, publicKey, keyid: keyId(algorithm, publicKey) };
}

export function publicKeyToJson(key: PublicKey): PublicKeyJson {
  return {
    alg: key.algorithm,
    public_key: base64Encode(key.publicKey),
    keyid: key.keyid,
    owner_id: ownerId(key.keyid),
  };
}

/**
 * Reads public key JSON. `keyid` and `owner_id` are optional on input, but when present they
 * must match the key: a file whose id was edited to impersonate another key is refused.
 */
export function publicKeyFromJson(value: unknown, source = 'public key'): PublicKey {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new CryptoError('malformed', `${source}: expected a JSON object`);
  const record = value as Record<string, unknown>;
  const { alg, public_key: encoded, keyid, owner_id: owner } = record;
  if (typeof alg !== 'string' || !isKeyAlgorithm(alg))
    throw new CryptoError(
      'unknown-algorithm',
      `${source}: "alg" must be a known algorithm, got ${JSON.stringify(alg)}`,
    );
  if (typeof encoded !== 'string')
    throw new CryptoError('malformed', `${source}: "public_key" must be a base64 string`);
  const key = publicKeyOf(alg, base64Decode(encoded, `${source}: "public_key"`));
  if (keyid !== undefined && keyid !== key.keyid)
    throw new CryptoError(
      'malformed',
      `${source}: "keyid" ${JSON.stringify(keyid)} does not match the key (expected ${key.keyid})`,
    );
  if (owner !== undefined && owner !== ownerId(key.keyid))
    throw new CryptoError(
      'malformed',
      `${source}: "owner_id" does not match the key (expected ${ownerId(key.keyid)})`,
    );
  return key;
}

function checkLength(algorithm: KeyAlgorithm, publicKey: Uint8Array): void {
  const expected = PUBLIC_KEY_LENGTHS[algorithm];
  if (publicKey.length !== expected)
    throw new CryptoError(
      'invalid-key',
      `${algorithm} public key must be ${expected} bytes, got ${publicKey.length}`,
    );
}
