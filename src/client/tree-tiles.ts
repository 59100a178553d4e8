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
import { HASH_SIZE } from '../log/hash.js';
import { rangeHash, rangeRefs } from '../log/subtree.js';
import { TILE_HEIGHT, TILE_WIDTH, tilePath, type TileId } from '../log/tiles.js';
import type { TileSource } from './tile-source.js';

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

export async function verifyTreeTiles(
  source: TileSource,
  size: number,
  rootHash: Uint8Array,
): Promise<void> {
  const reader = new TileReader(source, size);
  for (let level = 0; reader.hashesAt(level) >= TILE_WIDTH; level++) {
    const full = Math.floor(reader.hashesAt(level) / TILE_WIDTH);
    // A few tiles read ahead while the hashing goes on.
    const ahead: Promise<Buffer>[] = [];
    let next = 0;
    for (let index = 0; index < full; index++) {
      while (next < full && ahead.length < 8) ahead.push(reader.read(level, next++));
      const tile = (await ahead.shift()) as Buffer;
      const want = await reader.hash(level + 1, index);
      if (runRoot(tile, 0, TILE_WIDTH) !== want)
        throw new TreeTilesError(
          `the hashes of ${tilePath(reader.id(level, index))} do not combine into hash ${index % TILE_WIDTH} of ${tilePath(reader.id(level + 1, Math.floor(index / TILE_WIDTH)))}`,
        );
    }
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
