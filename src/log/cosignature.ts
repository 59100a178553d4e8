/**
 * Witness cosignatures (C2SP tlog-cosignature) and witness policies.
 *
 * A witness cosigns a checkpoint it has checked to be consistent with every earlier one it saw
 * from that log (C2SP tlog-witness). Its signature line is a signed-note line of one of the two
 * types the spec defines, each `u64 timestamp || signature`:
 *
 * - Ed25519, type 0x04 (`cosignature/v1`): the key ID is SHA-256(name || 0x0A || 0x04 || public
 *   key)[:4], the signature is over `cosignature/v1\ntime <timestamp>\n<checkpoint text>`;
 * - ML-DSA-44, type 0x06 (`subtree/v1`, what the spec recommends for new deployments: secure
 *   against quantum computers, and it commits to the witness's name): the key ID is
 *   SHA-256(name || 0x0A || 0x06 || public key)[:4], the signature (FIPS 204 pure mode, empty
 *   context) is over the binary `cosigned_message` (note-keys.ts), the one the log signs its own
 *   checkpoints with.
 *
 * A witness's verifier key is written like a note key: `<name>+<hex key ID>+<base64(type ||
 * public key)>`, its type told by its length (32 bytes Ed25519, 1312 ML-DSA-44). A client's
 * witness policy names witnesses by verifier key and how many of them must have cosigned (k of
 * n): a log that shows different trees to different people cannot get both cosigned by the same
 * honest witnesses.
 */
import { base64Decode, base64Encode, concatBytes } from '../crypto/encoding.js';
import { parseCheckpoint, type Checkpoint } from './checkpoint.js';
import type { SignatureVerifier } from './checkpoint-signature.js';
import { hex32, isValidKeyName, NoteError, type Note, type NoteSignature } from './note.js';
import { mlDsa44CosignedMessage, noteKeyId } from './note-keys.js';

export const COSIGNATURE_V1_TYPE = 0x04;
export const ML_DSA_44_COSIGNATURE_TYPE = 0x06;
const ML_DSA_44_PUBLIC_KEY_SIZE = 1312;
const ML_DSA_44_SIGNATURE_SIZE = 2420;
/** Witnesses a policy may name (a signed note holds at most 16 signature lines). */
export const MAX_WITNESSES = 10;
const ED25519_PUBLIC_KEY_SIZE = 32;
const ED25519_SIGNATURE_SIZE = 64;
const encoder = new TextEncoder();

export type WitnessAlgorithm = 'ed25519' | 'ml-dsa-44';

/** A witness's cosigning key, as a verifier knows it. */
export interface WitnessKey {
  readonly name: string;
  readonly algorithm: WitnessAlgorithm;
  readonly keyId: number;
  readonly publicKey: Uint8Array;
  /** Its verifier key string. */
  readonly vkey: string;
}

/** The signature verifiers cosignatures need: ML-DSA-44 only for ML-DSA-44 witnesses. */
export interface WitnessSuites {
  readonly ed25519: SignatureVerifier;
  readonly mlDsa44?: SignatureVerifier;
}

function algorithmOf(publicKey: Uint8Array): WitnessAlgorithm {
  if (publicKey.length === ED25519_PUBLIC_KEY_SIZE) return 'ed25519';
  if (publicKey.length === ML_DSA_44_PUBLIC_KEY_SIZE) return 'ml-dsa-44';
  throw new NoteError(
    'invalid-key',
    `a witness key is a 32-byte Ed25519 or a 1312-byte ML-DSA-44 public key, not ${publicKey.length} bytes`,
  );
}

const TYPE_OF = { ed25519: COSIGNATURE_V1_TYPE, 'ml-dsa-44': ML_DSA_44_COSIGNATURE_TYPE } as const;

/** The message a witness signs for `text` (a checkpoint's note text) at `timestamp`. */
export function cosignatureV1Message(text: string, timestamp: number): Uint8Array {
  return encoder.encode(`cosignature/v1\ntime ${timestamp}\n${text}`);
}

