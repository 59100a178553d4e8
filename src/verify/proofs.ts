/**
 * Merkle proofs against signed checkpoints (RFC 9162 §2.1.3.2 inclusion, §2.1.4.2 consistency;
 * the same proofs as RFC 6962 and Go's sumdb/tlog). Proof hashes are the base64 strings the
 * registry serves, or raw 32-byte hashes.
 */
import { base64Decode } from '../crypto/encoding.js';
import type { Checkpoint } from '../log/checkpoint.js';
import { HASH_SIZE, leafHash } from '../log/hash.js';
import { verifyConsistency, verifyInclusion } from '../log/proof.js';
import { EvidenceError } from './errors.js';

/** The part of a checkpoint a proof is checked against (a Go `tlog.Tree` fits too). */
export type TreeHead = Pick<Checkpoint, 'size' | 'rootHash'> & { readonly origin?: string };

export type ProofHashes = readonly (string | Uint8Array)[];

/**
 * Verifies that `leaf` (the exact logged bytes) is at `index` in the tree `checkpoint` signs.
 * Throws EvidenceError `malformed-proof` or `inclusion-mismatch`.
 */
export function verifyInclusionProof(
  leaf: Uint8Array,
  index: number,
  proof: ProofHashes,
  checkpoint: TreeHead,
): void {
  if (!Number.isSafeInteger(index) || index < 0 || index >= checkpoint.size)
    throw new EvidenceError(
      'malformed-proof',
      `leaf index ${index} is not in the tree of size ${checkpoint.size}`,
    );
  if (!verifyInclusion(index, checkpoint.size, leafHash(leaf), decode(proof), checkpoint.rootHash))
    throw new EvidenceError(
      'inclusion-mismatch',
      `the inclusion proof does not put leaf ${index} in the tree of size ${checkpoint.size}`,
    );
}

/**
 * Verifies that the tree `older` signs is a prefix of the tree `newer` signs. Throws
 * EvidenceError `not-newer` (smaller, or another origin), `malformed-proof`,
 * `consistency-mismatch`.
 */
export function verifyConsistencyProof(older: TreeHead, newer: TreeHead, proof: ProofHashes): void {
  if (older.origin !== undefined && newer.origin !== undefined && older.origin !== newer.origin)
    throw new EvidenceError(
      'not-newer',
      `the checkpoints are of two logs: ${JSON.stringify(older.origin)} and ${JSON.stringify(newer.origin)}`,
    );
  if (newer.size < older.size)
    throw new EvidenceError(
      'not-newer',
      `the tree of size ${newer.size} is smaller than the tree of size ${older.size} seen before`,
    );
  if (!verifyConsistency(older.size, newer.size, older.rootHash, newer.rootHash, decode(proof)))
    throw new EvidenceError(
      'consistency-mismatch',
      `the tree of size ${older.size} is not shown to be a prefix of the tree of size ${newer.size}`,
    );
}

/** Proof hashes come from JSON answers: anything but a list of hashes is `malformed-proof`. */
function decode(proof: ProofHashes): Uint8Array[] {
  if (!Array.isArray(proof))
    throw new EvidenceError('malformed-proof', 'the proof is not a list of hashes');
  return proof.map((hash: unknown, i) => {
    let bytes: Uint8Array;
    if (hash instanceof Uint8Array) bytes = hash;
    else if (typeof hash !== 'string')
      throw new EvidenceError('malformed-proof', `proof hash ${i} is not a base64 string`);
    else
      try {
        bytes = base64Decode(hash, `proof hash ${i}`);
      } catch (error) {
        throw new EvidenceError('malformed-proof', `proof hash ${i} is not base64`, {
          cause: error,
        });
      }
    if (bytes.length !== HASH_SIZE)
      throw new EvidenceError(
        'malformed-proof',
        `proof hash ${i} is ${bytes.length} bytes, not 32`,
      );
    return bytes;
  });
}
