/** verifyTreeTiles (src/client/tree-tiles.ts): the tiles of a tree checked without its leaves. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TileMissingError, type TileSource } from '../../src/client/tile-source.js';
import { TreeTilesError, verifyTreeTiles } from '../../src/client/tree-tiles.js';
import { leafHash } from '../../src/log/hash.js';
import { encodeHashTile, tilePath, tileRefs, tilesOf } from '../../src/log/tiles.js';
import { TreeHasher } from '../../src/registry/log-replay.js';

/** The hash tiles of a tree of `size` random leaves, in memory, and its root. */
function treeTiles(size: number): { files: Map<string, Uint8Array>; root: Uint8Array } {
  const tree = new TreeHasher();
  const hashes = new Map<string, Uint8Array>();
  for (let i = 0; i < size; i++)
    for (const subtree of tree.add(leafHash(randomBytes(40))))
      hashes.set(`${subtree.level}/${subtree.index}`, subtree.hash);
  const files = new Map<string, Uint8Array>();
  for (const tile of tilesOf(size))
    if (tile.level !== 'entries')
      files.set(
        tilePath(tile),
        encodeHashTile(
          tileRefs(tile).map((ref) => hashes.get(`${ref.level}/${ref.index}`) as Uint8Array),
        ),
      );
  return { files, root: tree.root() };
}

function memory(files: Map<string, Uint8Array>): TileSource & { reads: string[] } {
  const reads: string[] = [];
  return {
    location: 'memory',
    reads,
    read: (file) => {
      reads.push(file);
      const bytes = files.get(file);
      return bytes === undefined
        ? Promise.reject(new TileMissingError(`${file} is not there`))
        : Promise.resolve(bytes.slice());
    },
  };
}

describe('verifyTreeTiles', () => {
  it.each([
    [1, 0],
    [2, 0],
    [255, 0],
    [256, 0],
    [257, 2],
    [600, 0],
    [600, 2],
    [65_536, 2],
    [70_001, 0],
    [70_001, 2],
  ])(
    'accepts the tiles of a tree of %i leaves with its root (%i worker threads)',
    async (size, threads) => {
      const { files, root } = treeTiles(size);
      const source = memory(files);
      await expect(verifyTreeTiles(source, size, root, { threads })).resolves.toBeUndefined();
      // Every hash tile of the tree is read: a tile nobody reads is a tile nobody checked.
      expect(new Set(source.reads)).toStrictEqual(new Set(files.keys()));
    },
    60_000,
  );

  it('refuses another root, a changed hash in a full or partial tile, and a truncated tile', async () => {
    const size = 600;
    const { files, root } = treeTiles(size);
    const other = root.slice();
    other[0] = (other[0] ?? 0) ^ 1;
    await expect(verifyTreeTiles(memory(files), size, other)).rejects.toThrow(
      /whose root is not the one its checkpoint signs/,
    );
    const flip = (file: string, byte: number) => {
      const changed = new Map(files);
      const bytes = (files.get(file) as Uint8Array).slice();
      bytes[byte] = (bytes[byte] ?? 0) ^ 1;
      changed.set(file, bytes);
      return memory(changed);
    };
    for (const threads of [0, 2])
      await expect(verifyTreeTiles(flip('tile/0/001', 5), size, root, { threads })).rejects.toThrow(
        'the hashes of tile/0/001 do not combine into hash 1 of tile/1/000.p/2',
      );
    await expect(verifyTreeTiles(flip('tile/1/000.p/2', 40), size, root)).rejects.toThrow(
      TreeTilesError,
    );
    await expect(verifyTreeTiles(flip('tile/0/002.p/88', 0), size, root)).rejects.toThrow(
      /root is not the one its checkpoint signs/,
    );
    const truncated = new Map(files);
    truncated.set('tile/0/000', (files.get('tile/0/000') as Uint8Array).subarray(0, 8000));
    await expect(verifyTreeTiles(memory(truncated), size, root)).rejects.toThrow(
      'tile/0/000 is 8000 bytes; 256 hashes are 8192',
    );
    const missing = new Map(files);
    missing.delete('tile/1/000.p/2');
    await expect(verifyTreeTiles(memory(missing), size, root)).rejects.toThrow(TileMissingError);
  });
});
