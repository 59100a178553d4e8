/**
 * C2SP tlog-tiles (https://c2sp.org/tlog-tiles): the log as immutable static files.
 *
 * A hash tile `tile/<L>/<N>[.p/<W>]` holds W (1 to 256) consecutive hashes of tree level 8L:
 * hashes N * 256 to N * 256 + W - 1 of that level, each the root of a complete subtree of
 * 2^(8L) leaves (level 0: leaf hashes), 32 bytes each, concatenated. A tile of 256 hashes is
 * full and never changes; a partial one (`.p/<W>`) holds the first W hashes of a tile the log
 * has not filled yet, and its bytes never change either (an append-only tree only adds hashes
 * to the right). An entry bundle `tile/entries/<N>[.p/<W>]` holds leaves N * 256 to
 * N * 256 + W - 1, each as a big-endian uint16 length and the leaf bytes.
 *
 * N is written as groups of three decimal digits, every group but the last prefixed with `x`:
 * 1234067 is `x001/x234/067`. Each tile has exactly one path; any other spelling is refused.
 *
 * The hashes of a tile are what the store keeps anyway (log/subtree.ts: every complete subtree
 * hash, written once by the sequencer when it appends), so a tile is read, never recomputed.
 */
import { HASH_SIZE } from './hash.js';
import type { SubtreeRef } from './subtree.js';

/** Tree levels per tile (the spec fixes 8). */
export const TILE_HEIGHT = 8;
/** Hashes (or entries) in a full tile: 2^TILE_HEIGHT. */
export const TILE_WIDTH = 256;
/** The largest leaf an entry bundle can hold: its length is a uint16. */
export const MAX_BUNDLE_ENTRY_BYTES = 0xffff;

/** A hash tile (`level` >= 0) or an entry bundle (`level` 'entries'). */
export interface TileId {
  readonly level: number | 'entries';
  readonly index: number;
  /** 1 to 256; 256 is a full tile. */
  readonly width: number;
}

export class TilePathError extends Error {
  override readonly name = 'TilePathError';
}

/** The largest tile level a log of 2^53 leaves (JavaScript's safe integers) can have. */
const MAX_LEVEL = Math.floor(53 / TILE_HEIGHT);

/** The path of N: `x001/x234/067`. */
export function tileIndexPath(index: number): string {
  if (!Number.isSafeInteger(index) || index < 0)
    throw new TilePathError(`tile index ${index} is not a non-negative safe integer`);
  const digits = String(index);
  const padded = digits.padStart(Math.ceil(digits.length / 3) * 3, '0');
  const groups: string[] = [];
  for (let i = 0; i < padded.length; i += 3) groups.push(padded.slice(i, i + 3));
  return groups.map((group, i) => (i < groups.length - 1 ? `x${group}` : group)).join('/');
}

/** `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`, without a leading slash. */
export function tilePath(tile: TileId): string {
  if (!Number.isInteger(tile.width) || tile.width < 1 || tile.width > TILE_WIDTH)
    throw new TilePathError(`tile width ${tile.width} is not 1 to ${TILE_WIDTH}`);
  const partial = tile.width === TILE_WIDTH ? '' : `.p/${tile.width}`;
  return `tile/${String(tile.level)}/${tileIndexPath(tile.index)}${partial}`;
}

const LEVEL = /^(0|[1-9][0-9]?)$/;
const GROUP = /^x[0-9]{3}$/;
const LAST_GROUP = /^[0-9]{3}$/;
const WIDTH = /^([1-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5])$/;

/**
 * The tile a path names (the part after `tile/`, e.g. `0/x001/234.p/17` or `entries/005`).
 * Throws TilePathError, saying what is wrong, for anything that is not the one canonical path
 * of a tile: a leading zero in a level or width, a group without three digits, a full tile
 * written as `.p/256`, an index with a superfluous leading `x000` group.
 */
export function parseTilePath(path: string): TileId {
  const segments = path.split('/');
  const levelText = segments.shift() ?? '';
  let level: number | 'entries';
  if (levelText === 'entries') level = 'entries';
  else if (LEVEL.test(levelText) && Number(levelText) <= MAX_LEVEL) level = Number(levelText);
  else
    throw new TilePathError(
      `tile level ${JSON.stringify(levelText)} is not "entries" or a decimal from 0 to ${MAX_LEVEL}`,
    );
  let width = TILE_WIDTH;
  if (segments.length >= 2 && segments.at(-2)?.endsWith('.p')) {
    const widthText = segments.pop() ?? '';
    if (!WIDTH.test(widthText))
      throw new TilePathError(
        `partial tile width ${JSON.stringify(widthText)} is not a decimal from 1 to 255`,
      );
    width = Number(widthText);
    const group = segments.pop() ?? '';
    segments.push(group.slice(0, -'.p'.length));
  }
  if (segments.length === 0) throw new TilePathError('tile path has no index');
  const finalGroup = segments[segments.length - 1] ?? '';
  if (!LAST_GROUP.test(finalGroup) || !segments.slice(0, -1).every((g) => GROUP.test(g)))
    throw new TilePathError(
      `tile index ${JSON.stringify(segments.join('/'))} is not groups of three digits, each but the last prefixed with x (e.g. x001/234)`,
    );
  if (segments.length > 1 && segments[0] === 'x000')
    throw new TilePathError(
      `tile index ${JSON.stringify(segments.join('/'))} has a leading x000 group`,
    );
  const index = Number(segments.map((g) => g.replace('x', '')).join(''));
  if (!Number.isSafeInteger(index))
    throw new TilePathError(`tile index ${segments.join('/')} is too large`);
  return { level, index, width };
}

