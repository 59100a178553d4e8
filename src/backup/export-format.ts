/**
 * The encrypted export format, `matriz-export/v1` (docs/formats.md). All integers big-endian.
 *
 *   export  = "MATRIZ-EXPORT1\n" || u32 header_length || header
 *             || body
 *             || trailer || u32 trailer_length || "\nMATRIZ-EXPORT1-END\n"
 *   header  = RFC 8785 JSON: origin, tree size, root hash, the signed checkpoint, the first log
 *             key, and the recipients: each one's key id and the content key sealed to it
 *   body    = a MATRIZ-HPKE1 stream (src/crypto/hpke.ts) of the records, sealed to the content
 *             key (an ephemeral X-Wing key pair); the records themselves with `--plaintext`
 *   record  = u32 length || kind (1 byte) || bytes; kind "L" a leaf's bytes (in index order),
 *             "J" any other row as JSON, "E" the end, with the count of every record type
 *   trailer = RFC 8785 JSON {"envelope", "keys"}: a DSSE envelope signed by the log's current
 *             log keys (the public halves in "keys") over the SHA-256 of the header and the body
 *
 * The trailer sits at the end and says its own length, so a reader finds where the body ends
 * without reading it, and a truncated file has no trailer.
 */
import { base64Decode, base64Encode, concatBytes, utf8 } from '../crypto/encoding.js';
import type { SnapshotRecord } from '../store/store.js';

export const EXPORT_FORMAT = 'matriz-export/v1';
export const EXPORT_MAGIC = utf8('MATRIZ-EXPORT1\n');
export const EXPORT_END = utf8('\nMATRIZ-EXPORT1-END\n');
export const EXPORT_PAYLOAD_TYPE = 'application/vnd.matriz.export+json';
export const SEALED_SUITE = 'MATRIZ-HPKE1 x-wing hkdf-sha256 aes-256-gcm';
/** Headers and trailers are small; anything larger is not an export. */
export const MAX_FRAME_BYTES = 1 << 20;

export interface ExportRecipient {
  readonly keyid: string;
  /** MATRIZ-HPKE1 stream, base64: the content key's X-Wing seed sealed to this recipient. */
  readonly wrapped_key: string;
}

export interface ExportHeader {
  readonly format: typeof EXPORT_FORMAT;
  readonly origin: string;
  readonly tree_size: number;
  /** Base64 root hash of the exported tree (empty-tree hash for an empty log). */
  readonly root_hash: string;
  /** The signed note of the latest checkpoint, exactly as stored; null for an empty log. */
  readonly checkpoint: string | null;
  readonly exported_at: string;
  /** The data directory's first log key: it signs checkpoints before there is a trust root. */
  readonly first_log_key: { readonly ed25519: string; readonly ml_dsa_44: string };
  readonly encryption:
    | { readonly suite: typeof SEALED_SUITE; readonly recipients: readonly ExportRecipient[] }
    | { readonly suite: 'none' };
}

/** What the trailer's log key signatures cover. */
export interface ExportStatement {
  readonly format: typeof EXPORT_FORMAT;
  readonly origin: string;
  readonly tree_size: number;
  readonly root_hash: string;
  readonly header_sha256: string;
  readonly body_sha256: string;
}

export type RecordCounts = Readonly<Record<SnapshotRecord['type'], number>>;

export function u32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value);
  return bytes;
}

export function readU32(bytes: Uint8Array, offset = 0): number {
  return new DataView(bytes.buffer, bytes.byteOffset + offset, 4).getUint32(0);
}

/** One record's bytes. */
export function encodeRecord(record: SnapshotRecord): Uint8Array {
  if (record.type === 'leaf') return frame('L', record.data);
  return frame('J', utf8(JSON.stringify(recordToJson(record))));
}

export function encodeEnd(counts: RecordCounts): Uint8Array {
  return frame('E', utf8(JSON.stringify({ counts })));
}

function frame(kind: 'L' | 'J' | 'E', bytes: Uint8Array): Uint8Array {
  return concatBytes(u32(bytes.length + 1), utf8(kind), bytes);
}

function recordToJson(record: Exclude<SnapshotRecord, { type: 'leaf' }>): unknown {
  if (record.type === 'subtree')
    return {
      type: 'subtree',
      level: record.subtree.level,
      index: record.subtree.index,
      hash: base64Encode(record.subtree.hash),
    };
  return record;
}

export type DecodedRecord =
  | { readonly kind: 'record'; readonly record: SnapshotRecord }
  | { readonly kind: 'end'; readonly counts: RecordCounts };

/**
 * Splits a plaintext body into records. Leaves get consecutive indexes from 0; what a JSON record
 * says is checked for shape only (the restore checks meaning). Throws on any malformed frame.
 */
export async function* decodeRecords(
  chunks: AsyncIterable<Uint8Array>,
): AsyncGenerator<DecodedRecord> {
  let pending: Uint8Array = new Uint8Array(0);
  let leafIndex = 0;
  let ended = false;
  for await (const chunk of chunks) {
    pending = pending.length === 0 ? chunk : concatBytes(pending, chunk);
    let offset = 0;
    while (pending.length - offset >= 4) {
      const length = readU32(pending, offset);
      if (length < 1 || length > 64 * 1024 * 1024)
        throw new Error(`record length ${length} out of range`);
      if (pending.length - offset - 4 < length) break;
      const kind = String.fromCharCode(pending[offset + 4] ?? 0);
      const bytes = pending.slice(offset + 5, offset + 4 + length);
      offset += 4 + length;
      if (ended) throw new Error('records after the end record');
      if (kind === 'L')
        yield { kind: 'record', record: { type: 'leaf', index: leafIndex++, data: bytes } };
      else if (kind === 'J') yield { kind: 'record', record: recordFromJson(bytes) };
      else if (kind === 'E') {
        ended = true;
        yield {
          kind: 'end',
          counts: (JSON.parse(new TextDecoder().decode(bytes)) as { counts: RecordCounts }).counts,
        };
      } else throw new Error(`unknown record kind ${JSON.stringify(kind)}`);
    }
    pending = pending.subarray(offset);
  }
  if (pending.length > 0) throw new Error('the body ends inside a record');
  if (!ended) throw new Error('the body has no end record');
}

function recordFromJson(bytes: Uint8Array): SnapshotRecord {
  const value = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown> & {
    type?: unknown;
  };
  switch (value.type) {
    case 'subtree':
      return {
        type: 'subtree',
        subtree: {
          level: Number(value.level),
          index: Number(value.index),
          hash: base64Decode(String(value.hash), 'subtree hash'),
        },
      };
    case 'checkpoint':
    case 'trust-document':
    case 'enrolment':
    case 'entry':
    case 'nonce':
      return value as unknown as SnapshotRecord;
    default:
      throw new Error(`unknown record type ${JSON.stringify(value.type)}`);
  }
}

/**
 * Gathers small writes into parts of about `size` bytes, so that the HPKE stream rechunks a few
 * large parts instead of copying its buffer once per record.
 */
export async function* coalesce(
  parts: AsyncIterable<Uint8Array>,
  size: number,
): AsyncGenerator<Uint8Array> {
  let buffer = new Uint8Array(size);
  let used = 0;
  for await (const part of parts) {
    if (used + part.length > size && used > 0) {
      yield buffer.slice(0, used);
      used = 0;
    }
    if (part.length >= size) {
      yield part;
      continue;
    }
    buffer.set(part, used);
    used += part.length;
  }
  if (used > 0) yield buffer.slice(0, used);
  buffer = new Uint8Array(0);
}
