/**
 * Worker thread of `verifyTreeTiles` (tree-tiles.ts): the roots of full tiles, each 256 hashes
 * combined into one, for a run of tiles moved here in one buffer.
 */
import { parentPort } from 'node:worker_threads';
import { tileRoots } from './tree-tiles.js';

export interface TileRootsTask {
  readonly id: number;
  /** Full hash tiles, 8,192 bytes each, concatenated. */
  readonly tiles: Uint8Array;
}

export interface TileRootsReply {
  readonly id: number;
  /** Their roots, 32 bytes each, in order. */
  readonly roots: Uint8Array;
}

parentPort?.on('message', (task: TileRootsTask) => {
  const roots = tileRoots(
    Buffer.from(task.tiles.buffer, task.tiles.byteOffset, task.tiles.byteLength),
  );
  parentPort?.postMessage({ id: task.id, roots } satisfies TileRootsReply, [
    roots.buffer as ArrayBuffer,
  ]);
});
