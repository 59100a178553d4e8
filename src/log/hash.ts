/**
 * Merkle tree hashing, RFC 9162 section 2.1.1 (identical to RFC 6962 section 2.1):
 * a leaf hash is SHA-256(0x00 || leaf), an interior node SHA-256(0x01 || left || right), and
 * the empty tree's hash is SHA-256 of nothing. The distinct prefixes make a leaf impossible
 * to pass off as an interior node (second-preimage resistance).
 */
import { sha256 } from '../crypto/sha256.js';

export const HASH_SIZE = 32;

const LEAF_PREFIX = new Uint8Array([0x00]);
const NODE_PREFIX = new Uint8Array([0x01]);

/** SHA-256(0x00 || leaf). */
export function leafHash(leaf: Uint8Array): Uint8Array {
  return sha256(LEAF_PREFIX, leaf);
}

/** SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(NODE_PREFIX, left, right);
}

/** The root hash of the empty tree: SHA-256 of the empty string. */
export function emptyTreeHash(): Uint8Array {
  return sha256(new Uint8Array(0));
}
