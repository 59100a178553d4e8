import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  base64Decode,
  base64DecodePortable,
  base64Encode,
  base64EncodePortable,
} from '../../src/crypto/encoding.js';
import { sha256 } from '../../src/crypto/sha256.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

describe('native and portable implementations agree', () => {
  it('base64 encodes alike and round-trips (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const text = base64Encode(bytes);
        expect(base64EncodePortable(bytes)).toBe(text);
        expect(base64Decode(text)).toStrictEqual(bytes);
        expect(base64DecodePortable(text)).toStrictEqual(bytes);
      }),
    );
  });

  it.each(['QQ', 'QR==', 'Q Q==', 'QQ==\n', '====', 'Q!==', 'QUI', 'QUJD='])(
    'both refuse the non-canonical base64 %j',
    (text) => {
      expect(() => base64Decode(text)).toThrow(/not canonical base64/);
      expect(() => base64DecodePortable(text)).toThrow(/not canonical base64/);
    },
  );

  it('SHA-256 equals @noble/hashes, whatever the split into parts (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.nat(), (bytes, cut) => {
        const at = bytes.length === 0 ? 0 : cut % bytes.length;
        expect(sha256(bytes.subarray(0, at), bytes.subarray(at))).toStrictEqual(nobleSha256(bytes));
      }),
    );
  });
});
