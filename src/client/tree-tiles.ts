/**
 * The tree part of an audit alone, fast: a C2SP tlog-tiles tree of `size` leaves checked from its
 * hash tiles. Each full tile's 256 hashes are combined (RFC 9162 interior nodes) into its root,
 * which must be the hash one level up; the right edge (partial tiles and the top) is combined
 * into the tree's root, which must be the checkpoint's. So the tiles are one tree with that root,
 * without reading a leaf: what a monitor checks before (or instead of) the leaves' content.
 *
 * The hashing is the cost (one SHA-256 of 65 bytes per leaf, near enough), so it avoids objects:
 * one reused input buffer, and `crypto.hash` with a `binary` (latin1) string result, 32 characters
 * one per byte: about three times faster than `createHash().digest()` or a Buffer result.
 */
import { hash } from 'node:crypto';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { compiledWorkerFile } from '../files/worker-file.js';
import { HASH_SIZE } from '../log/hash.js';
import { rangeHash, rangeRefs } from '../log/subtree.js';
import { TILE_HEIGHT, TILE_WIDTH, tilePath, type TileId } from '../log/tiles.js';
import type { TileSource } from './tile-source.js';
import type { TileRootsReply, TileRootsTask } from './tree-tiles-worker.js';

/** Why the tiles are not one tree with the checkpoint's root; the message says where. */
export class TreeTilesError extends Error {
  override readonly name = 'TreeTilesError';
}

const input = Buffer.alloc(1 + 2 * HASH_SIZE);
input[0] = 0x01;

/** SHA-256(0x01 || left || right), hashes as latin1 strings. */
function node(left: string, right: string): string {
  input.write(left, 1, 'latin1');
  input.write(right, 1 + HASH_SIZE, 'latin1');
  return hash('sha256', input, 'binary');
}

/** The root of `count` (a power of two) consecutive hashes of `tile` from hash `first`. */
function runRoot(tile: Buffer, first: number, count: number): string {
  if (count === 1) return tile.toString('latin1', first * HASH_SIZE, (first + 1) * HASH_SIZE);
  const level: string[] = new Array<string>(count / 2);
  for (let i = 0; i < count / 2; i++) {
    const offset = (first + 2 * i) * HASH_SIZE;
    tile.copy(input, 1, offset, offset + 2 * HASH_SIZE);
    level[i] = hash('sha256', input, 'binary');
  }
  for (let width = count / 2; width > 1; width /= 2)
    for (let i = 0; i < width / 2; i++) level[i] = node(level[2 * i] ?? '', level[2 * i + 1] ?? '');
  return level[0] ?? '';
}

/** The roots of consecutive full tiles (8,192 bytes each), 32 bytes each. */
export function tileRoots(tiles: Buffer): Uint8Array {
  const count = tiles.length / (TILE_WIDTH * HASH_SIZE);
  const roots = new Uint8Array(count * HASH_SIZE);
  for (let i = 0; i < count; i++) {
    const tile = tiles.subarray(i * TILE_WIDTH * HASH_SIZE, (i + 1) * TILE_WIDTH * HASH_SIZE);
    roots.set(Buffer.from(runRoot(tile, 0, TILE_WIDTH), 'latin1'), i * HASH_SIZE);
  }
  return roots;
}

export interface VerifyTreeTilesOptions {
  /**
   * Worker threads combining level-0 tiles (nearly all the work) besides this one; default one
   * per core when the tree has more than WORKER_THRESHOLD full tiles, else none.
   */
  readonly threads?: number;
}

/**
 * Full level-0 tiles from which worker threads pay for their start (about 0.1 s for two here):
 * 1,024 tiles are 262,144 leaves, about 0.4 s on one thread.
 */
export const WORKER_THRESHOLD = 1024;

/** Full level-0 tiles sent to a worker at a time (2 MiB). */
const TILES_PER_TASK = 256;

export async function verifyTreeTiles(
  source: TileSource,
  size: number,
  rootHash: Uint8Array,
  options: VerifyTreeTilesOptions = {},
): Promise<void> {
  const reader = new TileReader(source, size);
  const fullAtZero = Math.floor(size / TILE_WIDTH);
  const threads =
    options.threads ?? (fullAtZero > WORKER_THRESHOLD ? os.availableParallelism() : 0);
  const pool = threads > 0 ? new TileRootsPool(threads) : undefined;
  try {
    for (let level = 0; reader.hashesAt(level) >= TILE_WIDTH; level++) {
      const full = Math.floor(reader.hashesAt(level) / TILE_WIDTH);
      const check = async (index: number, root: string): Promise<void> => {
        if (root !== (await reader.hash(level + 1, index)))
          throw new TreeTilesError(
            `the hashes of ${tilePath(reader.id(level, index))} do not combine into hash ${index % TILE_WIDTH} of ${tilePath(reader.id(level + 1, Math.floor(index / TILE_WIDTH)))}`,
          );
      };
      if (level === 0 && pool !== undefined) {
        await pool.checkLevel(reader, full, check);
        continue;
      }
      // A few tiles read ahead while the hashing goes on.
      const ahead: Promise<Buffer>[] = [];
      let next = 0;
      for (let index = 0; index < full; index++) {
        while (next < full && ahead.length < 8) ahead.push(reader.read(level, next++));
        await check(index, runRoot((await ahead.shift()) as Buffer, 0, TILE_WIDTH));
      }
    }
  } finally {
    await pool?.close();
  }
  // The right edge: each complete subtree of the tree's decomposition, from the tile it lies in.
  const range = { start: 0, end: size };
  const refs = rangeRefs(range);
  const hashes = new Map<string, Uint8Array>();
  for (const ref of refs) {
    const level = Math.floor(ref.level / TILE_HEIGHT);
    const count = 2 ** (ref.level - level * TILE_HEIGHT);
    const first = ref.index * count;
    const tile = await reader.read(level, Math.floor(first / TILE_WIDTH));
    const root = runRoot(tile, first % TILE_WIDTH, count);
    hashes.set(`${ref.level}/${ref.index}`, new Uint8Array(Buffer.from(root, 'latin1')));
  }
  const root = rangeHash(range, (level, index) => hashes.get(`${level}/${index}`) as Uint8Array);
  if (Buffer.compare(root, rootHash) !== 0)
    throw new TreeTilesError(
      `the tiles make a tree of size ${size} whose root is not the one its checkpoint signs`,
    );
}

