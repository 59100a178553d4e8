import { describe, expect, it } from 'vitest';
import { collectBytes, generateHpkeKeyPair, hpkeOpen, hpkeSeal } from '../../src/crypto/hpke.js';

const data = crypto.getRandomValues(new Uint8Array(10_000));

async function* split(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) {
    await Promise.resolve();
    yield bytes.subarray(i, i + size);
  }
}

describe('HPKE (RFC 9180) with X-Wing and AES-256-GCM, streamed', () => {
  it('round-trips data of many sizes, whatever the input and output splits', async () => {
    const { publicKey, privateKey } = await generateHpkeKeyPair();
    expect(publicKey).toHaveLength(1216);
    expect(privateKey).toHaveLength(32);
    for (const length of [0, 1, 999, 1000, 1001, 10_000]) {
      const plaintext = data.subarray(0, length);
      const sealed = await collectBytes(
        hpkeSeal(publicKey, split(plaintext, 333), { chunkSize: 1000 }),
      );
      // Header, then ceil(length / 1000) records (at least one) of length + 16-byte tag each.
      const records = Math.max(1, Math.ceil(length / 1000));
      expect(sealed.length).toBe(12 + 12 + 1120 + records * (4 + 16) + length);
      const opened = await collectBytes(hpkeOpen(privateKey, split(sealed, 77)));
      expect(opened).toEqual(plaintext);
    }
  });

  it('derives the same recipient key pair from the same input keying material', async () => {
    const ikm = new Uint8Array(32).fill(5);
    const a = await generateHpkeKeyPair(ikm);
    const b = await generateHpkeKeyPair(ikm);
    expect(a.publicKey).toEqual(b.publicKey);
    const sealed = await collectBytes(hpkeSeal(a.publicKey, data));
    expect(await collectBytes(hpkeOpen(b.privateKey, sealed))).toEqual(data);
  });

  it('refuses a wrong key, a flipped bit, reordered, dropped, truncated or appended records', async () => {
    const { publicKey, privateKey } = await generateHpkeKeyPair();
    const other = await generateHpkeKeyPair();
    const parts: Uint8Array[] = [];
    for await (const part of hpkeSeal(publicKey, data, { chunkSize: 4000 })) parts.push(part);
    expect(parts).toHaveLength(4); // header + 3 records
    const [header, r1, r2, r3] = parts as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    const open = (key: Uint8Array, ...pieces: Uint8Array[]) => collectBytes(hpkeOpen(key, pieces));

    await expect(open(other.privateKey, header, r1, r2, r3)).rejects.toMatchObject({
      code: 'decryption-failed',
    });
    const flipped = Uint8Array.from(r2);
    flipped[10] = (flipped[10] ?? 0) ^ 1;
    await expect(open(privateKey, header, r1, flipped, r3)).rejects.toThrow(/modified data/);
    await expect(open(privateKey, header, r2, r1, r3)).rejects.toThrow(/decryption failed/);
    await expect(open(privateKey, header, r1, r3)).rejects.toThrow(/decryption failed/);
    // Cut after a non-final record: the opener sees its end and it is not marked final.
    await expect(open(privateKey, header, r1, r2)).rejects.toThrow(/truncated stream/);
    await expect(open(privateKey, header, r1, r2, r3, r3)).rejects.toThrow(
      /records after the final chunk/,
    );
    await expect(open(privateKey, header, r1, r2, r3.subarray(0, 50))).rejects.toThrow(
      /truncated inside a record/,
    );
    await expect(open(privateKey, header)).rejects.toThrow(/final chunk is missing/);
  });

  it('refuses malformed streams and keys', async () => {
    const { publicKey, privateKey } = await generateHpkeKeyPair();
    const sealed = await collectBytes(hpkeSeal(publicKey, data));
    await expect(collectBytes(hpkeOpen(privateKey, new Uint8Array(5)))).rejects.toThrow(
      /not a MATRIZ-HPKE1 stream/,
    );
    const otherSuite = Uint8Array.from(sealed);
    otherSuite[13] = 0x20;
    await expect(collectBytes(hpkeOpen(privateKey, otherSuite))).rejects.toThrow(
      /unsupported HPKE suite/,
    );
    const zeroChunk = Uint8Array.from(sealed);
    zeroChunk.set([0, 0, 0, 0], 18);
    await expect(collectBytes(hpkeOpen(privateKey, zeroChunk))).rejects.toThrow(/chunk size/);
    const hugeRecord = Uint8Array.from(sealed);
    hugeRecord.set([0xff, 0xff, 0xff, 0xff], 24 + 1120);
    await expect(collectBytes(hpkeOpen(privateKey, hugeRecord))).rejects.toThrow(/record length/);
    await expect(collectBytes(hpkeSeal(new Uint8Array(10), data))).rejects.toMatchObject({
      code: 'invalid-key',
    });
    await expect(collectBytes(hpkeSeal(publicKey, data, { chunkSize: 0 }))).rejects.toThrow(
      /chunk size/,
    );
    await expect(collectBytes(hpkeOpen(new Uint8Array(3), sealed))).rejects.toMatchObject({
      code: 'decryption-failed',
    });
  });
});
