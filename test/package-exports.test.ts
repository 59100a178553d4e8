import { describe, expect, it } from 'vitest';

describe('the published package', () => {
  it.each([
    ['matriz', ['parseJson', 'validateNodeSpec', 'lintNodeSpec', 'canonicalize', 'sha256Digest']],
    [
      'matriz/nodespec',
      ['validateNodeSpec', 'lintNodeSpec', 'checkNodeSpecSource', 'locateFinding'],
    ],
    ['matriz/json', ['parseJson', 'canonicalize', 'formatCanonical']],
    ['matriz/crypto', ['loadSignatureSuite', 'verifyEnvelope', 'publicKeyFromJson']],
    [
      'matriz/log',
      ['verifyInclusion', 'verifyConsistency', 'openCheckpoint', 'ed25519VerifierKey'],
    ],
    [
      'matriz/verify',
      [
        'loadVerifierSuites',
        'verifyNote',
        'verifyCheckpoint',
        'verifyCheckpointUnderRoot',
        'verifyCheckpointWithKeys',
        'verifyCheckpointByWitnesses',
        'peekCheckpoint',
        'verifyInclusionProof',
        'verifyConsistencyProof',
        'verifyWriteResult',
        'verifyEntry',
        'verifyTrustRootChain',
        'verifyRevocations',
        'checkpointKeysFromRoot',
        'NoteError',
        'CheckpointError',
        'TrustError',
        'EvidenceError',
        'CryptoError',
      ],
    ],
    [
      'matriz/client',
      [
        'RegistryClient',
        'openOwnerKey',
        'RegistryRequestError',
        'RegistryUnavailableError',
        'VerificationError',
        'ForkDetectedError',
      ],
    ],
  ])('exports %s from the build', async (specifier, names) => {
    const module = (await import(specifier)) as Record<string, unknown>;
    for (const name of names) expect(typeof module[name], `${specifier}: ${name}`).toBe('function');
  });
});
