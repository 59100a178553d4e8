/**
 * `matriz tiles export`: the log as a static C2SP tlog-tiles tree (log/tiles.ts) that any web
 * server or object store can serve: `checkpoint`, `tile/<L>/<N>[.p/<W>]` and
 * `tile/entries/<N>[.p/<W>]`, the same bytes as the server's routes (registry/tile-reader.ts).
 *
 * Incremental and safe to re-run into the same directory: a tile already there is compared with
 * the log's and left alone when equal; one that differs stops the export (another log's tree, or
 * a damaged file), never overwritten. Every file is written to a temporary name and renamed,
 * and the checkpoint last, so a reader of the directory never finds a checkpoint whose tiles are
 * missing.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { base64Encode } from '../crypto/encoding.js';
import { parseCheckpoint } from '../log/checkpoint.js';
import { parseNote } from '../log/note.js';
import { rangeHash, rangeRefs } from '../log/subtree.js';
import { tilePath, tilesOf } from '../log/tiles.js';
import { readTile } from '../registry/tile-reader.js';
import type { Store } from '../store/store.js';

export class TilesExportError extends Error {
  override readonly name = 'TilesExportError';
}

export interface TilesExportResult {
  /** The exported checkpoint's tree size. */
  readonly size: number;
  /** Its root hash, base64. */
  readonly root: string;
  /** Tiles (hash tiles and entry bundles) the tree has. */
  readonly tiles: number;
  /** Tiles written by this run; the rest were already there with the same bytes. */
  readonly written: number;
}

/** Exports the tree of the store's latest checkpoint to `outDir`. */
export async function exportTiles(
  store: Store,
  outDir: string,
  progress: (done: number, total: number) => void = () => undefined,
): Promise<TilesExportResult> {
  const stored = await store.latestCheckpoint();
  if (stored === undefined)
    throw new TilesExportError('the log has no signed checkpoint yet: nothing to export');
  const checkpoint = parseCheckpoint(parseNote(stored.note).text);
  const size = checkpoint.size;
  // The stored hashes must make the root the checkpoint signs, or the tiles would not verify.
  if (size > 0) {
    const range = { start: 0, end: size };
    const refs = rangeRefs(range);
    const hashes = await store.readSubtreeHashes(refs);
    const byRef = new Map(refs.map((ref, i) => [`${ref.level}/${ref.index}`, hashes[i]]));
    const root = rangeHash(range, (level, index) => byRef.get(`${level}/${index}`) as Uint8Array);
    if (base64Encode(root) !== base64Encode(checkpoint.rootHash))
      throw new TilesExportError(
        `the stored tree of size ${size} does not have the root its checkpoint signs: run matriz fsck`,
      );
  }
  const tiles = [...tilesOf(size)];
  let written = 0;
  for (const [done, tile] of tiles.entries()) {
    const relative = tilePath(tile);
    const bytes = await readTile(store, tile, size);
    if (await writeIfAbsent(path.join(outDir, relative), bytes, relative)) written++;
    progress(done + 1, tiles.length);
  }
  await writeAtomically(path.join(outDir, 'checkpoint'), new TextEncoder().encode(stored.note));
  return { size, root: base64Encode(checkpoint.rootHash), tiles: tiles.length, written };
}

/** Writes `bytes` at `file` unless it holds them already; throws if it holds other bytes. */
async function writeIfAbsent(file: string, bytes: Uint8Array, relative: string): Promise<boolean> {
  let existing: Buffer | undefined;
  try {
    existing = await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (existing !== undefined) {
    if (Buffer.compare(existing, bytes) === 0) return false;
    throw new TilesExportError(
      `${relative} in the output directory differs from this log's tile (another log's export, or a damaged file); refusing to overwrite it`,
    );
  }
  await writeAtomically(file, bytes);
  return true;
}

async function writeAtomically(file: string, bytes: Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.tmp-${process.pid}`;
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
