import { createMLDSA44 } from '@oqs/liboqs-js/sig';
import { ml_dsa44 } from '@noble/post-quantum/ml-dsa.js';
import { describe, expect, it } from 'vitest';
import { createWithEntropyHook } from '../../src/crypto/backends/liboqs-entropy.js';
import { fixedRandom } from '../../src/crypto/random.js';

interface Wasm {
  compile: (bytes: Uint8Array) => Promise<object>;
  instantiate: (source: object, imports?: object) => Promise<unknown>;
  Instance: abstract new (...args: never[]) => object;
}
const wasm = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;
/** The smallest valid WebAssembly module: magic and version. */
const EMPTY_MODULE = Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);

describe('liboqs entropy hook', () => {
  it('leaves other WebAssembly instantiations alone while it is installed, then restores the global', async () => {
    const original = wasm.instantiate;
    const { value: signer, withRandom } = await createWithEntropyHook(async () => {
      // Someone else (Node's undici does this lazily) instantiates a module meanwhile.
      const instance = await wasm.instantiate(await wasm.compile(EMPTY_MODULE));
      expect(instance).toBeInstanceOf(wasm.Instance);
      const result = (await wasm.instantiate(EMPTY_MODULE)) as { instance: object };
      expect(result.instance).toBeInstanceOf(wasm.Instance);
      return createMLDSA44();
    });
    expect(wasm.instantiate).toBe(original);

    const seed = new Uint8Array(32).fill(42);
    const pair = withRandom(fixedRandom(seed), () => signer.generateKeyPair());
    expect(pair.publicKey).toEqual(ml_dsa44.keygen(seed).publicKey);
    // Without a random source, keys come from real entropy and differ.
    expect(signer.generateKeyPair().publicKey).not.toEqual(pair.publicKey);
    // A source that returns the wrong number of bytes is refused.
    expect(() =>
      withRandom(
        () => new Uint8Array(3),
        () => signer.generateKeyPair(),
      ),
    ).toThrow(/random source returned 3 bytes, 32 requested/);
  });

  it('reports seeded operations unavailable when the module had no hookable entropy import', async () => {
    const { withRandom } = await createWithEntropyHook(() => Promise.resolve('no module'));
    expect(() => withRandom(fixedRandom(new Uint8Array(32)), () => 1)).toThrow(
      /does not let randomness be supplied/,
    );
    expect(withRandom(undefined, () => 2)).toBe(2);
  });
});
