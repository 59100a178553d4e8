/**
 * Encryption to a recipient's public key for encrypted exports: HPKE (RFC 9180) in base mode
 * with the hybrid post-quantum KEM X-Wing (draft-connolly-cfrg-xwing-kem: ML-KEM-768 + X25519,
 * KEM id 0x647a), HKDF-SHA256 and AES-256-GCM, over a stream of fixed-size chunks.
 *
 * Stream format (`MATRIZ-HPKE1`), all integers big-endian:
 *
 *   header  = "MATRIZ-HPKE1" || kem_id (u16) || kdf_id (u16) || aead_id (u16)
 *             || chunk_size (u32) || enc_length (u16) || enc
 *   record* = length (u32) || AEAD ciphertext of one chunk
 *
 * Every chunk is sealed in the one HPKE context (RFC 9180, section 5.2: the sequence number
 * makes each nonce unique and detects reordering or dropped records), with additional data
 * `header || final`, where `final` is 1 on the last chunk and 0 otherwise (the STREAM
 * construction of Hoang, Reyhanitabar, Rogaway and Vizár): a truncated stream or one with records
 * appended after the final chunk fails to open. An empty plaintext is one empty final chunk.
 */
import { Aes256Gcm, CipherSuite, HkdfSha256 } from '@hpke/core';
import { XWing } from '@hpke/hybridkem-x-wing';
import { concatBytes, utf8 } from './encoding.js';
import { CryptoError } from './errors.js';

const MAGIC = utf8('MATRIZ-HPKE1');
const INFO = utf8('matriz encrypted export v1');
export const DEFAULT_CHUNK_SIZE = 64 * 1024;
const MAX_CHUNK_SIZE = 16 * 1024 * 1024;
const TAG_LENGTH = 16;

export interface HpkeKeyPair {
  /** X-Wing encapsulation key, 1216 bytes. */
  readonly publicKey: Uint8Array;
  /** X-Wing decapsulation key (its 32-byte seed). */
  readonly privateKey: Uint8Array;
}

function cipherSuite(): CipherSuite {
  return new CipherSuite({ kem: new XWing(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });
}

/** A recipient key pair, from fresh randomness or derived from `ikm` (RFC 9180, DeriveKeyPair). */
export async function generateHpkeKeyPair(ikm?: Uint8Array): Promise<HpkeKeyPair> {
  const suite = cipherSuite();
  const pair = ikm ? await suite.kem.deriveKeyPair(ikm) : await suite.kem.generateKeyPair();
  return {
    publicKey: new Uint8Array(await suite.kem.serializePublicKey(pair.publicKey)),
    privateKey: new Uint8Array(await suite.kem.serializePrivateKey(pair.privateKey)),
  };
}

/** The X-Wing key pair whose decapsulation key is the 32-byte `seed` (draft-connolly-cfrg-xwing-kem, section 5.2). */
export async function hpkeKeyPairFromSeed(seed: Uint8Array): Promise<HpkeKeyPair> {
  if (seed.length !== 32) throw new CryptoError('invalid-key', 'an X-Wing seed is 32 bytes');
  const kem = new XWing();
  const pair = await kem.generateKeyPairDerand(seed);
  return {
    publicKey: new Uint8Array(await kem.serializePublicKey(pair.publicKey)),
    privateKey: new Uint8Array(await kem.serializePrivateKey(pair.privateKey)),
  };
}

type Source = Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** Encrypts `plaintext` to `recipientPublicKey`, yielding the header, then one record per chunk. */
export async function* hpkeSeal(
  recipientPublicKey: Uint8Array,
  plaintext: Source,
  options: { chunkSize?: number } = {},
): AsyncGenerator<Uint8Array> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_CHUNK_SIZE)
    throw new CryptoError('invalid-argument', `chunk size must be 1..${MAX_CHUNK_SIZE} bytes`);
  const suite = cipherSuite();
  let publicKey;
  try {
    publicKey = await suite.kem.deserializePublicKey(recipientPublicKey);
  } catch (error) {
    throw new CryptoError('invalid-key', 'not an X-Wing public key (1216 bytes expected)', {
      cause: error,
    });
  }
  const sender = await suite.createSenderContext({ recipientPublicKey: publicKey, info: INFO });
  const enc = new Uint8Array(sender.enc);
  const header = concatBytes(
    MAGIC,
    u16(suite.kem.id),
    u16(suite.kdf.id),
    u16(suite.aead.id),
    u32(chunkSize),
    u16(enc.length),
    enc,
  );
  yield header;
  const seal = async (chunk: Uint8Array, final: boolean): Promise<Uint8Array> => {
    const sealed = new Uint8Array(
      await sender.seal(chunk, concatBytes(header, Uint8Array.of(final ? 1 : 0))),
    );
    return concatBytes(u32(sealed.length), sealed);
  };
  // Hold one full chunk back so that the last one can be marked final.
  let pending: Uint8Array | undefined;
  for await (const chunk of rechunk(plaintext, chunkSize)) {
    if (pending) yield await seal(pending, false);
    pending = chunk;
  }
  yield await seal(pending ?? new Uint8Array(0), true);
}

