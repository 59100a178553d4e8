/**
 * The two kinds of note signature a checkpoint carries, and their key IDs:
 *
 * - Ed25519, signature type 0x01 (C2SP signed-note): signs the note text. Go's
 *   `golang.org/x/mod/sumdb/note` verifies it with the verifier key
 *   `<name>+<hex key ID>+<base64(0x01 || public key)>`.
 * - ML-DSA-44, signature type 0x06 (C2SP tlog-cosignature): signs the binary
 *   `cosigned_message` (label "subtree/v1\n\0", name, timestamp, origin, start 0, end = size,
 *   root hash); the signature is `u64 timestamp || ML-DSA-44 signature`, pure mode, empty context.
 *
 * key ID = SHA-256(key name || 0x0A || signature type || public key)[:4], big-endian.
 */
import { sha256 } from '../crypto/sha256.js';
import { base64Decode, base64Encode, concatBytes } from '../crypto/encoding.js';
import type { Checkpoint } from './checkpoint.js';
import { hex32, isValidKeyName, NoteError } from './note.js';

export const ED25519_NOTE_TYPE = 0x01;
export const ML_DSA_44_COSIGNATURE_TYPE = 0x06;
export const ED25519_PUBLIC_KEY_SIZE = 32;
export const ML_DSA_44_PUBLIC_KEY_SIZE = 1312;
export const ML_DSA_44_SIGNATURE_SIZE = 2420;

const encoder = new TextEncoder();

export function noteKeyId(name: string, type: number, publicKey: Uint8Array): number {
  const digest = sha256(
    concatBytes(encoder.encode(`${name}\n`), new Uint8Array([type]), publicKey),
  );
  return new DataView(digest.buffer, digest.byteOffset).getUint32(0);
}

/** The Go `sumdb/note` verifier key string for an Ed25519 note key. */
export function ed25519VerifierKey(name: string, publicKey: Uint8Array): string {
  if (!isValidKeyName(name))
    throw new NoteError('invalid-key', `invalid key name ${JSON.stringify(name)}`);
  if (publicKey.length !== ED25519_PUBLIC_KEY_SIZE)
    throw new NoteError('invalid-key', 'Ed25519 public key must be 32 bytes');
  const keyId = noteKeyId(name, ED25519_NOTE_TYPE, publicKey);
  return `${name}+${hex32(keyId)}+${base64Encode(concatBytes(new Uint8Array([ED25519_NOTE_TYPE]), publicKey))}`;
}

/** Parses a Go `sumdb/note` verifier key string for an Ed25519 key, checking its key ID. */
export function parseEd25519VerifierKey(vkey: string): { name: string; publicKey: Uint8Array } {
  // The base64 key may itself contain '+': split at the first two only, as Go does.
  const first = vkey.indexOf('+');
  const second = vkey.indexOf('+', first + 1);
  const name = vkey.slice(0, first);
  const hash = vkey.slice(first + 1, second);
  const key = vkey.slice(second + 1);
  if (first < 0 || second < 0 || !isValidKeyName(name) || !/^[0-9a-f]{8}$/.test(hash)) {
    throw new NoteError(
      'invalid-key',
      'verifier key must look like <name>+<8 hex digits>+<base64 key>',
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = base64Decode(key, 'verifier key');
  } catch {
    throw new NoteError('invalid-key', 'verifier key: the key after the second "+" is not base64');
  }
  if (bytes.length !== 1 + ED25519_PUBLIC_KEY_SIZE || bytes[0] !== ED25519_NOTE_TYPE) {
    throw new NoteError('invalid-key', 'verifier key is not an Ed25519 (type 0x01) key');
  }
  const publicKey = bytes.subarray(1);
  if (hex32(noteKeyId(name, ED25519_NOTE_TYPE, publicKey)) !== hash)
    throw new NoteError('invalid-key', 'verifier key ID does not match its key');
  return { name, publicKey };
}

/** The ML-DSA-44 cosigned_message for a checkpoint (C2SP tlog-cosignature, "ML-DSA-44 signed message"). */
export function mlDsa44CosignedMessage(
  name: string,
  timestamp: bigint,
  checkpoint: Checkpoint,
): Uint8Array {
  const nameBytes = encoder.encode(name);
  const originBytes = encoder.encode(checkpoint.origin);
  if (
    nameBytes.length < 1 ||
    nameBytes.length > 255 ||
    originBytes.length < 1 ||
    originBytes.length > 255
  ) {
    throw new NoteError('malformed', 'cosigner name and origin must be 1 to 255 bytes');
  }
  const label = encoder.encode('subtree/v1\n\0');
  const message = new Uint8Array(
    label.length + 1 + nameBytes.length + 8 + 1 + originBytes.length + 8 + 8 + 32,
  );
  const view = new DataView(message.buffer);
  let offset = 0;
  const put = (bytes: Uint8Array): void => {
    message.set(bytes, offset);
    offset += bytes.length;
  };
  put(label);
  view.setUint8(offset++, nameBytes.length);
  put(nameBytes);
  view.setBigUint64(offset, timestamp);
  offset += 8;
  view.setUint8(offset++, originBytes.length);
  put(originBytes);
  view.setBigUint64(offset, 0n);
  offset += 8;
  view.setBigUint64(offset, BigInt(checkpoint.size));
  offset += 8;
  put(checkpoint.rootHash);
  return message;
}
