/**
 * Where node:crypto does not exist (a browser), Ed25519 falls back to @noble/curves and the
 * verifier still works. Simulated by hiding node:crypto from `process.getBuiltinModule`, the
 * only way the pure layers reach it (test/browser runs the verifier in a real Chromium).
 */
import { describe, expect, it, vi } from 'vitest';

const getBuiltinModule = process.getBuiltinModule.bind(process);
vi.spyOn(process, 'getBuiltinModule').mockImplementation((id: string) =>
  id === 'node:crypto' ? undefined : getBuiltinModule(id),
);

describe('without node:crypto', () => {
  it('Ed25519 loads on noble, self-tested, and hybrids still sign and verify', async () => {
    const { loadSignatureSuite } = await import('../../src/crypto/suites.js');
    const ed25519 = await loadSignatureSuite('ed25519');
    expect(ed25519.backend).toBe('noble');
    const message = new TextEncoder().encode('offline verifier');
    const pair = ed25519.generateKeyPair(new Uint8Array(32).fill(4));
    expect(ed25519.verify(ed25519.sign(message, pair.secretKey), message, pair.publicKey)).toBe(
      true,
    );
    const hybrid = await loadSignatureSuite('hybrid-ml-dsa-44-ed25519');
    const keys = hybrid.generateKeyPair();
    expect(hybrid.verify(hybrid.sign(message, keys.secretKey), message, keys.publicKey)).toBe(true);
  });
});
