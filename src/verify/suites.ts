/**
 * The signature suites a verifier needs, loaded once: Ed25519 and ML-DSA-44 for checkpoint
 * lines, and a loader for whatever algorithm a trust root names for its root and revocation
 * keys. Every suite has passed its known-answer self-test (src/crypto/suites.ts).
 */
import type { SignatureSuite } from '../crypto/suite.js';
import { loadSignatureSuite, type BackendPreference } from '../crypto/suites.js';
import type { SuiteLoader } from '../trust/signatures.js';

export interface VerifierSuites {
  readonly ed25519: SignatureSuite;
  readonly mlDsa44: SignatureSuite;
  /** Loads the suite of any key algorithm a trust document names. */
  readonly load: SuiteLoader;
}

/**
 * Loads the suites on `backend` (`auto`: liboqs WebAssembly for ML-DSA when it loads, else
 * pure TypeScript; Ed25519 on node:crypto or @noble/curves). Rejects with a CryptoError
 * (`backend-unavailable`, `self-test-failed`).
 */
export async function loadVerifierSuites(
  backend: BackendPreference = 'auto',
): Promise<VerifierSuites> {
  const [ed25519, mlDsa44] = await Promise.all([
    loadSignatureSuite('ed25519', backend),
    loadSignatureSuite('ml-dsa-44', backend),
  ]);
  return { ed25519, mlDsa44, load: (algorithm) => loadSignatureSuite(algorithm, backend) };
}
