/**
 * Inclusion and consistency proofs, RFC 9162 sections 2.1.3 and 2.1.4 (the same proofs as
 * RFC 6962 and Go's `golang.org/x/mod/sumdb/tlog`).
 *
 * Generation is split in two so that storage can fetch what a proof needs in one batch: the
 * `*ProofRanges` functions list the leaf ranges whose hashes make up the proof, in proof
 * order, and `rangeHash` (subtree.ts) turns each into a hash. Verification is pure.
 */
import { equalBytes } from '../crypto/encoding.js';
import { nodeHash } from './hash.js';
import { isPowerOfTwo, splitPoint, type LeafRange } from './subtree.js';

/** The ranges whose hashes form PATH(index, D[0:size]), RFC 9162 section 2.1.3.1. */
export function inclusionProofRanges(index: number, size: number): LeafRange[] {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    throw new RangeError(`no inclusion proof for leaf ${index} in a tree of size ${size}`);
  }
  const ranges: LeafRange[] = [];
  const path = (m: number, start: number, end: number): void => {
    const n = end - start;
    if (n <= 1) return;
    const k = splitPoint(n);
    if (m < k) {
      path(m, start, start + k);
      ranges.push({ start: start + k, end });
    } else {
      path(m - k, start + k, end);
      ranges.push({ start, end: start + k });
    }
  };
  path(index, 0, size);
  return ranges;
}

/** The ranges whose hashes form PROOF(m, D[0:n]), RFC 9162 section 2.1.4.1. */
export function consistencyProofRanges(m: number, n: number): LeafRange[] {
  if (!Number.isSafeInteger(m) || !Number.isSafeInteger(n) || m < 0 || m > n) {
    throw new RangeError(`no consistency proof from size ${m} to size ${n}`);
  }
  const ranges: LeafRange[] = [];
  if (m === 0 || m === n) return ranges;
  const subproof = (m: number, start: number, end: number, complete: boolean): void => {
    const n = end - start;
    if (m === n) {
      if (!complete) ranges.push({ start, end });
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      subproof(m, start, start + k, complete);
      ranges.push({ start: start + k, end });
    } else {
      subproof(m - k, start + k, end, false);
      ranges.push({ start, end: start + k });
    }
  };
  subproof(m, 0, n, true);
  return ranges;
}

/** RFC 9162 section 2.1.3.2: the root hash an inclusion proof implies, or undefined if malformed. */
export function rootFromInclusionProof(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array | undefined {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size)
    return undefined;
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : undefined;
}

/** Whether `proof` shows the leaf with `leafHash` at `index` in the tree of `size` with `root`. */
export function verifyInclusion(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  const computed = rootFromInclusionProof(index, size, leafHash, proof);
  return computed !== undefined && equalBytes(computed, root);
}

/**
 * RFC 9162 section 2.1.4.2: whether `proof` shows that the tree of size `m` with `firstRoot`
 * is a prefix of the tree of size `n` with `secondRoot`. Size 0 is a prefix of everything
 * (with an empty proof); equal sizes need equal roots and an empty proof.
 */
export function verifyConsistency(
  m: number,
  n: number,
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!Number.isSafeInteger(m) || !Number.isSafeInteger(n) || m < 0 || m > n) return false;
  if (m === 0) return proof.length === 0;
  if (m === n) return proof.length === 0 && equalBytes(firstRoot, secondRoot);
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(m) ? [firstRoot, ...proof] : [...proof];
  let fn = m - 1;
  let sn = n - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0] as Uint8Array;
  let sr = fr;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(fr, firstRoot) && equalBytes(sr, secondRoot);
}
