import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  consistencyProofRanges,
  emptyTreeHash,
  inclusionProofRanges,
  leafHash,
  nodeHash,
  rangeRefs,
  verifyConsistency,
  verifyInclusion,
} from '../../src/log/index.js';
import { MemoryLog } from '../support/memory-log.js';

const sha256 = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha256');
  for (const part of parts) h.update(part);
  return new Uint8Array(h.digest());
};

/** MTH straight from RFC 9162 section 2.1.1, over leaf data, with node:crypto. */
function referenceRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256();
  if (leaves.length === 1) return sha256(new Uint8Array([0]), leaves[0] as Uint8Array);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha256(
    new Uint8Array([1]),
    referenceRoot(leaves.slice(0, k)),
    referenceRoot(leaves.slice(k)),
  );
}

/** PATH(m, D[n]) straight from RFC 9162 section 2.1.3.1. */
function referencePath(m: number, leaves: readonly Uint8Array[]): Uint8Array[] {
  if (leaves.length <= 1) return [];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return m < k
    ? [...referencePath(m, leaves.slice(0, k)), referenceRoot(leaves.slice(k))]
    : [...referencePath(m - k, leaves.slice(k)), referenceRoot(leaves.slice(0, k))];
}

/** PROOF(m, D[n]) straight from RFC 9162 section 2.1.4.1. */
function referenceConsistency(
  m: number,
  leaves: readonly Uint8Array[],
  complete = true,
): Uint8Array[] {
  const n = leaves.length;
  if (m === n) return complete ? [] : [referenceRoot(leaves)];
  let k = 1;
  while (k * 2 < n) k *= 2;
  return m <= k
    ? [...referenceConsistency(m, leaves.slice(0, k), complete), referenceRoot(leaves.slice(k))]
    : [...referenceConsistency(m - k, leaves.slice(k), false), referenceRoot(leaves.slice(0, k))];
}

function logOf(size: number): MemoryLog {
  const log = new MemoryLog();
  for (let i = 0; i < size; i++) log.append(new TextEncoder().encode(`leaf ${i}`));
  return log;
}

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = bytes.slice();
  const at = (bit >> 3) % copy.length;
  copy[at] = (copy[at] ?? 0) ^ (1 << (bit & 7));
  return copy;
}

const proofOf = (log: MemoryLog, ranges: { start: number; end: number }[]) =>
  ranges.map((r) => log.hash(r));

