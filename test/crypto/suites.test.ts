import { describe, expect, it } from 'vitest';
import { bytesToHex } from '@noble/hashes/utils.js';
import { nobleEd25519Suite, nodeEd25519Suite } from '../../src/crypto/backends/ed25519.js';
import { liboqsSuite } from '../../src/crypto/backends/liboqs.js';
import { nobleSuite } from '../../src/crypto/backends/noble.js';
import { CryptoError } from '../../src/crypto/errors.js';
import { fixedRandom } from '../../src/crypto/random.js';
import { runSelfTest } from '../../src/crypto/self-test.js';
import type { SignatureSuite } from '../../src/crypto/suite.js';
import { loadSignatureSuite, selfTested } from '../../src/crypto/suites.js';
import { NODE_HAS_ML_DSA } from '../support/node-ml-dsa.js';

const POST_QUANTUM = ['ml-dsa-44', 'ml-dsa-65', 'ml-dsa-87', 'falcon-512', 'falcon-1024'] as const;
const message = new TextEncoder().encode('a 1 KiB message'.padEnd(1024, '.'));

describe.each(POST_QUANTUM)('%s: noble and liboqs agree', (id) => {
  it('derive byte-identical keys from the same seed and verify each other’s signatures', async () => {
    const noble = nobleSuite(id);
    const liboqs = await liboqsSuite(id);
    const seed = crypto.getRandomValues(new Uint8Array(noble.lengths.seed));
    const a = noble.generateKeyPair(seed);
    const b = liboqs.generateKeyPair(seed);
    expect(bytesToHex(b.publicKey)).toBe(bytesToHex(a.publicKey));
    expect(bytesToHex(b.secretKey)).toBe(bytesToHex(a.secretKey));
    expect(b.seed).toEqual(seed);

    const byNoble = noble.sign(message, a.secretKey);
    const byLiboqs = liboqs.sign(message, b.secretKey);
    expect(liboqs.verify(byNoble, message, b.publicKey)).toBe(true);
    expect(noble.verify(byLiboqs, message, a.publicKey)).toBe(true);
    // Hedged/randomised signing: two signatures of one message differ.
    expect(bytesToHex(byNoble)).not.toBe(bytesToHex(byLiboqs));

    // With the same signing randomness, the signatures are byte-identical.
    const random = new Uint8Array(88).fill(7);
    expect(bytesToHex(liboqs.sign(message, b.secretKey, { random: fixedRandom(random) }))).toBe(
      bytesToHex(noble.sign(message, a.secretKey, { random: fixedRandom(random) })),
    );

    const other = Uint8Array.from(message);
    other[0] = (other[0] ?? 0) ^ 1;
    expect(noble.verify(byLiboqs, other, a.publicKey)).toBe(false);
    expect(liboqs.verify(byNoble, other, b.publicKey)).toBe(false);
  });

  it('treat malformed input as an invalid signature, not an exception', async () => {
    for (const suite of [nobleSuite(id), await liboqsSuite(id)]) {
      const { publicKey, secretKey } = suite.generateKeyPair(new Uint8Array(suite.lengths.seed));
      const signature = suite.sign(message, secretKey);
      expect(suite.verify(signature.subarray(1), message, publicKey)).toBe(false);
      expect(suite.verify(new Uint8Array(0), message, publicKey)).toBe(false);
      expect(suite.verify(signature, message, publicKey.subarray(1))).toBe(false);
      expect(
        suite.verify(Buffer.from(signature), Buffer.from(message), Buffer.from(publicKey)),
      ).toBe(true);
    }
  });

  it('refuse a seed or secret key of the wrong length', async () => {
    for (const suite of [nobleSuite(id), await liboqsSuite(id)]) {
      expect(() => suite.generateKeyPair(new Uint8Array(5))).toThrow(/seed must be/);
      expect(() => suite.sign(message, new Uint8Array(5))).toThrow(/secret key must be/);
    }
  });
});

describe('contexts (FIPS 204, section 5.2)', () => {
  it('a signature made with a context verifies only with that context, on both backends', async () => {
    const noble = nobleSuite('ml-dsa-44');
    const liboqs = await liboqsSuite('ml-dsa-44');
    const { publicKey, secretKey } = noble.generateKeyPair(new Uint8Array(32).fill(1));
    const context = new TextEncoder().encode('matriz/test');
    const signature = liboqs.sign(message, secretKey, { context });
    expect(noble.verify(signature, message, publicKey, { context })).toBe(true);
    expect(liboqs.verify(signature, message, publicKey, { context })).toBe(true);
    expect(liboqs.verify(signature, message, publicKey)).toBe(false);
    expect(noble.verify(signature, message, publicKey, { context: new Uint8Array(256) })).toBe(
      false,
    );
    expect(() => noble.sign(message, secretKey, { context: new Uint8Array(256) })).toThrow(
      /at most 255 bytes/,
    );
  });

  it('Falcon and Ed25519 refuse a context instead of ignoring it', async () => {
    for (const suite of [
      nobleSuite('falcon-512'),
      await liboqsSuite('falcon-512'),
      nobleEd25519Suite(),
      await nodeEd25519Suite(),
    ]) {
      const { publicKey, secretKey } = suite.generateKeyPair(new Uint8Array(suite.lengths.seed));
      const context = Uint8Array.of(1);
      expect(() => suite.sign(message, secretKey, { context })).toThrow(CryptoError);
      const signature = suite.sign(message, secretKey);
      expect(suite.verify(signature, message, publicKey)).toBe(true);
      expect(suite.verify(signature, message, publicKey, { context })).toBe(false);
    }
  });
});

