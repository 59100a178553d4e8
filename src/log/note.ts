/**
 * Signed notes, C2SP signed-note v1: text ending in a newline, a blank line, then one or more
 * signature lines `— <key name> base64(key ID || signature)`.
 *
 * This module only splits and joins notes; which signatures matter and how they verify is the
 * caller's policy (checkpoint-signature.ts). Parsing is strict about the format and capped in
 * size, and tolerant of signature lines from keys it does not know, as the spec requires.
 */
import { base64Decode, base64Encode } from '../crypto/encoding.js';

export interface NoteSignature {
  readonly name: string;
  /** The 32-bit key ID, big-endian, from the first four signature bytes. */
  readonly keyId: number;
  /** The signature bytes after the key ID. */
  readonly signature: Uint8Array;
}

export interface Note {
  /** The signed text, including its final newline. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

/** Why a note (or a note verifier key) was refused; stable, for programs and tests. */
export type NoteErrorCode =
  /** Not a signed note: no blank line before the signatures, a bad signature line, a control
   * character, invalid UTF-8, text not ending in a newline, an invalid key name. */
  | 'malformed'
  /** Over MAX_NOTE_BYTES bytes or MAX_NOTE_SIGNATURES signature lines. */
  | 'too-large'
  /** A verifier key that is not `<name>+<8 hex digits>+<base64(0x01 || 32-byte key)>` with a
   * matching key ID, or a public key of the wrong length. */
  | 'invalid-key'
  /** Two verifier keys of a key set share a name and key ID, and a line names them. */
  | 'ambiguous-key'
  /** A signature line of a known key does not verify (the whole note is refused). */
  | 'bad-signature'
  /** Fewer known keys signed than the threshold (lines from unknown keys are ignored). */
  | 'unverified';

export class NoteError extends Error {
  override readonly name = 'NoteError';
  readonly code: NoteErrorCode;

  constructor(code: NoteErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Limits a verifier applies before doing any work (the spec asks for some; PQ signatures are big). */
export const MAX_NOTE_BYTES = 1 << 16;
export const MAX_NOTE_SIGNATURES = 16;

const EM_DASH_PREFIX = '\u2014 ';
const encoder = new TextEncoder();

/** Whether `name` is a valid key name: non-empty, no Unicode spaces, no `+`. */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name);
}

export function formatNote(note: Note): string {
  checkText(note.text);
  if (note.signatures.length === 0)
    throw new NoteError('malformed', 'a signed note needs at least one signature');
  return `${note.text}\n${note.signatures.map(formatSignatureLine).join('')}`;
}

/** One signature line, `— <name> <base64(key ID || signature)>` and its newline. */
export function formatSignatureLine({ name, keyId, signature }: NoteSignature): string {
  if (!isValidKeyName(name))
    throw new NoteError('malformed', `invalid key name ${JSON.stringify(name)}`);
  const bytes = new Uint8Array(4 + signature.length);
  new DataView(bytes.buffer).setUint32(0, keyId >>> 0);
  bytes.set(signature, 4);
  return `${EM_DASH_PREFIX}${name} ${base64Encode(bytes)}\n`;
}

/**
 * Splits a signed note into its text and signatures. Bytes must be UTF-8. Throws NoteError:
 * `too-large` over `maxBytes` or MAX_NOTE_SIGNATURES lines, `malformed` for anything else.
 */
export function parseNote(input: string | Uint8Array, maxBytes = MAX_NOTE_BYTES): Note {
  const size = typeof input === 'string' ? encoder.encode(input).length : input.length;
  if (size > maxBytes) throw new NoteError('too-large', `note is larger than ${maxBytes} bytes`);
  const note = typeof input === 'string' ? input : decodeUtf8(input);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0009\u000b-\u001f]/.test(note))
    throw new NoteError('malformed', 'note contains a control character other than newline');
  if (/\p{Surrogate}/u.test(note)) throw new NoteError('malformed', 'note is not valid UTF-8');
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n'))
    throw new NoteError('malformed', 'note has no blank line before its signatures');
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES)
    throw new NoteError('too-large', `note has more than ${MAX_NOTE_SIGNATURES} signatures`);
  // Repeated lines of one key (name and key ID) are kept: a verifier uses the first and ignores
  // the rest, as Go's sumdb/note does (Open: "Drop repeated signatures by a single verifier").
  const signatures = lines.map((line, i) => parseSignatureLine(line, i + 1));
  return { text, signatures };
}

function parseSignatureLine(line: string, position: number): NoteSignature {
  if (!line.startsWith(EM_DASH_PREFIX))
    throw new NoteError('malformed', `signature line ${position} does not start with "— "`);
  const rest = line.slice(EM_DASH_PREFIX.length);
  const space = rest.indexOf(' ');
  const name = rest.slice(0, space);
  if (space < 0 || !isValidKeyName(name))
    throw new NoteError('malformed', `signature line ${position} has no valid key name`);
  let bytes: Uint8Array;
  try {
    bytes = base64Decode(rest.slice(space + 1), 'signature');
  } catch {
    throw new NoteError('malformed', `signature line ${position} is not base64`);
  }
  if (bytes.length < 5) throw new NoteError('malformed', `signature line ${position} is too short`);
  const keyId = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0);
  return { name, keyId, signature: bytes.subarray(4) };
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new NoteError('malformed', 'note is not valid UTF-8');
  }
}

function checkText(text: string): void {
  if (!text.endsWith('\n')) throw new NoteError('malformed', 'note text must end with a newline');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0009\u000b-\u001f]/.test(text))
    throw new NoteError('malformed', 'note text contains a control character');
}

export function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}
