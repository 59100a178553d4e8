import { describe, expect, it } from 'vitest';
import { PAYLOAD_TYPES } from '../../src/crypto/payload-types.js';
import { keyId } from '../../src/crypto/keys.js';
import { concatBytes } from '../../src/crypto/encoding.js';
import { TrustError } from '../../src/trust/errors.js';
import { buildRevocationList, peekRevocationList } from '../../src/trust/revocations.js';
import { logKeyHalves, logKeyOf } from '../../src/trust/trust-root.js';

describe('log keys as a trust root lists them', () => {
  it('joins the ML-DSA-44 and Ed25519 halves into one hybrid key and splits it back', () => {
    const ml = new Uint8Array(1312).fill(1);
    const ed = new Uint8Array(32).fill(2);
    const key = logKeyOf(ml, ed);
    expect(key.algorithm).toBe('hybrid-ml-dsa-44-ed25519');
    expect(key.keyid).toBe(keyId('hybrid-ml-dsa-44-ed25519', concatBytes(ml, ed)));
    expect(logKeyHalves(key)).toStrictEqual({ mlDsa44: ml, ed25519: ed });
    expect(() => logKeyOf(ml, ed.subarray(1))).toThrow(/must be 1344 bytes/);
  });
});

describe('peekRevocationList', () => {
  it('reads the payload without checking signatures, and refuses another payload type', () => {
    const envelope = buildRevocationList({
      origin: 'registry.test/matriz',
      version: 3,
      issuedAt: '2026-11-26T00:00:00Z',
      revoked: [],
    });
    expect(peekRevocationList(envelope).version).toBe(3);
    expect(() => peekRevocationList({ ...envelope, payloadType: PAYLOAD_TYPES.trustRoot })).toThrow(
      TrustError,
    );
  });
});
