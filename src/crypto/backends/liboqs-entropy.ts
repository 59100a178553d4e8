/**
 * Deterministic randomness for liboqs in WebAssembly, so that it can generate a key pair from a
 * stored seed and reproduce known-answer tests.
 *
 * liboqs draws every random byte through one function, `OQS_randombytes`, which its Emscripten
 * build imports from JavaScript (`getentropy`). The published wrappers do not expose a seeded
 * key generation, but ML-DSA.KeyGen (FIPS 204, Algorithm 1, line 1) and Falcon's keygen consume
 * exactly one seed from that function, and signing consumes `rnd` (ML-DSA) or the nonce and
 * sampler seed (Falcon). Supplying those bytes is the same technique the NIST KAT harnesses use
 * (a replaced `randombytes`).
 *
 * The import is reached by wrapping `WebAssembly.instantiate` for the duration of one module's
 * instantiation; loads are serialised so the global is always restored. The import's place
 * (`a.c`) is specific to the pinned @oqs/liboqs-js build: if it moves, no hook is installed,
 * seeded operations report the backend unavailable, and the start-up self-test (which checks
 * seeded key generation against NIST vectors) keeps the backend out of use.
 */
import { CryptoError } from '../errors.js';

type RandomSource = (length: number) => Uint8Array;

interface WasmMemoryLike {
  readonly buffer: ArrayBuffer;
}
interface InstantiateResult {
  readonly instance: { readonly exports: Record<string, unknown> };
}
type Instantiate = (source: unknown, imports?: Record<string, unknown>) => Promise<unknown>;
interface WebAssemblyGlobal {
  instantiate: Instantiate;
  Memory: abstract new (...args: never[]) => WasmMemoryLike;
}

/** Runs `operation` with the module's random bytes taken from `random` (when given). */
export type WithRandom = <T>(random: RandomSource | undefined, operation: () => T) => T;

let loading: Promise<unknown> = Promise.resolve();

/** Calls `create` (which instantiates one liboqs module) with the entropy hook installed. */
export async function createWithEntropyHook<T>(
  create: () => Promise<T>,
): Promise<{ readonly value: T; readonly withRandom: WithRandom }> {
  const run = loading.then(() => instantiateHooked(create));
  loading = run.catch(() => undefined);
  return run;
}

async function instantiateHooked<T>(
  create: () => Promise<T>,
): Promise<{ readonly value: T; readonly withRandom: WithRandom }> {
  const wasm = (globalThis as unknown as { WebAssembly: WebAssemblyGlobal }).WebAssembly;
  const original = wasm.instantiate;
  let memory: WasmMemoryLike | undefined;
  let hooked = false;
  let override: RandomSource | undefined;

  // Only the instantiation with liboqs's import shape is hooked; any other caller that happens to
  // instantiate WebAssembly meanwhile (Node.js's own undici does, lazily) passes straight through.
  wasm.instantiate = (source, imports) => {
    const env = imports?.a as Record<string, unknown> | undefined;
    const getentropy = env?.c;
    if (hooked || !env || typeof getentropy !== 'function' || getentropy.length !== 2)
      return original(source, imports);
    hooked = true;
    env.c = (pointer: number, length: number): unknown => {
      const status: unknown = (getentropy as (p: number, l: number) => unknown)(pointer, length);
      if (override && memory) {
        const bytes = override(length);
        if (bytes.length !== length)
          throw new CryptoError(
            'invalid-argument',
            `random source returned ${bytes.length} bytes, ${length} requested`,
          );
        new Uint8Array(memory.buffer, pointer, length).set(bytes);
      }
      return status;
    };
    return original(source, imports).then((result) => {
      // instantiate(bytes) resolves to {module, instance}; instantiate(module) to the instance.
      const instance = (
        'instance' in (result as object) ? (result as InstantiateResult).instance : result
      ) as InstantiateResult['instance'];
      memory = Object.values(instance.exports).find(
        (value): value is WasmMemoryLike => value instanceof wasm.Memory,
      );
      return result;
    });
  };
  let value: T;
  try {
    value = await create();
  } finally {
    wasm.instantiate = original;
  }

  const withRandom: WithRandom = (random, operation) => {
    if (random === undefined) return operation();
    if (!hooked || !memory)
      throw new CryptoError(
        'backend-unavailable',
        'this @oqs/liboqs-js build does not let randomness be supplied (seeded keys need it)',
      );
    override = random;
    try {
      return operation();
    } finally {
      override = undefined;
    }
  };
  return { value, withRandom };
}
