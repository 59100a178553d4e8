/**
 * Tiles (log/tiles.ts) read from a store: the hashes and leaves the sequencer stored when it
 * appended them, concatenated. Shared by the server's `/tile/` routes and `matriz tiles export`,
 * so the files a web server serves and the server's answers are the same bytes.
 */
import {
  bundleRange,
  encodeEntryBundle,
  encodeHashTile,
  MAX_BUNDLE_ENTRY_BYTES,
  tileInTree,
  tilePath,
  tileRefs,
  type TileId,
} from '../log/tiles.js';
import type { Store } from '../store/store.js';
import { RegistryProblem } from './problems.js';

/**
 * The bytes of `tile` in the tree of `size` leaves (a published checkpoint's size).
 * `not-found` for a tile that tree does not contain yet.
 */
export async function readTile(store: Store, tile: TileId, size: number): Promise<Uint8Array> {
  if (!tileInTree(tile, size))
    throw new RegistryProblem(
      'not-found',
      `${tilePath(tile)} is not in the log yet: its checkpoint has ${size} entries`,
    );
  if (tile.level !== 'entries')
    return encodeHashTile(await store.readSubtreeHashes(tileRefs(tile)));
  const { start, end } = bundleRange(tile);
  const leaves = await store.readLeaves(start, end);
  const large = leaves.findIndex((leaf) => leaf.length > MAX_BUNDLE_ENTRY_BYTES);
  // Only a log written before the registry bounded its entries can hold such a leaf.
  if (large >= 0)
    throw new RegistryProblem(
      'internal-error',
      `log entry ${start + large} is ${leaves[large]?.length} bytes, more than an entry bundle holds (${MAX_BUNDLE_ENTRY_BYTES}); read it at /api/v1/log/entries/${start + large}`,
    );
  if (leaves.length !== tile.width)
    throw new RegistryProblem(
      'internal-error',
      `the store returned ${leaves.length} of log entries ${start} to ${end - 1}`,
    );
  return encodeEntryBundle(leaves);
}