describe('Merkle tree hashing (RFC 9162 2.1.1)', () => {
  it('hashes leaves with 0x00 and nodes with 0x01, and the empty tree as SHA-256("")', () => {
    const a = new TextEncoder().encode('a');
    expect(leafHash(a)).toStrictEqual(sha256(new Uint8Array([0]), a));
    expect(nodeHash(a, a)).toStrictEqual(sha256(new Uint8Array([1]), a, a));
    expect(Buffer.from(emptyTreeHash()).toString('hex')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('computes the same root as the RFC definition for every size up to 130', () => {
    const log = new MemoryLog();
    for (let size = 1; size <= 130; size++) {
      log.append(new TextEncoder().encode(`leaf ${size - 1}`));
      expect(log.root()).toStrictEqual(referenceRoot(log.leaves));
      expect(log.root(Math.ceil(size / 3))).toStrictEqual(
        referenceRoot(log.leaves.slice(0, Math.ceil(size / 3))),
      );
    }
  });

  it('stores fewer than two hashes per leaf and reads O(log n) of them per range', () => {
    const log = logOf(1000);
    expect(log.storedHashCount).toBeLessThan(2000);
    expect(rangeRefs({ start: 0, end: 1000 }).length).toBeLessThanOrEqual(
      Math.ceil(Math.log2(1000)),
    );
  });

  it('refuses empty or negative ranges', () => {
    expect(() => rangeRefs({ start: 3, end: 3 })).toThrow(RangeError);
    expect(() => rangeRefs({ start: -1, end: 3 })).toThrow(RangeError);
  });
});

describe('inclusion proofs (RFC 9162 2.1.3)', () => {
  it('match the RFC definition and verify, for every leaf of trees up to size 40', () => {
    const log = new MemoryLog();
    for (let size = 1; size <= 40; size++) {
      log.append(new TextEncoder().encode(`leaf ${size - 1}`));
      const root = log.root();
      for (let index = 0; index < size; index++) {
        const proof = proofOf(log, inclusionProofRanges(index, size));
        expect(proof).toStrictEqual(referencePath(index, log.leaves));
        expect(
          verifyInclusion(index, size, leafHash(log.leaves[index] as Uint8Array), proof, root),
        ).toBe(true);
      }
    }
  });

  it('verify for random trees, and fail on any one-bit change to leaf, proof or root (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 600 }), fc.nat(), fc.nat(), (size, indexSeed, bit) => {
        const log = logOf(size);
        const index = indexSeed % size;
        const proof = proofOf(log, inclusionProofRanges(index, size));
        const leaf = leafHash(log.leaves[index] as Uint8Array);
        const root = log.root();
        expect(verifyInclusion(index, size, leaf, proof, root)).toBe(true);
        expect(verifyInclusion(index, size, flipBit(leaf, bit), proof, root)).toBe(false);
        expect(verifyInclusion(index, size, leaf, proof, flipBit(root, bit))).toBe(false);
        if (proof.length > 0) {
          const tampered = proof.map((h, i) => (i === bit % proof.length ? flipBit(h, bit) : h));
          expect(verifyInclusion(index, size, leaf, tampered, root)).toBe(false);
          expect(verifyInclusion(index, size, leaf, proof.slice(1), root)).toBe(false);
          expect(verifyInclusion(index, size, leaf, [...proof, proof[0] as Uint8Array], root)).toBe(
            false,
          );
        }
        if (size > 1) {
          expect(verifyInclusion((index + 1) % size, size, leaf, proof, root)).toBe(false);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('refuses an index outside the tree', () => {
    expect(() => inclusionProofRanges(5, 5)).toThrow(RangeError);
    expect(verifyInclusion(5, 5, new Uint8Array(32), [], new Uint8Array(32))).toBe(false);
    expect(verifyInclusion(-1, 5, new Uint8Array(32), [], new Uint8Array(32))).toBe(false);
  });

  it('proves the only leaf of a one-leaf tree with an empty path', () => {
    const log = logOf(1);
    expect(inclusionProofRanges(0, 1)).toStrictEqual([]);
    expect(verifyInclusion(0, 1, leafHash(log.leaves[0] as Uint8Array), [], log.root())).toBe(true);
  });
});

describe('consistency proofs (RFC 9162 2.1.4)', () => {
  it('match the RFC definition and verify, for every pair of sizes up to 40', () => {
    const log = logOf(40);
    for (let n = 1; n <= 40; n++) {
      for (let m = 1; m <= n; m++) {
        const proof = proofOf(log, consistencyProofRanges(m, n));
        expect(proof).toStrictEqual(referenceConsistency(m, log.leaves.slice(0, n)));
        expect(verifyConsistency(m, n, log.root(m), log.root(n), proof)).toBe(true);
      }
    }
  });

  it('verify for random sizes and fail on any one-bit change (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 600 }), fc.nat(), fc.nat(), (n, mSeed, bit) => {
        const m = 1 + (mSeed % (n - 1));
        const log = logOf(n);
        const proof = proofOf(log, consistencyProofRanges(m, n));
        const [first, second] = [log.root(m), log.root(n)];
        expect(verifyConsistency(m, n, first, second, proof)).toBe(true);
        expect(verifyConsistency(m, n, flipBit(first, bit), second, proof)).toBe(false);
        expect(verifyConsistency(m, n, first, flipBit(second, bit), proof)).toBe(false);
        const tampered = proof.map((h, i) => (i === bit % proof.length ? flipBit(h, bit) : h));
        expect(verifyConsistency(m, n, first, second, tampered)).toBe(false);
        expect(verifyConsistency(m, n, first, second, proof.slice(0, -1))).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it('detects a rewritten history: a proof between two different logs never verifies', () => {
    const honest = logOf(20);
    const forked = new MemoryLog();
    for (let i = 0; i < 20; i++)
      forked.append(new TextEncoder().encode(i === 7 ? 'rewritten' : `leaf ${i}`));
    for (let m = 8; m < 20; m++) {
      const proof = proofOf(forked, consistencyProofRanges(m, 20));
      expect(verifyConsistency(m, 20, honest.root(m), forked.root(20), proof)).toBe(false);
    }
  });

  it('handles the edge sizes: from 0, and equal sizes', () => {
    const log = logOf(5);
    expect(consistencyProofRanges(0, 5)).toStrictEqual([]);
    expect(verifyConsistency(0, 5, emptyTreeHash(), log.root(), [])).toBe(true);
    expect(verifyConsistency(0, 5, emptyTreeHash(), log.root(), [log.root()])).toBe(false);
    expect(verifyConsistency(5, 5, log.root(), log.root(), [])).toBe(true);
    expect(verifyConsistency(5, 5, log.root(), log.root(4), [])).toBe(false);
    expect(verifyConsistency(3, 5, log.root(3), log.root(), [])).toBe(false);
    expect(verifyConsistency(6, 5, log.root(), log.root(), [])).toBe(false);
    expect(() => consistencyProofRanges(6, 5)).toThrow(RangeError);
  });
});
