/**
 * Backend selection when liboqs is unusable: `auto` falls back to node:crypto where it has
 * ML-DSA, else to noble; a forced `liboqs` is an error. Simulated by replacing the WebAssembly module loaders: ML-DSA-44 cannot load at
 * all, ML-DSA-65 loads but computes wrong keys (so fails its start-up self-test).
 */
import { describe, expect, it, vi } from 'vitest';
import { NODE_HAS_ML_DSA } from '../support/node-ml-dsa.js';

const FALLBACK = NODE_HAS_ML_DSA ? 'node' : 'noble';

vi.mock('@oqs/liboqs-js/sig', () => ({
  createMLDSA44: () => Promise.reject(new Error('WebAssembly is disabled')),
  createMLDSA65: () =>
    Promise.resolve({
      generateKeyPair: () => ({ publicKey: new Uint8Array(1952), secretKey: new Uint8Array(4032) }),
      sign: () => new Uint8Array(3309),
      verify: () => true,
    }),
  createMLDSA87: () => Promise.reject(new Error('unused')),
  createFalcon512: () => Promise.reject(new Error('unused')),
  createFalcon1024: () => Promise.reject(new Error('unused')),
}));

describe('when liboqs cannot be used', () => {
  it('auto falls back if liboqs does not load; forcing liboqs is an error', async () => {
    const { loadSignatureSuite } = await import('../../src/crypto/suites.js');
    expect((await loadSignatureSuite('ml-dsa-44')).backend).toBe(FALLBACK);
    await expect(loadSignatureSuite('ml-dsa-44', 'liboqs')).rejects.toMatchObject({
      code: 'backend-unavailable',
      message: expect.stringContaining('liboqs (WebAssembly) could not load ml-dsa-44') as string,
    });
  });

  it('a backend that fails its self-test is never used: auto falls back, forced refuses', async () => {
    const { loadSignatureSuite } = await import('../../src/crypto/suites.js');
    const auto = await loadSignatureSuite('ml-dsa-65');
    expect(auto.backend).toBe(FALLBACK);
    await expect(loadSignatureSuite('ml-dsa-65', 'liboqs')).rejects.toMatchObject({
      code: 'self-test-failed',
      message: expect.stringMatching(
        /ml-dsa-65 on liboqs failed its start-up self-test .*refusing/,
      ) as string,
    });
  });
});
