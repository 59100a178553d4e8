/**
 * The answers to a committed batch: each write's log index, the signed checkpoint that includes
 * it and its inclusion proof against that checkpoint (docs/api.md), read in one store call.
 */
import { base64Encode } from '../crypto/encoding.js';
import { inclusionProofRanges } from '../log/proof.js';
import type { StoredCheckpoint, Store } from '../store/store.js';
import type { ControlResult } from '../verify/wire.js';
import { readProofHashes } from './proof-hashes.js';

/** The proofs of the leaves at `indexes` in the tree `checkpoint` signs. */
export async function proveAll(
  store: Store,
  checkpoint: Pick<StoredCheckpoint, 'size' | 'note'>,
  indexes: readonly number[],
): Promise<ControlResult[]> {
  const proofs = await readProofHashes(
    store,
    indexes.map((index) => inclusionProofRanges(index, checkpoint.size)),
  );
  return indexes.map((index, i) => ({
    index,
    checkpoint: checkpoint.note,
    inclusion_proof: {
      index,
      size: checkpoint.size,
      hashes: (proofs[i] ?? []).map(base64Encode),
    },
  }));
}
