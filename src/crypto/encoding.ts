/**
 * Byte encodings used in the registry's JSON: standard base64 (RFC 4648, section 4, with
 * padding) and lowercase hex. Decoding is strict: one byte string has exactly one accepted
 * spelling, so two different JSON documents never carry the same key or signature.
 */
import { CryptoError } from './errors.js';

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DECODE_TABLE = new Int16Array(128).fill(-1);
for (let i = 0; i < BASE64_ALPHABET.length; i++) DECODE_TABLE[BASE64_ALPHABET.charCodeAt(i)] = i;

interface NodeBuffer {
  from(
    data: Uint8Array | string,
    encoding?: 'base64',
  ): Uint8Array & { toString(encoding: 'base64'): string };
}

/** Node.js's Buffer when present: native base64, many times faster on keys and signatures. */
const NodeBufferClass = (globalThis as { Buffer?: NodeBuffer }).Buffer;

/** RFC 4648 base64 with padding. */
export function base64Encode(bytes: Uint8Array): string {
  return NodeBufferClass
    ? NodeBufferClass.from(bytes).toString('base64')
    : base64EncodePortable(bytes);
}

/**
 * Decodes canonical RFC 4648 base64: padding required, no whitespace, and the unused bits of
 * the last group zero (RFC 4648, section 3.5), so that the encoding is unique.
 */
export function base64Decode(text: string, what = 'base64 value'): Uint8Array {
  if (!NodeBufferClass) return base64DecodePortable(text, what);
  // Buffer skips characters outside the alphabet; re-encoding proves the text was canonical.
  const decoded = NodeBufferClass.from(text, 'base64');
  if (decoded.toString('base64') !== text)
    throw new CryptoError('malformed', `${what} is not canonical base64 (RFC 4648, padded)`);
  return new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.length);
}

/** base64Encode without Node.js (browsers). */
export function base64EncodePortable(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += sextet(n >> 18) + sextet(n >> 12) + sextet(n >> 6) + sextet(n);
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = (bytes[i] ?? 0) << 16;
    out += `${sextet(n >> 18)}${sextet(n >> 12)}==`;
  } else if (rest === 2) {
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8);
    out += `${sextet(n >> 18)}${sextet(n >> 12)}${sextet(n >> 6)}=`;
  }
  return out;
}

/** base64Decode without Node.js (browsers). */
export function base64DecodePortable(text: string, what = 'base64 value'): Uint8Array {
  if (!BASE64_PATTERN.test(text))
    throw new CryptoError('malformed', `${what} is not canonical base64 (RFC 4648, padded)`);
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const n =
      (value(text, i) << 18) |
      (value(text, i + 1) << 12) |
      (value(text, i + 2) << 6) |
      value(text, i + 3);
    if (o < out.length) out[o++] = (n >> 16) & 0xff;
    if (o < out.length) out[o++] = (n >> 8) & 0xff;
    if (o < out.length) out[o++] = n & 0xff;
    if (i + 4 === text.length && (padding === 2 ? n & 0xffff : padding === 1 ? n & 0xff : 0))
      throw new CryptoError('malformed', `${what} is not canonical base64 (non-zero pad bits)`);
  }
  return out;
}

function sextet(n: number): string {
  return BASE64_ALPHABET.charAt(n & 63);
}

function value(text: string, index: number): number {
  const code = text.charCodeAt(index);
  return code === 61 /* '=' */ ? 0 : (DECODE_TABLE[code] ?? 0);
}

/** Constant-time comparison of two byte strings (the length is not secret). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
