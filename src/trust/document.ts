/**
 * Reading the signed documents of the trust layer. Each is a closed JSON object in RFC 8785
 * canonical form (so one document has one byte encoding, and one digest): members are all
 * required, unknown members are refused, and every refusal names the document and the field.
 */
import { isKeyAlgorithm } from '../crypto/algorithms.js';
import { CryptoError } from '../crypto/errors.js';
import { publicKeyOf, type PublicKey } from '../crypto/keys.js';
import { base64Decode } from '../crypto/encoding.js';
import { canonicalize } from '../json/canonicalize.js';
import { parseJson } from '../json/parse.js';
import { TrustError } from './errors.js';

export type Fields = Readonly<Record<string, unknown>>;

/** Keeps a byte order mark in the text, so a BOM-prefixed payload is not canonical. */
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
const KEYID = /^[0-9a-f]{64}$/;
const RFC3339_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?Z$/;

/**
 * Parses `payload` as the closed document `what` with exactly `members` and the given `type`.
 * Refuses bytes that are not the RFC 8785 canonical form of the value they hold.
 */
export function readDocument(
  payload: Uint8Array,
  what: string,
  type: string,
  members: readonly string[],
): Fields {
  const parsed = parseJson(payload);
  if (!parsed.ok)
    throw new TrustError('malformed', `${what}: payload is not JSON (${parsed.error.message})`);
  const value = parsed.value;
  const fields = record(value, what);
  if (canonicalize(value) !== decoder.decode(payload))
    throw new TrustError('malformed', `${what}: payload is not RFC 8785 canonical JSON`);
  for (const name of Object.keys(fields))
    if (!members.includes(name))
      throw new TrustError(
        'malformed',
        `${what}: unknown member "${name}" (the document is closed)`,
      );
  for (const name of members)
    if (!(name in fields)) throw new TrustError('malformed', `${what}: missing member "${name}"`);
  if (fields.type !== type)
    throw new TrustError(
      'wrong-type',
      `${what}: "type" is ${JSON.stringify(fields.type)}, expected ${JSON.stringify(type)}`,
    );
  return fields;
}

export function record(value: unknown, where: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TrustError('malformed', `${where} must be a JSON object`);
  return value as Fields;
}

export function readString(value: unknown, where: string): string {
  if (typeof value !== 'string' || value === '')
    throw new TrustError('malformed', `${where} must be a non-empty string`);
  return value;
}

export function readInteger(
  value: unknown,
  where: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max)
    throw new TrustError(
      'malformed',
      `${where} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  return value;
}

export function readArray(value: unknown, where: string): readonly unknown[] {
  if (!Array.isArray(value)) throw new TrustError('malformed', `${where} must be an array`);
  return value;
}

export function readKeyId(value: unknown, where: string): string {
  if (typeof value !== 'string' || !KEYID.test(value))
    throw new TrustError('malformed', `${where} must be a keyid (64 lowercase hex digits)`);
  return value;
}

/** A non-empty list of unique keyids. */
export function readKeyIds(value: unknown, where: string): readonly string[] {
  const ids = readArray(value, where).map((id, i) => readKeyId(id, `${where}[${i}]`));
  if (ids.length === 0) throw new TrustError('malformed', `${where} must not be empty`);
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate !== undefined)
    throw new TrustError('malformed', `${where} lists keyid ${duplicate} twice`);
  return ids;
}

/** An RFC 3339 UTC date-time (`Z`, optional fraction); returns milliseconds since the epoch. */
export function readTimestamp(value: unknown, where: string): number {
  const match = typeof value === 'string' ? RFC3339_UTC.exec(value) : null;
  const time = match ? Date.parse(value as string) : NaN;
  if (!match || Number.isNaN(time) || !sameDate(new Date(time), match))
    throw new TrustError(
      'malformed',
      `${where} must be an RFC 3339 UTC date-time like 2027-11-26T10:00:00Z, got ${JSON.stringify(value)}`,
    );
  return time;
}

/** Formats a Date the way documents write it: RFC 3339 UTC, whole seconds. */
export function formatTimestamp(date: Date | string): string {
  if (typeof date === 'string') return date;
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A `{alg, public_key}` member; the key's length is checked for its algorithm. */
export function readPublicKey(value: unknown, where: string): PublicKey {
  const fields = record(value, where);
  for (const name of Object.keys(fields))
    if (name !== 'alg' && name !== 'public_key')
      throw new TrustError('malformed', `${where}: unknown member "${name}"`);
  const { alg, public_key: encoded } = fields;
  if (typeof alg !== 'string' || !isKeyAlgorithm(alg))
    throw new TrustError(
      'malformed',
      `${where}.alg must be a known key algorithm, got ${JSON.stringify(alg)}`,
    );
  if (typeof encoded !== 'string')
    throw new TrustError('malformed', `${where}.public_key must be a base64 string`);
  try {
    return publicKeyOf(alg, base64Decode(encoded, `${where}.public_key`));
  } catch (error) {
    if (error instanceof CryptoError)
      throw new TrustError('malformed', `${where}: ${error.message}`, { cause: error });
    throw error;
  }
}

export function checkOrigin(actual: string, expected: string, what: string): void {
  if (actual !== expected)
    throw new TrustError(
      'wrong-origin',
      `${what} is for origin ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`,
    );
}

export function encodeDocument(document: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalize(document));
}

function sameDate(date: Date, match: RegExpExecArray): boolean {
  return (
    date.getUTCFullYear() === Number(match[1]) &&
    date.getUTCMonth() + 1 === Number(match[2]) &&
    date.getUTCDate() === Number(match[3]) &&
    date.getUTCHours() === Number(match[4]) &&
    date.getUTCMinutes() === Number(match[5]) &&
    date.getUTCSeconds() === Number(match[6])
  );
}
