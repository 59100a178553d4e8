/**
 * RT-FUZZ (tree sizes): proofs and ranges of trees past 2^32 leaves. JavaScript's bitwise
 * operators truncate to 32 bits; the tree math must not. Consistency proofs for random sizes up
 * to 2^53 are checked against a BigInt transcription of RFC 9162 section 2.1.4.2, whose roots the
 * verifier must accept.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeHash } from '../../src/log/hash.js';
import { verifyConsistency } from '../../src/log/proof.js';
import { rangeRefs } from '../../src/log/subtree.js';
import { fuzzParameters, fuzzTimeout } from './fuzz.js';
import { observe } from './observe.js';

/**
 * RFC 9162 section 2.1.4.2, steps 1 to 6, over BigInt: the two roots a proof of m < n implies,
 * consuming proof hashes from `next` as the algorithm reads them.
 */
function rootsOf(
  m: bigint,
  n: bigint,
  firstRoot: Uint8Array,
  next: () => Uint8Array,
): { fr: Uint8Array; sr: Uint8Array; proof: Uint8Array[] } {
  const proof: Uint8Array[] = [];
  const take = () => {
    const hash = next();
    proof.push(hash);
    return hash;
  };
  const powerOfTwo = (m & (m - 1n)) === 0n;
  let fn = m - 1n;
  let sn = n - 1n;
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = powerOfTwo ? firstRoot : take();
  let sr = fr;
  while (sn !== 0n) {
    const c = take();
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return { fr, sr, proof };
}

/** Sizes that break 32-bit arithmetic: k * 2^32 + 2^j, and any size up to 2^53 - 1. */
const bigSize = fc.oneof(
  fc
    .tuple(fc.integer({ min: 1, max: 2 ** 20 }), fc.integer({ min: -1, max: 31 }))
    .map(([k, j]) => k * 2 ** 32 + (j < 0 ? 0 : 2 ** j)),
  fc.integer({ min: 2, max: Number.MAX_SAFE_INTEGER - 1 }),
);

describe('RT-FUZZ: trees past 2^32 leaves', () => {
  it(
    'RT-FUZZ-20: a consistency proof between sizes past 2^32 verifies as RFC 9162 computes it (no 32-bit truncation)',
    () => {
      let bigger = 0;
      fc.assert(
        fc.property(
          bigSize,
          fc.integer({ min: 1, max: 2 ** 40 }),
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          (m, gap, seed) => {
            const n = Math.min(m + gap, Number.MAX_SAFE_INTEGER);
            fc.pre(m < n);
            // The proof hashes are arbitrary: the verifier only hashes them together.
            let counter = 0;
            const next = () => nodeHash(seed, Uint8Array.of(counter++ & 0xff));
            const firstRoot = nodeHash(seed, seed);
            const { fr, sr, proof } = rootsOf(BigInt(m), BigInt(n), firstRoot, next);
            if (m >= 2 ** 32) bigger++;
            // For a power-of-two m, fr stays firstRoot; otherwise the proof implies it.
            expect(verifyConsistency(m, n, fr, sr, proof)).toBe(true);
          },
        ),
        fuzzParameters(300),
      );
      observe(`${bigger} of the sizes past 2^32`);
      expect(bigger).toBeGreaterThan(0);
    },
    fuzzTimeout(20_000),
  );

  it('RT-FUZZ-21: the stored subtrees of a range past 2^32 leaves are whole levels (was level 32.00000001)', () => {
    expect(rangeRefs({ start: 0, end: 2 ** 32 + 32 })).toEqual([
      { level: 32, index: 0 },
      { level: 5, index: 2 ** 27 },
    ]);
    expect(rangeRefs({ start: 0, end: 3 * 2 ** 32 })).toEqual([
      { level: 33, index: 0 },
      { level: 32, index: 2 },
    ]);
  });
});
