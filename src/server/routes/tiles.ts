/**
 * The log as C2SP tlog-tiles (https://c2sp.org/tlog-tiles): `/checkpoint`, hash tiles
 * `/tile/<L>/<N>[.p/<W>]` and entry bundles `/tile/entries/<N>[.p/<W>]`, the same bytes
 * `matriz tiles export` writes for a static web server (log/tiles.ts, registry/tile-reader.ts).
 */
import type { FastifyInstance } from 'fastify';
import { parseTilePath, TilePathError, type TileId } from '../../log/tiles.js';
import { RegistryProblem } from '../../registry/problems.js';
import type { Registry } from '../../registry/registry.js';
import { checkpointHandler } from './log.js';

/**
 * A tile's bytes never change, partial ones included: the first W hashes of a level, or the
 * first W leaves of a bundle, are fixed once the log has them (an append-only tree only adds
 * to the right). Only the checkpoint moves.
 */
export const TILE_CACHE_CONTROL = 'public, max-age=31536000, immutable';

export function tileRoutes(app: FastifyInstance, registry: Registry): void {
  app.get(
    '/checkpoint',
    {
      schema: {
        operationId: 'getTlogCheckpoint',
        summary:
          "C2SP tlog-tiles: the latest signed checkpoint, the same note as /api/v1/log/checkpoint, at the spec's path.",
      },
    },
    checkpointHandler(registry),
  );

  app.get(
    '/tile/*',
    {
      // OpenAPI paths cannot hold a variable number of segments (N is x001/x234/067): the tile
      // paths are documented in docs/api.md (Tiles) after the C2SP spec instead.
      schema: { hide: true },
    },
    async (request, reply) => {
      const path = (request.params as { '*': string })['*'];
      let tile: TileId;
      try {
        tile = parseTilePath(path);
      } catch (error) {
        if (error instanceof TilePathError)
          throw new RegistryProblem('not-found', `/tile/${path} names no tile: ${error.message}`);
        throw error;
      }
      const bytes = await registry.tile(tile);
      return reply
        .type('application/octet-stream')
        .header('cache-control', TILE_CACHE_CONTROL)
        .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    },
  );
}
