/**
 * `matriz audit`: a monitor's full check of a log from its C2SP tlog-tiles tree (tile-source.ts),
 * trusting nothing the log says about itself.
 *
 * - the checkpoint verifies under the keys the client pinned (log-session.ts), and under the
 *   trust state the log itself replays to;
 * - every entry bundle's leaves hash to the level-0 tile, every level-8k hash the leaves make is
 *   the one in its tile at level k, and the root they make is the checkpoint's;
 * - every leaf passes the checks the registry made when it wrote it, with the same code
 *   (registry/leaf-check.ts on every core, registry/log-replay.ts in order): owner signature,
 *   request, NodeSpec, nonce, revocation, entitlement, name ownership, and every trust record;
 * - the tree has the root the client's pinned checkpoint has, at that size (else: fork).
 *
 * Resumable: with a state directory, progress (the tree's frontier, the replayed state in a
 * SQLite scratch file) is committed every few thousand leaves and when the audit ends, so an
 * interrupted audit goes on where it stopped and the next audit of a grown log checks only the
 * new leaves (against the root it computed itself, so history cannot change unnoticed).
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { KeyAlgorithm } from '../crypto/algorithms.js';
import { base64Decode, base64Encode, equalBytes } from '../crypto/encoding.js';
import type { SignatureSuite } from '../crypto/suite.js';
import type { CheckpointKeySet, CheckpointVerifier } from '../log/checkpoint-signature.js';
import { parseCheckpoint, type Checkpoint } from '../log/checkpoint.js';
import { checkWitnessPolicy, type WitnessPolicy } from '../log/cosignature.js';
import { NoteError, parseNote } from '../log/note.js';
import {
  decodeEntryBundle,
  decodeHashTile,
  TILE_HEIGHT,
  TILE_WIDTH,
  tilePath,
  TilePathError,
  type TileId,
} from '../log/tiles.js';
import { LeafCheckPool, threadsFor } from '../registry/leaf-check-pool.js';
import type { LeafCheck } from '../registry/leaf-check.js';
import { LogReplay, TreeHasher } from '../registry/log-replay.js';
import type { EntitlementPolicy } from '../registry/policy.js';
import { ScratchSpace, type ScratchMap } from '../store/scratch.js';
import type { SubtreeHash } from '../store/store.js';
import { verifyCheckpoint } from '../trust/checkpoint.js';
import { TrustError } from '../trust/errors.js';
import { openVerifiedCheckpoint, VerificationError } from './log-verifier.js';
import type { TileSource } from './tile-source.js';

export interface AuditOptions {
  readonly source: TileSource;
  /** The keys the client pinned for this log (or its trust root's log keys). */
  readonly verifier: CheckpointVerifier | CheckpointKeySet;
  /** Witnesses that must have cosigned the checkpoint (k of n), if the client requires them. */
  readonly witnessPolicy?: WitnessPolicy;
  /** The last checkpoint the client verified, if any: the tree must have its root at its size. */
  readonly pinned?: Checkpoint;
  /** Where progress is kept between runs (one directory per log); none: start from 0. */
  readonly stateDir?: string;
  /** Start from leaf 0 even if the state directory holds progress. */
  readonly restart?: boolean;
  readonly loadSuite: (algorithm: KeyAlgorithm) => Promise<SignatureSuite>;
  /** The entitlement policy the registry runs with (`serve --policy`). */
  readonly policy?: EntitlementPolicy;
  /** Worker threads checking leaves; default one per core. */
  readonly threads?: number;
  readonly onProgress?: (checked: number, size: number) => void;
}

export interface AuditReport {
  /** No problem in any leaf (tree and signature failures throw instead). */
  readonly ok: boolean;
  readonly origin: string;
  readonly size: number;
  /** The checkpoint note audited. */
  readonly note: string;
  /** The root hash, base64: computed from the leaves, equal to the checkpoint's. */
  readonly root: string;
  /** Where this run started (0, or the size an earlier audit reached). */
  readonly resumedFrom: number;
  /** Leaves this run checked. */
  readonly checked: number;
  readonly entries: number;
  /** What the registry should not have logged, at most 100. */
  readonly problems: readonly string[];
}

/** The log's tiles contradict themselves or its checkpoint: it cannot be the log it claims. */
export class AuditFailure extends VerificationError {}

/** The tree does not have a root the client saw before at that size: a fork or rollback. */
export class AuditForkError extends Error {
  override readonly name = 'AuditForkError';
}

const MAX_PROBLEMS = 100;
/** Progress is committed after this many bundles (256 leaves each). */
const COMMIT_BUNDLES = 64;

interface Progress {
  readonly origin: string;
  readonly size: number;
  readonly root: string;
  readonly frontier: readonly { level: number; index: number; hash: string }[];
  /** Problems found in the leaves checked so far: reported again by every resumed run. */
  readonly problems: readonly string[];
}