/** Worker threads computing tile roots (tree-tiles-worker.ts), fed runs of level-0 tiles. */
class TileRootsPool {
  private readonly workers: Worker[];
  private nextId = 0;
  private readonly waiting = new Map<
    number,
    { resolve: (roots: Uint8Array) => void; reject: (error: Error) => void }
  >();

  constructor(threads: number) {
    const file = compiledWorkerFile(import.meta.url, 'tree-tiles-worker.js');
    this.workers = Array.from({ length: threads }, () => {
      const worker = new Worker(file);
      worker.on('message', (reply: TileRootsReply) => {
        this.waiting.get(reply.id)?.resolve(reply.roots);
        this.waiting.delete(reply.id);
      });
      worker.on('error', (error) => {
        for (const waiter of this.waiting.values()) waiter.reject(error);
        this.waiting.clear();
      });
      return worker;
    });
  }

  /** Every full level-0 tile's root, computed in the workers, checked in order with `check`. */
  async checkLevel(
    reader: TileReader,
    full: number,
    check: (index: number, root: string) => Promise<void>,
  ): Promise<void> {
    const runs: Promise<{ first: number; roots: Uint8Array }>[] = [];
    let next = 0;
    const submit = (): void => {
      while (next < full && runs.length < this.workers.length * 2) {
        const first = next;
        const count = Math.min(TILES_PER_TASK, full - first);
        next += count;
        const worker = this.workers[(first / TILES_PER_TASK) % this.workers.length] as Worker;
        runs.push(
          Promise.all(Array.from({ length: count }, (_, i) => reader.read(0, first + i))).then(
            (tiles) =>
              new Promise((resolve, reject) => {
                // A copy that owns its memory: the transfer detaches it.
                const owned = new Uint8Array(Buffer.concat(tiles));
                const id = this.nextId++;
                this.waiting.set(id, {
                  resolve: (roots) => {
                    resolve({ first, roots });
                  },
                  reject,
                });
                worker.postMessage({ id, tiles: owned } satisfies TileRootsTask, [owned.buffer]);
              }),
          ),
        );
        runs.at(-1)?.catch(() => undefined);
      }
    };
    submit();
    for (let run = runs.shift(); run !== undefined; run = runs.shift()) {
      const { first, roots } = await run;
      submit();
      const text = Buffer.from(roots.buffer, roots.byteOffset, roots.byteLength);
      for (let i = 0; i < roots.length / HASH_SIZE; i++)
        await check(first + i, text.toString('latin1', i * HASH_SIZE, (i + 1) * HASH_SIZE));
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}

/** Tiles of one tree: each read at the width the tree gives it, the last one per level kept. */
class TileReader {
  private readonly last = new Map<number, { index: number; tile: Promise<Buffer> }>();

  constructor(
    private readonly source: TileSource,
    private readonly size: number,
  ) {}

  /** Hashes at tree level 8 * `level` (complete subtrees of 256^level leaves). */
  hashesAt(level: number): number {
    return Math.floor(this.size / TILE_WIDTH ** level);
  }

  id(level: number, index: number): TileId {
    return {
      level,
      index,
      width: Math.min(TILE_WIDTH, this.hashesAt(level) - index * TILE_WIDTH),
    };
  }

  read(level: number, index: number): Promise<Buffer> {
    const kept = this.last.get(level);
    if (kept?.index === index) return kept.tile;
    const id = this.id(level, index);
    const tile = this.source.read(tilePath(id)).then((bytes) => {
      if (bytes.length !== id.width * HASH_SIZE)
        throw new TreeTilesError(
          `${tilePath(id)} is ${bytes.length} bytes; ${id.width} hashes are ${id.width * HASH_SIZE}`,
        );
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    });
    this.last.set(level, { index, tile });
    return tile;
  }

  /** Hash `index` of tree level 8 * `level`, as a latin1 string. */
  async hash(level: number, index: number): Promise<string> {
    const tile = await this.read(level, Math.floor(index / TILE_WIDTH));
    const offset = (index % TILE_WIDTH) * HASH_SIZE;
    return tile.toString('latin1', offset, offset + HASH_SIZE);
  }
}
