import { rangeHash, rangeRefs, type LeafRange, type SubtreeLookup } from '../log/subtree.js';
import type { Store } from '../store/store.js';

/**
 * The hashes of several proofs (each a list of leaf ranges, log/proof.ts) from one batched read
 * of the stored subtree hashes they need.
 */
export async function readProofHashes(
  store: Store,
  proofs: readonly (readonly LeafRange[])[],
): Promise<Uint8Array[][]> {
  const refs = proofs.flatMap((ranges) => ranges.flatMap((range) => rangeRefs(range)));
  const unique = [...new Map(refs.map((ref) => [`${ref.level}/${ref.index}`, ref])).values()];
  const hashes = await store.readSubtreeHashes(unique);
  const stored = new Map(
    unique.map((ref, i) => [`${ref.level}/${ref.index}`, hashes[i] as Uint8Array]),
  );
  const lookup: SubtreeLookup = (level, index) => stored.get(`${level}/${index}`) as Uint8Array;
  return proofs.map((ranges) => ranges.map((range) => rangeHash(range, lookup)));
}
