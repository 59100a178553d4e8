/**
 * Where suites come from: picks a backend, loads it, runs the start-up self-test, caches the
 * result for the process. Every suite this module hands out has passed its self-test, so no
 * signature is ever made by an implementation that failed one.
 *
 * Backend choice for ML-DSA and Falcon (`auto`): every fast backend that loads and passes its
 * self-test is a candidate, liboqs (WebAssembly) and, for ML-DSA where node:crypto has it,
 * `node` (OpenSSL); with two, the faster one as measured at load (backend-choice.ts). Without
 * any, noble (pure TypeScript). A caller may force one; forcing `node` for Falcon, which
 * node:crypto does not implement, chooses as `auto` does. Ed25519 uses node:crypto when present
 * and `@noble/curves` otherwise (forcing `noble` selects it; liboqs has no Ed25519).
 */
import { isSignatureAlgorithm, type KeyAlgorithm, type SignatureAlgorithm } from './algorithms.js';
import { nobleEd25519Suite, nodeEd25519Suite } from './backends/ed25519.js';
import { liboqsSuite } from './backends/liboqs.js';
import { nobleSuite } from './backends/noble.js';
import { isMlDsa, nodeMlDsaSuite } from './backends/node-ml-dsa.js';
import { fastestSuite } from './backend-choice.js';
import { CryptoError } from './errors.js';
import { HYBRID_COMPONENTS, hybridSuite } from './hybrid.js';
import { runSelfTest } from './self-test.js';
import type { SignatureSuite } from './suite.js';

export const BACKEND_PREFERENCES = ['auto', 'liboqs', 'noble', 'node'] as const;
export type BackendPreference = (typeof BACKEND_PREFERENCES)[number];

export function isBackendPreference(value: string): value is BackendPreference {
  return (BACKEND_PREFERENCES as readonly string[]).includes(value);
}

const cache = new Map<string, Promise<SignatureSuite>>();

/**
 * The self-tested suite for `algorithm`. Rejects with `backend-unavailable` when a forced
 * backend cannot load, and with `self-test-failed` when the chosen implementation fails its
 * known-answer test.
 */
export function loadSignatureSuite(
  algorithm: KeyAlgorithm,
  backend: BackendPreference = 'auto',
): Promise<SignatureSuite> {
  const key = `${algorithm}/${backend}`;
  let suite = cache.get(key);
  if (!suite) {
    suite = load(algorithm, backend);
    cache.set(key, suite);
    // A failed load is not cached: the next caller gets a fresh attempt and a fresh error.
    suite.catch(() => cache.delete(key)).catch(() => undefined);
  }
  return suite;
}

async function load(algorithm: KeyAlgorithm, backend: BackendPreference): Promise<SignatureSuite> {
  if (!isSignatureAlgorithm(algorithm)) {
    const [mlDsa, ed25519] = await Promise.all([
      loadSignatureSuite(HYBRID_COMPONENTS[algorithm], backend),
      loadSignatureSuite('ed25519', backend),
    ]);
    return hybridSuite(algorithm, mlDsa, ed25519);
  }
  if (algorithm === 'ed25519') {
    if (backend !== 'noble') {
      try {
        return selfTested(await nodeEd25519Suite(), algorithm);
      } catch (error) {
        if (!(error instanceof CryptoError && error.code === 'backend-unavailable')) throw error;
      }
    }
    return selfTested(nobleEd25519Suite(), algorithm);
  }
  if (backend === 'noble') return selfTested(nobleSuite(algorithm), algorithm);
  if (backend === 'liboqs') return selfTested(await liboqsSuite(algorithm), algorithm);
  const liboqs = await loadedOrUndefined(async () =>
    selfTested(await liboqsSuite(algorithm), algorithm),
  );
  if (!isMlDsa(algorithm)) return liboqs ?? selfTested(nobleSuite(algorithm), algorithm);
  // node:crypto cannot export expanded secret keys: it takes them from this reference.
  const reference = liboqs ?? selfTested(nobleSuite(algorithm), algorithm);
  const loadNode = async () => selfTested(await nodeMlDsaSuite(algorithm, reference), algorithm);
  if (backend === 'node') return loadNode();
  const node = await loadedOrUndefined(loadNode);
  const candidates = [liboqs, node].filter((suite) => suite !== undefined);
  return candidates.length ? fastestSuite(algorithm, candidates) : reference;
}

/** The suite `load` gives, or undefined when its backend is unavailable or fails its self-test. */
async function loadedOrUndefined(
  load: () => Promise<SignatureSuite>,
): Promise<SignatureSuite | undefined> {
  try {
    return await load();
  } catch {
    return undefined;
  }
}

/** A start-up self-test this process ran: which algorithm on which backend, and whether it passed. */
export interface SelfTestRecord {
  readonly algorithm: SignatureAlgorithm;
  readonly backend: string;
  readonly passed: boolean;
}

const selfTests = new Map<string, SelfTestRecord>();

/** The self-tests run so far in this process (for metrics), one per algorithm and backend. */
export function selfTestRecords(): SelfTestRecord[] {
  return [...selfTests.values()];
}

/** Returns `suite` if it passes the known-answer self-test; throws `self-test-failed` if not. */
export function selfTested(suite: SignatureSuite, algorithm: SignatureAlgorithm): SignatureSuite {
  const result = runSelfTest(suite, algorithm);
  selfTests.set(`${algorithm}/${suite.backend}`, {
    algorithm,
    backend: suite.backend,
    passed: result.ok,
  });
  if (!result.ok)
    throw new CryptoError(
      'self-test-failed',
      `${algorithm} on ${suite.backend} failed its start-up self-test (${result.failures.join('; ')}); refusing to use it. Reinstall dependencies, or choose another backend with MATRIZ_CRYPTO_BACKEND=noble|liboqs|node.`,
    );
  return suite;
}
