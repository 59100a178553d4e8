/**
 * Which hashes a log stores, and how any Merkle tree hash is computed from them.
 *
 * The log stores the hash of every *complete* subtree: `(level, index)` is the hash of leaves
 * [index * 2^level, (index + 1) * 2^level). Appending leaf n adds its leaf hash at level 0 and
 * one interior hash for each subtree it completes, so a log of n leaves stores fewer than 2n
 * hashes. Any range the RFC 9162 algorithms ask for, MTH(D[start:end]), is then computed from
 * O(log n) stored hashes; these functions say which ones (`rangeRefs`) and combine them
 * (`rangeHash`), so storage can fetch them in one batch, synchronously or not.
 */
import { nodeHash } from './hash.js';

/** A stored subtree hash: leaves [index * 2^level, (index + 1) * 2^level). */
export interface SubtreeRef {
  readonly level: number;
  readonly index: number;
}

/** A half-open range of leaf indexes, [start, end). */
export interface LeafRange {
  readonly start: number;
  readonly end: number;
}

/** Looks up a stored subtree hash; throws if the store does not have it. */
export type SubtreeLookup = (level: number, index: number) => Uint8Array;

/** The largest power of two strictly smaller than n (n >= 2), the split point of RFC 9162 2.1.1. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * Whether n (a safe integer >= 1) is a power of two. Not `(n & (n - 1)) === 0`: JavaScript's
 * bitwise operators truncate to 32 bits, so 3 * 2^32 would pass (issue 13, RT-FUZZ-20).
 */
export function isPowerOfTwo(n: number): boolean {
  return n >= 1 && 2 ** Math.round(Math.log2(n)) === n;
}

function isCompleteSubtree(start: number, size: number): boolean {
  return isPowerOfTwo(size) && start % size === 0;
}

function levelOf(size: number): number {
  return Math.log2(size);
}

/** The stored subtree hashes needed to compute MTH(D[start:end]), in a deterministic order. */
export function rangeRefs(range: LeafRange): SubtreeRef[] {
  const refs: SubtreeRef[] = [];
  const visit = (start: number, end: number): void => {
    const size = end - start;
    if (isCompleteSubtree(start, size)) {
      const level = levelOf(size);
      refs.push({ level, index: start / size });
      return;
    }
    const k = splitPoint(size);
    visit(start, start + k);
    visit(start + k, end);
  };
  checkRange(range);
  visit(range.start, range.end);
  return refs;
}

/** MTH(D[start:end]) (RFC 9162 section 2.1.1) from stored subtree hashes. */
export function rangeHash(range: LeafRange, lookup: SubtreeLookup): Uint8Array {
  const compute = (start: number, end: number): Uint8Array => {
    const size = end - start;
    if (isCompleteSubtree(start, size)) return lookup(levelOf(size), start / size);
    const k = splitPoint(size);
    return nodeHash(compute(start, start + k), compute(start + k, end));
  };
  checkRange(range);
  return compute(range.start, range.end);
}

/**
 * The subtree hashes that become complete when the leaf at `index` is appended, given the
 * leaf's hash and a lookup for hashes already stored. Level 0 is the leaf hash itself.
 */
export function completedSubtrees(
  index: number,
  leafHash: Uint8Array,
  lookup: SubtreeLookup,
): (SubtreeRef & { hash: Uint8Array })[] {
  const added = [{ level: 0, index, hash: leafHash }];
  let hash = leafHash;
  let level = 0;
  let position = index;
  // While this node is a right child, its parent is now complete.
  while (position % 2 === 1) {
    hash = nodeHash(lookup(level, position - 1), hash);
    level++;
    position = (position - 1) / 2;
    added.push({ level, index: position, hash });
  }
  return added;
}

function checkRange({ start, end }: LeafRange): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end <= start) {
    throw new RangeError(`invalid leaf range [${start}, ${end})`);
  }
}
