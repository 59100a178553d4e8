/**
 * The ACVP ML-DSA groups the suite API does not expose (HashML-DSA, FIPS 204 Algorithms 4-5;
 * ML-DSA.Sign_internal / Verify_internal with and without external mu, Algorithms 7-8), run
 * against noble's own API: the registry's reference backend passes the whole NIST set, not only
 * the part the registry calls.
 */
import { describe, expect, it } from 'vitest';
import { sha224, sha256, sha384, sha512, sha512_224, sha512_256 } from '@noble/hashes/sha2.js';
import {
  sha3_224,
  sha3_256,
  sha3_384,
  sha3_512,
  shake128_32,
  shake256_64,
} from '@noble/hashes/sha3.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { ml_dsa44, ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import { acvpCases, hex } from './vectors.js';

const DSA = { 'ML-DSA-44': ml_dsa44, 'ML-DSA-65': ml_dsa65, 'ML-DSA-87': ml_dsa87 } as const;
// FIPS 204, section 5.4.1: the approved pre-hash functions; SHAKE128 with 256-bit output,
// SHAKE256 with 512-bit output.
const HASHES = {
  'SHA2-224': sha224,
  'SHA2-256': sha256,
  'SHA2-384': sha384,
  'SHA2-512': sha512,
  'SHA2-512/224': sha512_224,
  'SHA2-512/256': sha512_256,
  'SHA3-224': sha3_224,
  'SHA3-256': sha3_256,
  'SHA3-384': sha3_384,
  'SHA3-512': sha3_512,
  'SHAKE-128': shake128_32,
  'SHAKE-256': shake256_64,
} as const;

/**
 * noble refuses a pre-hash weaker than the parameter set's security strength (e.g. SHA2-224,
 * 112 bits, with ML-DSA-44), following FIPS 204, section 5.4's requirement on the hash; ACVP
 * still tests those combinations. Such cases are counted as skipped.
 */
function prehashSigner(dsa: (typeof DSA)[keyof typeof DSA], hashAlg: keyof typeof HASHES) {
  try {
    return dsa.prehash(HASHES[hashAlg]);
  } catch {
    return undefined;
  }
}

interface Group {
  parameterSet: keyof typeof DSA;
  signatureInterface: 'external' | 'internal';
  preHash?: string;
  externalMu?: boolean;
  deterministic?: boolean;
}
interface Case {
  message?: string;
  mu?: string;
  sk?: string;
  pk?: string;
  context?: string;
  rnd?: string;
  hashAlg?: keyof typeof HASHES;
  signature?: string;
}

describe('ACVP ML-DSA groups outside the suite API, on noble', () => {
  it('sigGen: preHash and internal cases (270) reproduce the expected signature', () => {
    let checked = 0;
    let skipped = 0;
    for (const { group, test, expected } of acvpCases<Group, Case, { signature: string }>(
      'ML-DSA-sigGen-FIPS204',
      true,
    )) {
      if (group.signatureInterface === 'external' && group.preHash === 'pure') continue;
      const dsa = DSA[group.parameterSet];
      const extraEntropy = group.deterministic ? false : hex(test.rnd ?? '');
      const sk = hex(test.sk ?? '');
      let signature: Uint8Array;
      if (group.signatureInterface === 'internal') {
        signature = dsa.internal.sign(
          hex(group.externalMu ? (test.mu ?? '') : (test.message ?? '')),
          sk,
          { extraEntropy, externalMu: group.externalMu ?? false },
        );
      } else {
        const signer = prehashSigner(dsa, test.hashAlg ?? 'SHA2-256');
        if (!signer) {
          skipped++;
          continue;
        }
        signature = signer.sign(hex(test.message ?? ''), sk, {
          context: hex(test.context ?? ''),
          extraEntropy,
        });
      }
      expect(bytesToHex(signature)).toBe(expected.signature.toLowerCase());
      checked++;
    }
    console.log(
      `ACVP sigGen/noble internal+preHash: ${checked} passed, ${skipped} skipped (pre-hash weaker than the parameter set, refused by noble)`,
    );
    expect(checked + skipped).toBe(270);
    expect([checked, skipped]).toEqual([226, 44]);
  });

  it('sigVer: preHash and internal cases (135) give the expected verdict', () => {
    let checked = 0;
    let skipped = 0;
    for (const { group, test, expected } of acvpCases<Group, Case, { testPassed: unknown }>(
      'ML-DSA-sigVer-FIPS204',
    )) {
      if (group.signatureInterface === 'external' && group.preHash === 'pure') continue;
      const dsa = DSA[group.parameterSet];
      const signature = hex(test.signature ?? '');
      const pk = hex(test.pk ?? '');
      let verdict: boolean;
      if (group.signatureInterface === 'internal') {
        verdict = dsa.internal.verify(
          signature,
          hex(group.externalMu ? (test.mu ?? '') : (test.message ?? '')),
          pk,
          { externalMu: group.externalMu ?? false },
        );
      } else {
        const signer = prehashSigner(dsa, test.hashAlg ?? 'SHA2-256');
        if (!signer) {
          skipped++;
          continue;
        }
        verdict = signer.verify(signature, hex(test.message ?? ''), pk, {
          context: hex(test.context ?? ''),
        });
      }
      expect(verdict).toBe(String(expected.testPassed).toLowerCase() === 'true');
      checked++;
    }
    console.log(
      `ACVP sigVer/noble internal+preHash: ${checked} passed, ${skipped} skipped (pre-hash weaker than the parameter set, refused by noble)`,
    );
    expect(checked + skipped).toBe(135);
    expect([checked, skipped]).toEqual([112, 23]);
  });
});
