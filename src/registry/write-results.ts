/**
 * The answers to a committed batch: each write's log index, the signed checkpoint that includes
 * it and its inclusion proof against that checkpoint (docs/api.md).
 */
import { base64Encode } from '../crypto/encoding.js';
import { inclusionProofRanges } from '../log/proof.js';
import { rangeHash, type SubtreeLookup } from '../log/subtree.js';
import type { StoredCheckpoint, Store } from '../store/store.js';
import type { ControlResult } from '../verify/wire.js';
import { readProofHashes } from './proof-hashes.js';

/**
 * The leaves a batch appended, from index `from` on, and the hashes of the extended tree
 * (log-tree.ts `Extension.lookup`): every hash an inclusion proof of one of those leaves needs.
 * Its left siblings are complete subtrees of the tree before the batch, which are the frontier
 * that `lookup` holds, or subtrees the batch completed; the right ones are made of the batch's
 * own leaves.
 */
export interface AppendedLeaves {
  readonly from: number;
  readonly lookup: SubtreeLookup;
}

/**
 * The proofs of the leaves at `indexes` in the tree `checkpoint` signs: those of leaves the batch
 * just appended from `appended` (no store read), the others from one batched store read.
 */
export async function proveAll(
  store: Store,
  checkpoint: Pick<StoredCheckpoint, 'size' | 'note'>,
  indexes: readonly number[],
  appended?: AppendedLeaves,
): Promise<ControlResult[]> {
  const inBatch = (index: number): boolean => appended !== undefined && index >= appended.from;
  const older = indexes.filter((index) => !inBatch(index));
  const stored =
    older.length === 0
      ? []
      : await readProofHashes(
          store,
          older.map((index) => inclusionProofRanges(index, checkpoint.size)),
        );
  let next = 0;
  return indexes.map((index) => {
    const hashes =
      appended !== undefined && inBatch(index)
        ? inclusionProofRanges(index, checkpoint.size).map((range) =>
            rangeHash(range, appended.lookup),
          )
        : (stored[next++] ?? []);
    return {
      index,
      checkpoint: checkpoint.note,
      inclusion_proof: { index, size: checkpoint.size, hashes: hashes.map(base64Encode) },
    };
  });
}
