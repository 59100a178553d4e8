/**
 * Real keys for the trust tests: ML-DSA-44 and Ed25519 root-role keys and hybrid log keys, from
 * the project's self-tested suites. Generated once per test file.
 */
import type { KeyAlgorithm } from '../../src/crypto/algorithms.js';
import { signerFor, type EnvelopeSigner } from '../../src/crypto/dsse.js';
import { publicKeyOf, type PublicKey } from '../../src/crypto/keys.js';
import type { SignatureSuite } from '../../src/crypto/suite.js';
import { loadSignatureSuite } from '../../src/crypto/suites.js';
import type { CheckpointSigner } from '../../src/log/checkpoint-signature.js';
import { preloadedSuites, type SuiteLoader } from '../../src/trust/signatures.js';

export interface TestKey {
  readonly key: PublicKey;
  readonly signer: EnvelopeSigner;
  readonly secretKey: Uint8Array;
}

export interface TestSuites {
  readonly ed25519: SignatureSuite;
  readonly mlDsa44: SignatureSuite;
  readonly hybrid: SignatureSuite;
  readonly loader: SuiteLoader;
}

export async function testSuites(): Promise<TestSuites> {
  const [ed25519, mlDsa44, hybrid] = await Promise.all(
    (['ed25519', 'ml-dsa-44', 'hybrid-ml-dsa-44-ed25519'] as KeyAlgorithm[]).map((alg) =>
      loadSignatureSuite(alg),
    ),
  );
  return {
    ed25519: ed25519 as SignatureSuite,
    mlDsa44: mlDsa44 as SignatureSuite,
    hybrid: hybrid as SignatureSuite,
    loader: preloadedSuites([ed25519, mlDsa44, hybrid] as SignatureSuite[]),
  };
}

export function testKey(suite: SignatureSuite): TestKey {
  const pair = suite.generateKeyPair();
  const key = publicKeyOf(suite.id, pair.publicKey);
  return { key, secretKey: pair.secretKey, signer: signerFor(key, pair.secretKey, suite) };
}

/** The checkpoint signer of a hybrid log key: its ML-DSA-44 and Ed25519 halves. */
export function checkpointSigner(log: TestKey, name: string, suites: TestSuites): CheckpointSigner {
  const pk = suites.mlDsa44.lengths.publicKey;
  const sk = suites.mlDsa44.lengths.secretKey;
  return {
    name,
    ed25519: {
      publicKey: log.key.publicKey.slice(pk),
      sign: (message) => suites.ed25519.sign(message, log.secretKey.slice(sk)),
    },
    mlDsa44: {
      publicKey: log.key.publicKey.slice(0, pk),
      sign: (message) => suites.mlDsa44.sign(message, log.secretKey.slice(0, sk)),
    },
  };
}