/** How many hashes tree level `treeLevel` has in a tree of `size` leaves (complete subtrees). */
function hashesAtLevel(size: number, treeLevel: number): number {
  return Math.floor(size / 2 ** treeLevel);
}

/**
 * Whether a tree of `size` leaves contains `tile`: every hash (or leaf) it holds is in the tree.
 * A partial tile narrower than the tree has filled it is contained too (its bytes are fixed).
 */
export function tileInTree(tile: TileId, size: number): boolean {
  const available = tile.level === 'entries' ? size : hashesAtLevel(size, tile.level * TILE_HEIGHT);
  return tile.index * TILE_WIDTH + tile.width <= available;
}

/** The stored subtree hashes a hash tile is made of, in order. */
export function tileRefs(tile: TileId): SubtreeRef[] {
  if (tile.level === 'entries') throw new TilePathError('an entry bundle holds leaves, not hashes');
  const level = tile.level * TILE_HEIGHT;
  const first = tile.index * TILE_WIDTH;
  return Array.from({ length: tile.width }, (_, i) => ({ level, index: first + i }));
}

/** The leaf range [start, end) an entry bundle holds. */
export function bundleRange(tile: TileId): { start: number; end: number } {
  const start = tile.index * TILE_WIDTH;
  return { start, end: start + tile.width };
}

/**
 * Every tile of a tree of `size` leaves: for each level with at least one hash, the full tiles
 * and, if the level does not end on a tile boundary, the one partial tile at its right edge;
 * then the entry bundles likewise. Together they are the whole tree as static files.
 */
export function* tilesOf(size: number): Generator<TileId> {
  for (let level = 0; hashesAtLevel(size, level * TILE_HEIGHT) > 0; level++) {
    yield* levelTiles(level, hashesAtLevel(size, level * TILE_HEIGHT));
  }
  yield* levelTiles('entries', size);
}

function* levelTiles(level: number | 'entries', count: number): Generator<TileId> {
  const full = Math.floor(count / TILE_WIDTH);
  for (let index = 0; index < full; index++) yield { level, index, width: TILE_WIDTH };
  if (count % TILE_WIDTH > 0) yield { level, index: full, width: count % TILE_WIDTH };
}

/** A hash tile's bytes: its hashes concatenated. */
export function encodeHashTile(hashes: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(hashes.length * HASH_SIZE);
  hashes.forEach((hash, i) => {
    if (hash.length !== HASH_SIZE) throw new TilePathError(`hash ${i} is ${hash.length} bytes`);
    out.set(hash, i * HASH_SIZE);
  });
  return out;
}

/** A hash tile's hashes; throws unless it is exactly `width` hashes. */
export function decodeHashTile(bytes: Uint8Array, width: number): Uint8Array[] {
  if (bytes.length !== width * HASH_SIZE)
    throw new TilePathError(
      `hash tile is ${bytes.length} bytes; ${width} hashes are ${width * HASH_SIZE}`,
    );
  return Array.from({ length: width }, (_, i) =>
    bytes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE),
  );
}

/** An entry bundle's bytes. Throws for a leaf of more than MAX_BUNDLE_ENTRY_BYTES. */
export function encodeEntryBundle(leaves: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  leaves.forEach((leaf, i) => {
    if (leaf.length > MAX_BUNDLE_ENTRY_BYTES)
      throw new TilePathError(
        `entry ${i} of the bundle is ${leaf.length} bytes; an entry bundle holds at most ${MAX_BUNDLE_ENTRY_BYTES}`,
      );
    total += 2 + leaf.length;
  });
  const out = new Uint8Array(total);
  let offset = 0;
  for (const leaf of leaves) {
    out[offset] = leaf.length >> 8;
    out[offset + 1] = leaf.length & 0xff;
    out.set(leaf, offset + 2);
    offset += 2 + leaf.length;
  }
  return out;
}

/** An entry bundle's leaves; throws unless it is exactly `width` well-formed entries. */
export function decodeEntryBundle(bytes: Uint8Array, width: number): Uint8Array[] {
  const leaves: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 2 > bytes.length)
      throw new TilePathError(`entry bundle ends inside the length of entry ${leaves.length}`);
    const length = ((bytes[offset] ?? 0) << 8) | (bytes[offset + 1] ?? 0);
    if (offset + 2 + length > bytes.length)
      throw new TilePathError(
        `entry ${leaves.length} of the bundle says ${length} bytes but ${bytes.length - offset - 2} remain`,
      );
    leaves.push(bytes.subarray(offset + 2, offset + 2 + length));
    offset += 2 + length;
  }
  if (leaves.length !== width)
    throw new TilePathError(`entry bundle holds ${leaves.length} entries; expected ${width}`);
  return leaves;
}
