/**
 * The sequencer's view of the Merkle tree: its size, its frontier (the complete subtrees of its
 * decomposition, all an append needs to read) and the last tree this process signed or checked,
 * which every later tree must extend. A `LogTree` is a value: `extend` returns the tree after
 * some leaves without touching the store, and `LogTree.load` reads the stored tree and refuses
 * one that no longer extends what was signed (a fork, a rewrite, a lost append).
 */
import { equalBytes } from '../crypto/encoding.js';
import { parseCheckpoint } from '../log/checkpoint.js';
import { emptyTreeHash, leafHash } from '../log/hash.js';
import { parseNote } from '../log/note.js';
import { completedSubtrees, rangeHash, rangeRefs, type SubtreeLookup } from '../log/subtree.js';
import type { Store, SubtreeHash } from '../store/store.js';
import { RegistryProblem } from './problems.js';

/** A tree this log signed or checked: what the stored log must still contain. */
export interface SignedTree {
  readonly size: number;
  readonly root: Uint8Array;
}

/** The tree after an `extend`: the subtree hashes to store and the new root. */
export interface Extension {
  readonly tree: LogTree;
  readonly subtreeHashes: readonly SubtreeHash[];
  readonly root: Uint8Array;
  /** Every hash of the extended tree the batch's proofs could need before the append lands. */
  readonly lookup: SubtreeLookup;
}

export class LogTree {
  private constructor(
    readonly size: number,
    /** The complete subtrees of the decomposition of [0, size), by level. */
    private readonly frontier: ReadonlyMap<number, SubtreeHash>,
    /** The last tree signed or checked, undefined while the log is empty. */
    readonly signed: SignedTree | undefined,
  ) {}

  /**
   * The stored tree, checked against `previous` (the last tree this process signed or saw): the
   * latest stored checkpoint must sign the root of the stored hashes, and the stored tree must
   * contain `previous`. Otherwise throws `log-inconsistent` with what was found.
   */
  static async load(store: Store, previous: SignedTree | undefined): Promise<LogTree> {
    const size = await store.treeSize();
    const refs = size === 0 ? [] : rangeRefs({ start: 0, end: size });
    const hashes = await store.readSubtreeHashes(refs);
    const frontier = new Map(
      refs.map((ref, i) => [ref.level, { ...ref, hash: hashes[i] as Uint8Array }]),
    );
    const tree = new LogTree(size, frontier, previous);
    const root = size === 0 ? undefined : rangeHash({ start: 0, end: size }, tree.frontierLookup);
    const problem = await inconsistency(store, size, root, previous);
    if (problem !== undefined) throw new RegistryProblem('log-inconsistent', problem);
    return root === undefined ? tree : new LogTree(size, frontier, { size, root });
  }

  /** The tree after appending `leaves`, and the subtree hashes they complete. Pure. */
  extend(leaves: readonly Uint8Array[]): Extension {
    const added = new Map<string, Uint8Array>();
    const subtreeHashes: SubtreeHash[] = [];
    const lookup: SubtreeLookup = (level, index) => {
      const hash = added.get(`${level}/${index}`) ?? this.frontierHash(level, index);
      if (hash === undefined) throw new Error(`log tree: no hash for subtree (${level}, ${index})`);
      return hash;
    };
    leaves.forEach((leaf, offset) => {
      for (const subtree of completedSubtrees(this.size + offset, leafHash(leaf), lookup)) {
        added.set(`${subtree.level}/${subtree.index}`, subtree.hash);
        subtreeHashes.push(subtree);
      }
    });
    const size = this.size + leaves.length;
    // An empty extension of the empty log: its checkpoint signs the empty tree (RFC 9162 §2.1.1).
    const root = size === 0 ? emptyTreeHash() : rangeHash({ start: 0, end: size }, lookup);
    const frontier = new Map(
      (size === 0 ? [] : rangeRefs({ start: 0, end: size })).map((ref) => [
        ref.level,
        { ...ref, hash: lookup(ref.level, ref.index) },
      ]),
    );
    return { tree: new LogTree(size, frontier, { size, root }), subtreeHashes, root, lookup };
  }

  private readonly frontierLookup: SubtreeLookup = (level, index) => {
    const hash = this.frontierHash(level, index);
    if (hash === undefined) throw new Error(`log tree: no frontier hash (${level}, ${index})`);
    return hash;
  };

  private frontierHash(level: number, index: number): Uint8Array | undefined {
    const subtree = this.frontier.get(level);
    return subtree?.index === index ? subtree.hash : undefined;
  }
}

/** Why the stored tree of `size` (root `root`) is not a log that extends `previous`, if it is not. */
async function inconsistency(
  store: Store,
  size: number,
  root: Uint8Array | undefined,
  previous: SignedTree | undefined,
): Promise<string | undefined> {
  if (size > 0) {
    let latest = await store.latestCheckpoint();
    if (latest === undefined) return `the log has ${size} leaves but no checkpoint`;
    // Another writer (the sequencer replica, an operator command) may have appended since `size`
    // was read: then the checkpoint of that size is the one that must sign it. A checkpoint
    // beyond a tree that did not grow is a lost or removed append, and does not sign it.
    if (latest.size > size && (await store.treeSize()) >= latest.size) {
      latest = await store.checkpointAt(size);
      if (latest === undefined) return `the log has ${size} leaves but no checkpoint of that size`;
    }
    let signed;
    try {
      signed = parseCheckpoint(parseNote(latest.note).text);
    } catch (error) {
      return `the latest stored checkpoint is unreadable: ${(error as Error).message}`;
    }
    if (signed.size !== size || !equalBytes(signed.rootHash, root as Uint8Array))
      return `the latest stored checkpoint (size ${signed.size}) does not sign the stored tree of size ${size}`;
  }
  // Every tree extends the empty one (a new log's size-0 checkpoint).
  if (previous === undefined || previous.size === 0) return undefined;
  if (size < previous.size) return `the log shrank from size ${previous.size} to ${size}`;
  if (size === previous.size)
    return equalBytes(root as Uint8Array, previous.root)
      ? undefined
      : `the tree of size ${size} changed its root hash`;
  const oldRefs = rangeRefs({ start: 0, end: previous.size });
  const oldHashes = await store.readSubtreeHashes(oldRefs);
  const byKey = new Map(
    oldRefs.map((ref, i) => [`${ref.level}/${ref.index}`, oldHashes[i] as Uint8Array]),
  );
  const oldRoot = rangeHash({ start: 0, end: previous.size }, (level, index) => {
    const hash = byKey.get(`${level}/${index}`);
    if (hash === undefined) throw new Error(`log tree: no stored hash (${level}, ${index})`);
    return hash;
  });
  return equalBytes(oldRoot, previous.root)
    ? undefined
    : `the stored tree no longer contains the tree of size ${previous.size} this log signed: history was rewritten`;
}