/** Decrypts an `hpkeSeal` stream with the recipient's private key, yielding the plaintext chunks. */
export async function* hpkeOpen(
  recipientPrivateKey: Uint8Array,
  ciphertext: Source,
): AsyncGenerator<Uint8Array> {
  const reader = new ByteReader(ciphertext);
  const fixed = await reader.read(MAGIC.length + 12);
  if (fixed.length < MAGIC.length + 12 || !startsWith(fixed, MAGIC))
    throw new CryptoError('malformed', 'not a MATRIZ-HPKE1 stream');
  const view = new DataView(fixed.buffer, fixed.byteOffset + MAGIC.length);
  const suite = cipherSuite();
  if (
    view.getUint16(0) !== suite.kem.id ||
    view.getUint16(2) !== suite.kdf.id ||
    view.getUint16(4) !== suite.aead.id
  )
    throw new CryptoError(
      'malformed',
      'unsupported HPKE suite (expected X-Wing, HKDF-SHA256, AES-256-GCM)',
    );
  const chunkSize = view.getUint32(6);
  if (chunkSize < 1 || chunkSize > MAX_CHUNK_SIZE)
    throw new CryptoError('malformed', 'chunk size out of range');
  const enc = await reader.read(view.getUint16(10));
  const header = concatBytes(fixed, enc);
  let recipient;
  try {
    const privateKey = await suite.kem.deserializePrivateKey(recipientPrivateKey);
    recipient = await suite.createRecipientContext({ recipientKey: privateKey, enc, info: INFO });
  } catch (error) {
    throw new CryptoError('decryption-failed', 'cannot decapsulate: wrong key or damaged header', {
      cause: error,
    });
  }
  for (;;) {
    const lengthBytes = await reader.read(4);
    if (lengthBytes.length < 4)
      throw new CryptoError('decryption-failed', 'stream truncated: the final chunk is missing');
    const length = new DataView(lengthBytes.buffer, lengthBytes.byteOffset).getUint32(0);
    if (length < TAG_LENGTH || length > chunkSize + TAG_LENGTH)
      throw new CryptoError('malformed', `record length ${length} out of range`);
    const record = await reader.read(length);
    if (record.length < length)
      throw new CryptoError('decryption-failed', 'stream truncated inside a record');
    const final = (await reader.atEnd()) ? 1 : 0;
    let chunk: Uint8Array;
    try {
      chunk = new Uint8Array(
        await recipient.open(record, concatBytes(header, Uint8Array.of(final))),
      );
    } catch (error) {
      throw new CryptoError(
        'decryption-failed',
        final
          ? 'decryption failed: wrong key, modified data, or a truncated stream'
          : 'decryption failed: wrong key, modified data, or records after the final chunk',
        { cause: error },
      );
    }
    yield chunk;
    if (final) return;
  }
}

/** Collects an async byte stream (e.g. `hpkeSeal` output) into one array. */
export async function collectBytes(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  return concatBytes(...parts);
}

async function* rechunk(source: Source, size: number): AsyncGenerator<Uint8Array> {
  let buffer: Uint8Array = new Uint8Array(0);
  const parts = source instanceof Uint8Array ? [source] : source;
  for await (const part of parts) {
    buffer = buffer.length === 0 ? part : concatBytes(buffer, part);
    while (buffer.length >= size) {
      yield buffer.slice(0, size);
      buffer = buffer.subarray(size);
    }
  }
  if (buffer.length > 0) yield buffer.slice();
}

/** Reads exact byte counts from a stream of arbitrarily split parts. */
class ByteReader {
  private readonly iterator: AsyncIterator<Uint8Array> | Iterator<Uint8Array>;
  private buffer: Uint8Array = new Uint8Array(0);
  private done = false;

  constructor(source: Source) {
    const iterable = source instanceof Uint8Array ? [source] : source;
    this.iterator =
      Symbol.asyncIterator in iterable
        ? iterable[Symbol.asyncIterator]()
        : (iterable as Iterable<Uint8Array>)[Symbol.iterator]();
  }

  /** Up to `length` bytes; fewer only at the end of the stream. */
  async read(length: number): Promise<Uint8Array> {
    while (this.buffer.length < length && (await this.fill()));
    const out = this.buffer.slice(0, length);
    this.buffer = this.buffer.subarray(out.length);
    return out;
  }

  async atEnd(): Promise<boolean> {
    while (this.buffer.length === 0 && (await this.fill()));
    return this.buffer.length === 0;
  }

  private async fill(): Promise<boolean> {
    if (this.done) return false;
    const next = await this.iterator.next();
    if (next.done) {
      this.done = true;
      return false;
    }
    this.buffer = concatBytes(this.buffer, next.value);
    return true;
  }
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return prefix.every((byte, i) => bytes[i] === byte);
}

function u16(value: number): Uint8Array {
  return Uint8Array.of(value >> 8, value & 0xff);
}

function u32(value: number): Uint8Array {
  return Uint8Array.of(value >>> 24, (value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff);
}