export async function auditLog(options: AuditOptions): Promise<AuditReport> {
  const note = new TextDecoder().decode(await options.source.read('checkpoint'));
  const checkpoint = openVerifiedCheckpoint(note, options.verifier);
  if (options.witnessPolicy !== undefined) {
    try {
      checkWitnessPolicy(parseNote(note), checkpoint, options.witnessPolicy, {
        ed25519: await options.loadSuite('ed25519'),
        mlDsa44: await options.loadSuite('ml-dsa-44'),
      });
    } catch (error) {
      if (error instanceof NoteError) throw new AuditFailure(`witness policy: ${error.message}`);
      throw error;
    }
  }
  const size = checkpoint.size;
  const { pinned } = options;
  if (pinned !== undefined && pinned.size > size)
    throw new AuditForkError(
      `the log rolled back: its checkpoint is of size ${size}, this client verified one of size ${pinned.size}`,
    );
  let scratch: ScratchSpace;
  if (options.stateDir === undefined) scratch = new ScratchSpace();
  else {
    await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
    const file = path.join(options.stateDir, 'replay.sqlite3');
    if (options.restart)
      await Promise.all(
        ['', '-wal', '-shm'].map((suffix) => rm(`${file}${suffix}`, { force: true })),
      );
    scratch = new ScratchSpace(file);
  }
  const threads = threadsFor(size, options.threads);
  const pool = new LeafCheckPool({
    origin: checkpoint.origin,
    ...(threads === undefined ? {} : { threads }),
  });
  try {
    return await audit(options, note, checkpoint, scratch, pool);
  } finally {
    await pool.close();
    scratch.close();
  }
}

async function audit(
  options: AuditOptions,
  note: string,
  checkpoint: Checkpoint,
  scratch: ScratchSpace,
  pool: LeafCheckPool,
): Promise<AuditReport> {
  const { source, pinned } = options;
  const size = checkpoint.size;
  const progressMap = scratch.map<Progress>();
  const replay = new LogReplay(scratch, {
    origin: checkpoint.origin,
    loadSuite: options.loadSuite,
    ...(options.policy === undefined ? {} : { policy: options.policy }),
  });
  const saved = progressMap.get('progress');
  if (saved !== undefined && saved.origin !== checkpoint.origin)
    throw new VerificationError(
      `the audit state is for log ${saved.origin}, the checkpoint is of ${checkpoint.origin}`,
    );
  if (saved !== undefined && saved.size > size)
    throw new AuditForkError(
      `the log rolled back: its checkpoint is of size ${size}, an earlier audit checked ${saved.size} leaves`,
    );
  const tree =
    saved === undefined
      ? new TreeHasher()
      : TreeHasher.resume(
          saved.size,
          saved.frontier.map((s) => ({ ...s, hash: base64Decode(s.hash, 'audit state') })),
        );
  if (saved !== undefined) await replay.resume();
  const resumedFrom = tree.leaves;
  const problems: string[] = [...(saved?.problems ?? [])];
  const problem = (message: string): void => {
    if (problems.length < MAX_PROBLEMS) problems.push(message);
  };
  const tiles = new TileCache(source, size);
  const checkRoot = (): void => {
    if (pinned !== undefined && tree.leaves === pinned.size && pinned.size > 0)
      if (!equalBytes(tree.root(), pinned.rootHash))
        throw new AuditForkError(
          `the log's leaves make another tree of size ${pinned.size} than the checkpoint this client verified: the log forked or rewrote history`,
        );
  };
  checkRoot();

  // Bundles read and checked ahead on every core while the replay goes on in order.
  const first = Math.floor(resumedFrom / TILE_WIDTH);
  const bundles = Math.ceil(size / TILE_WIDTH);
  type Fetched = { start: number; leaves: Uint8Array[]; checks: LeafCheck[]; hashes: Uint8Array[] };
  const ahead: Promise<Fetched>[] = [];
  let next = first;
  const fetchAhead = (): void => {
    while (next < bundles && ahead.length < pool.threads * 3) {
      const index = next++;
      const width = Math.min(TILE_WIDTH, size - index * TILE_WIDTH);
      const fetched = (async (): Promise<Fetched> => {
        const bundleId: TileId = { level: 'entries', index, width };
        const hashId: TileId = { level: 0, index, width };
        const [bundle, hashTile] = await Promise.all([
          source.read(tilePath(bundleId)),
          source.read(tilePath(hashId)),
        ]);
        const leaves = decode(() => decodeEntryBundle(bundle, width), bundleId);
        const hashes = decode(() => decodeHashTile(hashTile, width), hashId);
        return {
          start: index * TILE_WIDTH,
          leaves,
          hashes,
          checks: await pool.checkLeaves(leaves),
        };
      })();
      fetched.catch(() => undefined);
      ahead.push(fetched);
    }
  };
  await pool.ready;
  fetchAhead();
  let sinceCommit = 0;
  for (let item = ahead.shift(); item !== undefined; item = ahead.shift()) {
    const { start, leaves, checks, hashes } = await item;
    fetchAhead();
    for (const [offset, leaf] of leaves.entries()) {
      const index = start + offset;
      const check = checks[offset] as LeafCheck;
      if (!equalBytes(check.leafHash, hashes[offset] as Uint8Array))
        throw new AuditFailure(
          `leaf ${index} in ${tilePath({ level: 'entries', index: start / TILE_WIDTH, width: leaves.length })} does not hash to the leaf hash in ${tilePath({ level: 0, index: start / TILE_WIDTH, width: leaves.length })}`,
        );
      // Already checked by an earlier run: its hash was compared, and it is in the frontier.
      if (index < tree.leaves) continue;
      for (const subtree of tree.add(check.leafHash))
        if (tiles.holds(subtree)) await tiles.check(subtree);
      await replay.apply(index, leaf, check, problem);
      checkRoot();
    }
    tree.prune();
    options.onProgress?.(tree.leaves, size);
    if (++sinceCommit >= COMMIT_BUNDLES) {
      sinceCommit = 0;
      commit(scratch, progressMap, checkpoint.origin, tree, problems);
    }
  }
  if (!equalBytes(tree.root(), checkpoint.rootHash))
    throw new AuditFailure(
      `the tiles make a tree of size ${size} whose root is not the one its checkpoint signs${resumedFrom > 0 ? ` (the first ${resumedFrom} leaves are the ones an earlier audit checked: these tiles are wrong, or the log changed its history; --restart checks all again)` : ''}`,
    );
  // The checkpoint must also verify under the trust state the log itself records.
  if (replay.ledger.root !== undefined) {
    try {
      verifyCheckpoint(note, replay.ledger.root, replay.ledger.revocations, {
        ed25519: await options.loadSuite('ed25519'),
        mlDsa44: await options.loadSuite('ml-dsa-44'),
      });
    } catch (error) {
      if (error instanceof TrustError)
        throw new AuditFailure(
          `the checkpoint does not verify under the trust root the log records: ${error.message}`,
        );
      throw error;
    }
  }
  commit(scratch, progressMap, checkpoint.origin, tree, problems);
  return {
    ok: problems.length === 0,
    origin: checkpoint.origin,
    size,
    note,
    root: base64Encode(checkpoint.rootHash),
    resumedFrom,
    checked: size - resumedFrom,
    entries: replay.entries.size,
    problems,
  };
}

