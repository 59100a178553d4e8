/**
 * The node:crypto ML-DSA backend (OpenSSL 3.5 inside Node.js 24.7+): present exactly where
 * node:crypto has ML-DSA, and then byte-for-byte in agreement with noble and liboqs on keys,
 * signing each other's verifiable signatures with and without a FIPS 204 context, on the NIST
 * ACVP key pairs. ACVP's own sigGen/sigVer vectors run on it in acvp-ml-dsa.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '@noble/hashes/utils.js';
import { liboqsSuite } from '../../src/crypto/backends/liboqs.js';
import { nobleSuite } from '../../src/crypto/backends/noble.js';
import { nodeMlDsaSuite } from '../../src/crypto/backends/node-ml-dsa.js';
import { backendChoices } from '../../src/crypto/backend-choice.js';
import { runSelfTest } from '../../src/crypto/self-test.js';
import { loadSignatureSuite } from '../../src/crypto/suites.js';
import { NODE_HAS_ML_DSA } from '../support/node-ml-dsa.js';
import { acvpCases, hex } from './vectors.js';

const ML_DSA = ['ml-dsa-44', 'ml-dsa-65', 'ml-dsa-87'] as const;
const message = new TextEncoder().encode('a 1 KiB message'.padEnd(1024, '.'));
const context = new TextEncoder().encode('matriz/test');

describe.skipIf(NODE_HAS_ML_DSA)('node:crypto without ML-DSA', () => {
  it.each(ML_DSA)('%s: the node backend is unavailable, and auto does not pick it', async (id) => {
    await expect(nodeMlDsaSuite(id, nobleSuite(id))).rejects.toMatchObject({
      code: 'backend-unavailable',
    });
    await expect(loadSignatureSuite(id, 'node')).rejects.toMatchObject({
      code: 'backend-unavailable',
    });
    expect((await loadSignatureSuite(id)).backend).not.toBe('node');
  });
});

describe.runIf(NODE_HAS_ML_DSA).each(ML_DSA)('%s on node:crypto', (id) => {
  it('passes the start-up self-test', async () => {
    expect(runSelfTest(await nodeMlDsaSuite(id, nobleSuite(id)), id)).toEqual({
      ok: true,
      failures: [],
    });
    expect((await loadSignatureSuite(id, 'node')).backend).toBe('node');
  });

  it('agrees byte for byte with noble and liboqs on keys, and each verifies the others', async () => {
    const noble = nobleSuite(id);
    const liboqs = await liboqsSuite(id);
    const node = await nodeMlDsaSuite(id, noble);
    const seed = crypto.getRandomValues(new Uint8Array(32));
    const pair = node.generateKeyPair(seed);
    for (const other of [noble, liboqs]) {
      const theirs = other.generateKeyPair(seed);
      expect(bytesToHex(pair.publicKey)).toBe(bytesToHex(theirs.publicKey));
      expect(bytesToHex(pair.secretKey)).toBe(bytesToHex(theirs.secretKey));
    }
    for (const options of [{}, { context }]) {
      const byNode = node.sign(message, pair.secretKey, options);
      for (const other of [noble, liboqs]) {
        expect(other.verify(byNode, message, pair.publicKey, options)).toBe(true);
        const byOther = other.sign(message, pair.secretKey, options);
        expect(node.verify(byOther, message, pair.publicKey, options)).toBe(true);
      }
      // A context binds: the signature verifies with its own context only.
      const wrong = 'context' in options ? {} : { context };
      expect(node.verify(byNode, message, pair.publicKey, wrong)).toBe(false);
    }
  });

  it('signs with each NIST ACVP keyGen key pair so that noble verifies', () => {
    const noble = nobleSuite(id);
    const cases = acvpCases<{ parameterSet: string }, { seed: string }, { pk: string; sk: string }>(
      'ML-DSA-keyGen-FIPS204',
    ).filter(({ group }) => group.parameterSet.toLowerCase() === id);
    expect(cases).toHaveLength(25);
    return nodeMlDsaSuite(id, noble).then((node) => {
      for (const { test, expected } of cases) {
        const pair = node.generateKeyPair(hex(test.seed));
        expect(bytesToHex(pair.publicKey)).toBe(expected.pk.toLowerCase());
        const signature = node.sign(message, hex(expected.sk), { context });
        expect(noble.verify(signature, message, hex(expected.pk), { context })).toBe(true);
      }
    });
  });

  it('treats malformed input as an invalid signature, and refuses an over-long context', async () => {
    const node = await nodeMlDsaSuite(id, nobleSuite(id));
    const { publicKey, secretKey } = node.generateKeyPair(new Uint8Array(32));
    const signature = node.sign(message, secretKey);
    expect(node.verify(signature.subarray(1), message, publicKey)).toBe(false);
    expect(node.verify(signature, message, publicKey.subarray(1))).toBe(false);
    expect(node.verify(signature, message, new Uint8Array(publicKey.length))).toBe(false);
    expect(node.verify(signature, message, publicKey, { context: new Uint8Array(256) })).toBe(
      false,
    );
    expect(() => node.sign(message, secretKey, { context: new Uint8Array(256) })).toThrow(
      /at most 255 bytes/,
    );
    expect(() => node.sign(message, secretKey.subarray(1))).toThrow(/secret key must be/);
  });

  it('auto measures liboqs against node and records the choice', async () => {
    const chosen = await loadSignatureSuite(id);
    const choice = backendChoices().find((entry) => entry.algorithm === id);
    expect(choice?.chosen).toBe(chosen.backend);
    expect(Object.keys(choice?.milliseconds ?? {}).sort()).toEqual(['liboqs', 'node']);
  });
});
