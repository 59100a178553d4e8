/** C2SP tlog-tiles paths, widths and formats (src/log/tiles.ts). */
import { describe, expect, it } from 'vitest';
import {
  decodeEntryBundle,
  decodeHashTile,
  encodeEntryBundle,
  encodeHashTile,
  parseTilePath,
  tileIndexPath,
  tileInTree,
  tilePath,
  tileRefs,
  tilesOf,
  TilePathError,
} from '../../src/log/tiles.js';

describe('tile paths', () => {
  it.each([
    [0, '000'],
    [7, '007'],
    [999, '999'],
    [1000, 'x001/000'],
    [1234067, 'x001/x234/067'],
    [2 ** 40, 'x001/x099/x511/x627/776'],
  ])('writes index %d as %s, and reads it back', (index, path) => {
    expect(tileIndexPath(index)).toBe(path);
    expect(parseTilePath(`0/${path}`)).toStrictEqual({ level: 0, index, width: 256 });
  });

  it('names full and partial hash tiles and entry bundles as the spec does', () => {
    expect(tilePath({ level: 0, index: 1234067, width: 256 })).toBe('tile/0/x001/x234/067');
    expect(tilePath({ level: 2, index: 5, width: 17 })).toBe('tile/2/005.p/17');
    expect(tilePath({ level: 'entries', index: 1000, width: 1 })).toBe('tile/entries/x001/000.p/1');
    expect(parseTilePath('entries/x001/000.p/1')).toStrictEqual({
      level: 'entries',
      index: 1000,
      width: 1,
    });
    expect(parseTilePath('3/x001/234.p/255')).toStrictEqual({ level: 3, index: 1234, width: 255 });
  });

  it.each([
    ['0/12', /three digits/],
    ['0/0012', /three digits/],
    ['0/x000/012', /leading x000/],
    ['0/012/345', /three digits/],
    ['0/x12/345', /three digits/],
    ['00/000', /tile level "00"/],
    ['7/000', /tile level "7"/],
    ['data/000', /tile level "data"/],
    ['0/000.p/256', /width "256"/],
    ['0/000.p/0', /width "0"/],
    ['0/000.p/017', /width "017"/],
    ['0/000.p/', /width ""/],
    ['0/000.p', /three digits/],
    ['0', /no index/],
    ['0/', /three digits/],
    ['0/000/', /three digits/],
    ['entries/-01', /three digits/],
  ])('refuses %s: a tile has one path', (path, why) => {
    expect(() => parseTilePath(path)).toThrow(TilePathError);
    expect(() => parseTilePath(path)).toThrow(why);
  });

  it('refuses an index beyond the safe integers instead of rounding it', () => {
    expect(() => parseTilePath('0/x999/x999/x999/x999/x999/999')).toThrow(/too large/);
  });
});

describe('the tiles of a tree', () => {
  it('lists every level with hashes, full tiles then the partial right edge, then entry bundles', () => {
    const names = [...tilesOf(600)].map((tile) => tilePath(tile));
    expect(names).toStrictEqual([
      'tile/0/000',
      'tile/0/001',
      'tile/0/002.p/88',
      'tile/1/000.p/2',
      'tile/entries/000',
      'tile/entries/001',
      'tile/entries/002.p/88',
    ]);
    expect([...tilesOf(0)]).toStrictEqual([]);
    const big = [...tilesOf(65_536 + 1)].map((tile) => tilePath(tile));
    expect(big.filter((name) => name.startsWith('tile/0/'))).toHaveLength(257);
    expect(big).toContain('tile/1/000');
    expect(big).toContain('tile/2/000.p/1');
    expect(big).toContain('tile/entries/256.p/1');
  });

  it('knows which tiles a tree contains', () => {
    expect(tileInTree({ level: 0, index: 2, width: 88 }, 600)).toBe(true);
    expect(tileInTree({ level: 0, index: 2, width: 89 }, 600)).toBe(false);
    expect(tileInTree({ level: 0, index: 1, width: 256 }, 600)).toBe(true);
    expect(tileInTree({ level: 0, index: 0, width: 5 }, 600)).toBe(true);
    expect(tileInTree({ level: 1, index: 0, width: 2 }, 600)).toBe(true);
    expect(tileInTree({ level: 1, index: 0, width: 3 }, 600)).toBe(false);
    expect(tileInTree({ level: 2, index: 0, width: 1 }, 600)).toBe(false);
    expect(tileInTree({ level: 'entries', index: 2, width: 88 }, 600)).toBe(true);
    expect(tileInTree({ level: 'entries', index: 2, width: 89 }, 600)).toBe(false);
  });

  it('reads a hash tile from the subtree hashes of its tree level', () => {
    expect(tileRefs({ level: 1, index: 2, width: 3 })).toStrictEqual([
      { level: 8, index: 512 },
      { level: 8, index: 513 },
      { level: 8, index: 514 },
    ]);
    expect(() => tileRefs({ level: 'entries', index: 0, width: 1 })).toThrow(TilePathError);
  });
});

describe('tile formats', () => {
  it('a hash tile is its hashes concatenated, and is read back only at its width', () => {
    const hashes = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)];
    const tile = encodeHashTile(hashes);
    expect(tile).toHaveLength(64);
    expect(decodeHashTile(tile, 2)).toStrictEqual(hashes);
    expect(() => decodeHashTile(tile, 3)).toThrow(/64 bytes; 3 hashes are 96/);
    expect(() => encodeHashTile([new Uint8Array(31)])).toThrow(/31 bytes/);
  });

  it('an entry bundle is big-endian uint16 length-prefixed leaves', () => {
    const leaves = [new Uint8Array([7]), new Uint8Array(0), new Uint8Array(300).fill(9)];
    const bundle = encodeEntryBundle(leaves);
    expect([...bundle.subarray(0, 6)]).toStrictEqual([0, 1, 7, 0, 0, 1]);
    expect(bundle[6]).toBe(300 & 0xff);
    expect(decodeEntryBundle(bundle, 3)).toStrictEqual(leaves);
    expect(() => decodeEntryBundle(bundle, 2)).toThrow(/holds 3 entries; expected 2/);
    expect(() => decodeEntryBundle(bundle.subarray(0, bundle.length - 1), 3)).toThrow(
      /entry 2 of the bundle says 300 bytes but 299 remain/,
    );
    expect(() => decodeEntryBundle(new Uint8Array([0]), 1)).toThrow(/inside the length/);
    expect(encodeEntryBundle([new Uint8Array(0xffff)])).toHaveLength(0x10001);
    expect(() => encodeEntryBundle([new Uint8Array(0x10000)])).toThrow(/65536 bytes/);
  });
});
