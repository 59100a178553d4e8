/**
 * Signed notes under a set of Ed25519 note keys with a threshold (C2SP signed-note, signature
 * type 0x01): what Go's `golang.org/x/mod/sumdb/note` Open checks, so a witness or any other
 * party that signs with a Go note key can be checked here. Same rules as Go: lines from unknown
 * keys are ignored, the first line of a known key decides (repeats are dropped), a line of a
 * known key that does not verify refuses the whole note, a line naming two keys of the set is
 * ambiguous.
 */
import { hex32, NoteError, parseNote, type NoteSignature } from '../log/note.js';
import { ED25519_NOTE_TYPE, noteKeyId, parseEd25519VerifierKey } from '../log/note-keys.js';
import type { SignatureVerifier } from '../log/checkpoint-signature.js';

export interface NoteKeySet {
  /** Go verifier keys, `<name>+<8 hex digits>+<base64(0x01 || Ed25519 public key)>`. */
  readonly keys: readonly string[];
  /** Distinct keys of the set that must have signed; default 1 (Go's rule). */
  readonly threshold?: number;
}

export interface VerifiedNote {
  /** The signed text, including its final newline. */
  readonly text: string;
  /** Lines of keys in the set that verified, one per key, in note order. */
  readonly verified: readonly NoteSignature[];
  /** Lines of keys not in the set (repeats of an identical line dropped), in note order. */
  readonly unverified: readonly NoteSignature[];
}

/**
 * Verifies `note` (a string, or UTF-8 bytes) under `keySet`. Throws NoteError: `invalid-key`
 * (a key of the set), `malformed`, `too-large`, `ambiguous-key`, `bad-signature`,
 * `unverified` (fewer than the threshold of keys signed).
 */
export function verifyNote(
  note: string | Uint8Array,
  keySet: NoteKeySet,
  ed25519: SignatureVerifier,
): VerifiedNote {
  const threshold = keySet.threshold ?? 1;
  if (!Number.isSafeInteger(threshold) || threshold < 1)
    throw new NoteError('unverified', `the note key set's threshold ${threshold} is not >= 1`);
  const keys = keySet.keys.map((vkey) => {
    const { name, publicKey } = parseEd25519VerifierKey(vkey);
    return { name, publicKey, keyId: noteKeyId(name, ED25519_NOTE_TYPE, publicKey) };
  });
  const parsed = parseNote(note);
  const message = new TextEncoder().encode(parsed.text);
  const verified: NoteSignature[] = [];
  const unverified: NoteSignature[] = [];
  const seen = new Set<string>();
  const seenUnknown = new Set<string>();
  for (const line of parsed.signatures) {
    const id = `${line.name}+${hex32(line.keyId)}`;
    const matches = keys.filter((k) => k.name === line.name && k.keyId === line.keyId);
    const key = matches[0];
    if (key === undefined) {
      const whole = `${id} ${Array.from(line.signature).join(',')}`;
      if (!seenUnknown.has(whole)) unverified.push(line);
      seenUnknown.add(whole);
      continue;
    }
    if (matches.length > 1)
      throw new NoteError('ambiguous-key', `the key set lists key ${id} more than once`);
    if (seen.has(id)) continue;
    seen.add(id);
    if (!ed25519.verify(line.signature, message, key.publicKey))
      throw new NoteError('bad-signature', `the signature of key ${id} does not verify`);
    verified.push(line);
  }
  if (verified.length < threshold)
    throw new NoteError(
      'unverified',
      `the note is signed by ${verified.length} of the required ${threshold} keys of the set (lines by other keys are ignored: ${unverified.length})`,
    );
  return { text: parsed.text, verified, unverified };
}