function commit(
  scratch: ScratchSpace,
  progressMap: ScratchMap<Progress>,
  origin: string,
  tree: TreeHasher,
  problems: readonly string[],
): void {
  progressMap.set('progress', {
    origin,
    size: tree.leaves,
    root: base64Encode(tree.root()),
    frontier: tree
      .frontier()
      .map((s) => ({ level: s.level, index: s.index, hash: base64Encode(s.hash) })),
    problems,
  } satisfies Progress);
  scratch.commit();
}

function decode<T>(read: () => T, tile: TileId): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof TilePathError)
      throw new AuditFailure(`${tilePath(tile)} is malformed: ${error.message}`);
    throw error;
  }
}

/**
 * The hash tiles above level 0, one per level at a time (the audit walks each level left to
 * right), each checked hash by hash against the subtree hashes the leaves make.
 */
class TileCache {
  private readonly current = new Map<number, { index: number; hashes: Uint8Array[] }>();

  constructor(
    private readonly source: TileSource,
    private readonly size: number,
  ) {}

  /** Whether `subtree` is a hash of a tile above level 0 (level 8k, k >= 1). */
  holds(subtree: SubtreeHash): boolean {
    return subtree.level > 0 && subtree.level % TILE_HEIGHT === 0;
  }

  async check(subtree: SubtreeHash): Promise<void> {
    const level = subtree.level / TILE_HEIGHT;
    const index = Math.floor(subtree.index / TILE_WIDTH);
    let tile = this.current.get(level);
    if (tile?.index !== index) {
      const available = Math.floor(this.size / 2 ** subtree.level);
      const width = Math.min(TILE_WIDTH, available - index * TILE_WIDTH);
      const id: TileId = { level, index, width };
      const bytes = await this.source.read(tilePath(id));
      tile = { index, hashes: decode(() => decodeHashTile(bytes, width), id) };
      this.current.set(level, tile);
    }
    const want = tile.hashes[subtree.index % TILE_WIDTH] as Uint8Array;
    if (!equalBytes(want, subtree.hash))
      throw new AuditFailure(
        `hash ${subtree.index % TILE_WIDTH} of ${tilePath({ level, index, width: tile.hashes.length })} is not the hash of the leaves below it`,
      );
  }
}

/** The origin a checkpoint note names, before its signatures are checked (to find its keys). */
export function checkpointOrigin(note: string): string {
  return parseCheckpoint(parseNote(note).text).origin;
}
