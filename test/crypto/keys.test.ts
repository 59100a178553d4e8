import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { resolveAlgorithm } from '../../src/crypto/algorithms.js';
import {
  keyId,
  ownerId,
  publicKeyFromJson,
  publicKeyOf,
  publicKeyToJson,
} from '../../src/crypto/keys.js';

describe('key ids and owner ids (DESIGN.md, Identity)', () => {
  it('keyid = hex(SHA-256(alg || 0x00 || public key)); owner_id = GLYMPH:keyid', () => {
    const publicKey = new Uint8Array(32).fill(0xab);
    const expected = bytesToHex(
      sha256(Uint8Array.from([...new TextEncoder().encode('ed25519'), 0, ...publicKey])),
    );
    expect(keyId('ed25519', publicKey)).toBe(expected);
    expect(ownerId(expected)).toBe(`GLYMPH:${expected}`);
  });

  it('binds the algorithm: the same bytes under two algorithms are two keys', () => {
    const bytes = new Uint8Array(1312);
    expect(keyId('ml-dsa-44', bytes)).not.toBe(keyId('hybrid-ml-dsa-44-ed25519', bytes));
  });

  it('round-trips the public key JSON', () => {
    const key = publicKeyOf('ed25519', new Uint8Array(32).fill(1));
    const json = publicKeyToJson(key);
    expect(json).toEqual({
      alg: 'ed25519',
      public_key: Buffer.from(key.publicKey).toString('base64'),
      keyid: key.keyid,
      owner_id: `GLYMPH:${key.keyid}`,
    });
    expect(publicKeyFromJson(JSON.parse(JSON.stringify(json)))).toEqual(key);
  });

  it('refuses public key JSON that is malformed or whose ids do not match the key', () => {
    const json = publicKeyToJson(publicKeyOf('ed25519', new Uint8Array(32).fill(1)));
    expect(() => publicKeyFromJson([], 'k.json')).toThrow(/k.json: expected a JSON object/);
    expect(() => publicKeyFromJson({ ...json, alg: 'rsa' })).toThrow(/"alg" must be a known/);
    expect(() => publicKeyFromJson({ ...json, public_key: 1 })).toThrow(/base64 string/);
    expect(() => publicKeyFromJson({ ...json, public_key: 'AAAA' })).toThrow(/must be 32 bytes/);
    expect(() => publicKeyFromJson({ ...json, keyid: '00' })).toThrow(/does not match the key/);
    expect(() => publicKeyFromJson({ ...json, owner_id: 'GLYMPH:00' })).toThrow(
      /"owner_id" does not match/,
    );
  });
});

describe('algorithm names', () => {
  it('resolves legacy Dilithium names to ML-DSA with a deprecation message', () => {
    expect(resolveAlgorithm('ml-dsa-65')).toEqual({ algorithm: 'ml-dsa-65' });
    expect(resolveAlgorithm('dilithium3')).toEqual({
      algorithm: 'ml-dsa-65',
      deprecation: expect.stringMatching(/deprecated.*"ml-dsa-65"/) as string,
    });
    expect(resolveAlgorithm('toString')).toBeUndefined();
    expect(resolveAlgorithm('rsa-2048')).toBeUndefined();
  });
});