/** The verifier key string of a witness's cosigning key (Ed25519 or ML-DSA-44, by its length). */
export function witnessVerifierKey(name: string, publicKey: Uint8Array): string {
  if (!isValidKeyName(name))
    throw new NoteError('invalid-key', `invalid witness name ${JSON.stringify(name)}`);
  const type = TYPE_OF[algorithmOf(publicKey)];
  const keyId = noteKeyId(name, type, publicKey);
  return `${name}+${hex32(keyId)}+${base64Encode(concatBytes(new Uint8Array([type]), publicKey))}`;
}

/** Parses a witness verifier key, checking its type (0x04) and key ID. Throws NoteError. */
export function parseWitnessVerifierKey(vkey: string): WitnessKey {
  const first = vkey.indexOf('+');
  const second = vkey.indexOf('+', first + 1);
  const name = vkey.slice(0, first);
  const id = vkey.slice(first + 1, second);
  if (first < 0 || second < 0 || !isValidKeyName(name) || !/^[0-9a-f]{8}$/.test(id))
    throw new NoteError(
      'invalid-key',
      `witness key ${JSON.stringify(vkey.slice(0, 80))} is not <name>+<8 hex digits>+<base64 key>`,
    );
  let bytes: Uint8Array;
  try {
    bytes = base64Decode(vkey.slice(second + 1), 'witness key');
  } catch {
    throw new NoteError('invalid-key', `witness key of ${name}: the key is not base64`);
  }
  const publicKey = bytes.subarray(1);
  const algorithm =
    bytes[0] === COSIGNATURE_V1_TYPE && publicKey.length === ED25519_PUBLIC_KEY_SIZE
      ? 'ed25519'
      : bytes[0] === ML_DSA_44_COSIGNATURE_TYPE && publicKey.length === ML_DSA_44_PUBLIC_KEY_SIZE
        ? 'ml-dsa-44'
        : undefined;
  if (algorithm === undefined)
    throw new NoteError(
      'invalid-key',
      `witness key of ${name} is neither an Ed25519 cosignature/v1 (type 0x04) nor an ML-DSA-44 (type 0x06) key`,
    );
  const keyId = noteKeyId(name, TYPE_OF[algorithm], publicKey);
  if (hex32(keyId) !== id)
    throw new NoteError('invalid-key', `witness key of ${name}: its key ID does not match its key`);
  return { name, algorithm, keyId, publicKey, vkey };
}

/** What a witness of `algorithm` signs for checkpoint `text` at `timestamp`. */
function signedMessage(
  algorithm: WitnessAlgorithm,
  name: string,
  text: string,
  timestamp: number,
): Uint8Array {
  return algorithm === 'ed25519'
    ? cosignatureV1Message(text, timestamp)
    : mlDsa44CosignedMessage(name, BigInt(timestamp), parseCheckpoint(text));
}

/**
 * A cosignature line for checkpoint `text`: what a witness adds to the note. Its type follows
 * the key (Ed25519 or ML-DSA-44, by its length).
 */
export function cosign(
  text: string,
  name: string,
  publicKey: Uint8Array,
  timestamp: number,
  sign: (message: Uint8Array) => Uint8Array,
): NoteSignature {
  const algorithm = algorithmOf(publicKey);
  const signature = sign(signedMessage(algorithm, name, text, timestamp));
  const bytes = new Uint8Array(8 + signature.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(timestamp));
  bytes.set(signature, 8);
  return { name, keyId: noteKeyId(name, TYPE_OF[algorithm], publicKey), signature: bytes };
}

/**
 * The time `witness` cosigned `note`, or undefined when the note has no line of that key.
 * A line of the key that does not verify throws NoteError `bad-signature`: a note carrying a
 * forged cosignature is refused whole, as a forged log signature is.
 */