describe('Ed25519 (RFC 8032)', () => {
  it('node:crypto and noble derive the same keys and verify each other', async () => {
    const node = await nodeEd25519Suite();
    const noble = nobleEd25519Suite();
    const seed = crypto.getRandomValues(new Uint8Array(32));
    const a = node.generateKeyPair(seed);
    const b = noble.generateKeyPair(seed);
    expect(a.publicKey).toEqual(b.publicKey);
    // Ed25519 signing is deterministic: both produce the same bytes.
    expect(node.sign(message, a.secretKey)).toEqual(noble.sign(message, b.secretKey));
    expect(noble.verify(node.sign(message, a.secretKey), message, b.publicKey)).toBe(true);
    expect(node.verify(noble.sign(message, b.secretKey), message, a.publicKey)).toBe(true);
    expect(node.verify(new Uint8Array(64), message, a.publicKey)).toBe(false);
    expect(node.verify(new Uint8Array(64), message, new Uint8Array(31))).toBe(false);
    expect(noble.verify(new Uint8Array(64), message, a.publicKey)).toBe(false);
    const random = node.generateKeyPair();
    expect(random.seed).toHaveLength(32);
    expect(noble.generateKeyPair().publicKey).toHaveLength(32);
  });

  it('never verifies with a stale key when a caller reuses one buffer for different keys', async () => {
    const node = await nodeEd25519Suite();
    const first = node.generateKeyPair(new Uint8Array(32).fill(1));
    const second = node.generateKeyPair(new Uint8Array(32).fill(2));
    const buffer = Uint8Array.from(first.publicKey);
    const signature = node.sign(message, first.secretKey);
    expect(node.verify(signature, message, buffer)).toBe(true);
    buffer.set(second.publicKey);
    expect(node.verify(signature, message, buffer)).toBe(false);
  });
});

describe('start-up self-test', () => {
  it('passes for every algorithm on every backend', async () => {
    for (const id of POST_QUANTUM) {
      expect(runSelfTest(await liboqsSuite(id), id)).toEqual({ ok: true, failures: [] });
    }
    for (const id of ['ml-dsa-44', 'ml-dsa-65', 'ml-dsa-87'] as const)
      expect(runSelfTest(nobleSuite(id), id).ok).toBe(true);
    expect(runSelfTest(nobleEd25519Suite(), 'ed25519').ok).toBe(true);
    expect(runSelfTest(await nodeEd25519Suite(), 'ed25519').ok).toBe(true);
  });

  it('noble Falcon passes too (slow keygen in pure JS)', () => {
    expect(runSelfTest(nobleSuite('falcon-512'), 'falcon-512').ok).toBe(true);
  }, 60_000);

  it('refuses a suite that signs wrongly, and says what failed', () => {
    const good = nobleSuite('ml-dsa-44');
    const broken: SignatureSuite = {
      ...good,
      sign: (m, sk, options) => {
        const signature = good.sign(m, sk, options);
        signature[10] = (signature[10] ?? 0) ^ 0xff;
        return signature;
      },
    };
    const result = runSelfTest(broken, 'ml-dsa-44');
    expect(result.ok).toBe(false);
    expect(result.failures).toContain('signing a known message gave the wrong signature');
    expect(() => selfTested(broken, 'ml-dsa-44')).toThrow(
      expect.objectContaining({ code: 'self-test-failed' }) as Error,
    );
  });

  it('refuses a suite whose keys or verification are wrong, or that throws', () => {
    const good = nobleSuite('ml-dsa-44');
    const acceptsAll: SignatureSuite = { ...good, verify: () => true };
    expect(runSelfTest(acceptsAll, 'ml-dsa-44').failures).toEqual([
      'a signature with one bit flipped verified',
    ]);
    const wrongKeys: SignatureSuite = {
      ...good,
      generateKeyPair: () => good.generateKeyPair(new Uint8Array(32)),
    };
    expect(runSelfTest(wrongKeys, 'ml-dsa-44').failures[0]).toMatch(/wrong public key/);
    const throws: SignatureSuite = {
      ...good,
      sign: () => {
        throw new Error('boom');
      },
    };
    expect(runSelfTest(throws, 'ml-dsa-44').failures).toEqual(['threw: boom']);
  });
});

describe('loadSignatureSuite', () => {
  it('prefers a fast backend, honours a forced one, and caches the loaded suite', async () => {
    const auto = await loadSignatureSuite('ml-dsa-44');
    // Where node:crypto has ML-DSA too, auto keeps whichever of the two measured faster.
    expect(NODE_HAS_ML_DSA ? ['liboqs', 'node'] : ['liboqs']).toContain(auto.backend);
    expect(await loadSignatureSuite('ml-dsa-44')).toBe(auto);
    expect((await loadSignatureSuite('ml-dsa-44', 'noble')).backend).toBe('noble');
    expect((await loadSignatureSuite('ml-dsa-44', 'liboqs')).backend).toBe('liboqs');
    expect((await loadSignatureSuite('ed25519')).backend).toBe('node');
    expect((await loadSignatureSuite('ed25519', 'noble')).backend).toBe('noble');
    expect((await loadSignatureSuite('ed25519', 'liboqs')).backend).toBe('node');
  });

  it('loads hybrids from their components', async () => {
    const hybrid = await loadSignatureSuite('hybrid-ml-dsa-65-ed25519', 'noble');
    expect(hybrid.id).toBe('hybrid-ml-dsa-65-ed25519');
    expect(hybrid.lengths.publicKey).toBe(1952 + 32);
    const { publicKey, secretKey } = hybrid.generateKeyPair();
    expect(hybrid.verify(hybrid.sign(message, secretKey), message, publicKey)).toBe(true);
  });
});
