import { describe, expect, it } from 'vitest';
import { nodeEd25519Suite } from '../../src/crypto/backends/ed25519.js';
import { nobleSuite } from '../../src/crypto/backends/noble.js';
import { hybridSuite } from '../../src/crypto/hybrid.js';
import { loadSignatureSuite } from '../../src/crypto/suites.js';

const message = new TextEncoder().encode('register matriz.memory.adapter@1.0.0');

describe('hybrid ML-DSA + Ed25519 signatures', () => {
  it.each(['hybrid-ml-dsa-44-ed25519', 'hybrid-ml-dsa-65-ed25519'] as const)(
    '%s: verifies only when both halves verify',
    async (id) => {
      const suite = await loadSignatureSuite(id);
      const { publicKey, secretKey, seed } = suite.generateKeyPair();
      expect(seed).toHaveLength(64);
      const signature = suite.sign(message, secretKey);
      expect(signature).toHaveLength(suite.lengths.signature);
      expect(suite.verify(signature, message, publicKey)).toBe(true);

      const pqLength = suite.lengths.signature - 64;
      const flipPq = Uint8Array.from(signature);
      flipPq[5] = (flipPq[5] ?? 0) ^ 1;
      const flipEd = Uint8Array.from(signature);
      flipEd[pqLength + 5] = (flipEd[pqLength + 5] ?? 0) ^ 1;
      expect(suite.verify(flipPq, message, publicKey)).toBe(false);
      expect(suite.verify(flipEd, message, publicKey)).toBe(false);
      // Stripping either half (a downgrade to one algorithm) fails.
      expect(suite.verify(signature.subarray(0, pqLength), message, publicKey)).toBe(false);
      expect(suite.verify(signature.subarray(pqLength), message, publicKey)).toBe(false);
    },
  );

  it('neither half verifies as a plain ML-DSA or Ed25519 signature over the message', async () => {
    const mlDsa = nobleSuite('ml-dsa-44');
    const ed25519 = await nodeEd25519Suite();
    const suite = hybridSuite('hybrid-ml-dsa-44-ed25519', mlDsa, ed25519);
    const { publicKey, secretKey } = suite.generateKeyPair(new Uint8Array(64).fill(3));
    const signature = suite.sign(message, secretKey);
    expect(mlDsa.verify(signature.subarray(0, 2420), message, publicKey.subarray(0, 1312))).toBe(
      false,
    );
    expect(ed25519.verify(signature.subarray(2420), message, publicKey.subarray(1312))).toBe(false);
  });

  it('is deterministic in the seed and binds the context', async () => {
    const suite = await loadSignatureSuite('hybrid-ml-dsa-44-ed25519');
    const seed = new Uint8Array(64).fill(9);
    const a = suite.generateKeyPair(seed);
    expect(suite.generateKeyPair(seed).publicKey).toEqual(a.publicKey);
    const context = Uint8Array.of(1, 2, 3);
    const signature = suite.sign(message, a.secretKey, { context });
    expect(suite.verify(signature, message, a.publicKey, { context })).toBe(true);
    expect(suite.verify(signature, message, a.publicKey)).toBe(false);
    expect(suite.verify(signature, message, a.publicKey, { context: new Uint8Array(300) })).toBe(
      false,
    );
  });

  it('refuses mismatched components, seeds and secret keys', async () => {
    const ed25519 = await nodeEd25519Suite();
    expect(() => hybridSuite('hybrid-ml-dsa-65-ed25519', nobleSuite('ml-dsa-44'), ed25519)).toThrow(
      /built from ml-dsa-65 and ed25519/,
    );
    const suite = hybridSuite('hybrid-ml-dsa-44-ed25519', nobleSuite('ml-dsa-44'), ed25519);
    expect(() => suite.generateKeyPair(new Uint8Array(32))).toThrow(/seed must be 64 bytes/);
    expect(() => suite.sign(message, new Uint8Array(10))).toThrow(/secret key must be/);
  });
});