export function cosignedAt(
  note: Note,
  witness: WitnessKey,
  suites: WitnessSuites,
): number | undefined {
  const line = note.signatures.find((s) => s.name === witness.name && s.keyId === witness.keyId);
  if (line === undefined) return undefined;
  const bytes = line.signature;
  const size = witness.algorithm === 'ed25519' ? ED25519_SIGNATURE_SIZE : ML_DSA_44_SIGNATURE_SIZE;
  if (bytes.length !== 8 + size)
    throw new NoteError('bad-signature', `the cosignature of witness ${witness.name} is malformed`);
  const timestamp = new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0);
  if (timestamp > BigInt(Number.MAX_SAFE_INTEGER))
    throw new NoteError('bad-signature', `the cosignature of witness ${witness.name} is malformed`);
  const verifier = witness.algorithm === 'ed25519' ? suites.ed25519 : suites.mlDsa44;
  if (verifier === undefined)
    throw new NoteError(
      'invalid-key',
      `witness ${witness.name} cosigns with ML-DSA-44, and no ML-DSA-44 verifier was given`,
    );
  if (
    !verifier.verify(
      bytes.subarray(8),
      signedMessage(witness.algorithm, witness.name, note.text, Number(timestamp)),
      witness.publicKey,
    )
  )
    throw new NoteError(
      'bad-signature',
      `the cosignature of witness ${witness.name} does not verify`,
    );
  return Number(timestamp);
}

/** Which witnesses must have cosigned a checkpoint for a client to accept it. */
export interface WitnessPolicy {
  readonly witnesses: readonly (WitnessKey & { readonly url?: string })[];
  /** How many of them, at least 1. */
  readonly threshold: number;
}

/**
 * A witness policy file (docs/api.md, Witnesses):
 * `{"threshold": k, "witnesses": [{"vkey": "<witness verifier key>", "url": "http://..."}]}`;
 * `url` is where a log asks the witness to cosign, and clients ignore it. Throws an Error saying
 * what is wrong.
 */
export function parseWitnessPolicy(value: unknown): WitnessPolicy {
  const record = value as { threshold?: unknown; witnesses?: unknown } | null;
  if (typeof record !== 'object' || record === null || Array.isArray(record))
    throw new Error('a witness policy is a JSON object {"threshold", "witnesses"}');
  if (!Array.isArray(record.witnesses) || record.witnesses.length === 0)
    throw new Error('"witnesses" must be a non-empty list of {"vkey", "url"}');
  // A note holds at most 16 signature lines: the log's (4 during a key rotation) and these.
  if (record.witnesses.length > MAX_WITNESSES)
    throw new Error(`a witness policy names at most ${MAX_WITNESSES} witnesses`);
  const witnesses = record.witnesses.map((item: unknown, i) => {
    const entry = item as { vkey?: unknown; url?: unknown } | null;
    if (typeof entry !== 'object' || entry === null || typeof entry.vkey !== 'string')
      throw new Error(`witnesses[${i}] must be an object with a "vkey" string`);
    if (
      entry.url !== undefined &&
      (typeof entry.url !== 'string' || !/^https?:\/\//.test(entry.url))
    )
      throw new Error(`witnesses[${i}].url must be an http(s) URL`);
    let key: WitnessKey;
    try {
      key = parseWitnessVerifierKey(entry.vkey);
    } catch (error) {
      throw new Error(`witnesses[${i}].vkey: ${(error as Error).message}`);
    }
    return entry.url === undefined ? key : { ...key, url: entry.url };
  });
  const names = new Set(witnesses.map((w) => `${w.name}+${hex32(w.keyId)}`));
  if (names.size !== witnesses.length) throw new Error('"witnesses" names a witness key twice');
  const { threshold } = record;
  if (
    typeof threshold !== 'number' ||
    !Number.isInteger(threshold) ||
    threshold < 1 ||
    threshold > witnesses.length
  )
    throw new Error(`"threshold" must be an integer from 1 to ${witnesses.length}`);
  return { witnesses, threshold };
}

/**
 * Checks that at least `policy.threshold` of its witnesses cosigned `note` (whose log signature
 * the caller has verified). Returns the names of those that did; throws NoteError `unverified`
 * saying how many did, and `bad-signature` for a forged cosignature.
 */
export function checkWitnessPolicy(
  note: Note,
  checkpoint: Checkpoint,
  policy: WitnessPolicy,
  suites: WitnessSuites,
): string[] {
  const cosigned = policy.witnesses.filter(
    (witness) => cosignedAt(note, witness, suites) !== undefined,
  );
  if (cosigned.length < policy.threshold)
    throw new NoteError(
      'unverified',
      `the checkpoint of size ${checkpoint.size} is cosigned by ${cosigned.length} of the witnesses the policy names (${cosigned.map((w) => w.name).join(', ') || 'none'}); it requires ${policy.threshold}`,
    );
  return cosigned.map((witness) => witness.name);
}
