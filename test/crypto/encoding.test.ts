import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64Decode, base64Encode, equalBytes } from '../../src/crypto/encoding.js';

describe('base64 (RFC 4648)', () => {
  it('matches the RFC 4648 section 10 test vectors', () => {
    const vectors = ['', 'f', 'fo', 'foo', 'foob', 'fooba', 'foobar'];
    const expected = ['', 'Zg==', 'Zm8=', 'Zm9v', 'Zm9vYg==', 'Zm9vYmE=', 'Zm9vYmFy'];
    vectors.forEach((text, i) => {
      expect(base64Encode(new TextEncoder().encode(text))).toBe(expected[i]);
      expect(new TextDecoder().decode(base64Decode(expected[i] ?? ''))).toBe(text);
    });
  });

  it('round-trips any bytes and agrees with Buffer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const text = base64Encode(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64'));
        expect(base64Decode(text)).toEqual(bytes);
      }),
    );
  });

  it('refuses non-canonical spellings: missing padding, whitespace, URL alphabet, pad bits', () => {
    for (const text of ['Zg', 'Zm9v\n', 'Zm-_', 'Zh==', 'Zm9=', '====', 'Z===']) {
      expect(() => base64Decode(text, 'field')).toThrow(/field is not canonical base64/);
    }
  });
});

describe('equalBytes', () => {
  it('compares content and length', () => {
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(equalBytes(Uint8Array.of(1), Uint8Array.of(1, 2))).toBe(false);
  });
});
