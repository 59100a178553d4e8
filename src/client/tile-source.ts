/**
 * Where an audit reads a log's C2SP tlog-tiles tree from: a server (a MATRIZ registry, or any web
 * server or object store serving `matriz tiles export`'s files) or a local directory.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { RegistryHttp, RegistryRequestError, type HttpOptions } from './http-client.js';

/** A file the tree should have is not there (404, or no such file). */
export class TileMissingError extends Error {
  override readonly name = 'TileMissingError';
}

export interface TileSource {
  /** The URL or directory, for messages. */
  readonly location: string;
  /** The bytes of `file` (`checkpoint`, `tile/<L>/<N>[.p/<W>]`, `tile/entries/...`). */
  read(file: string): Promise<Uint8Array>;
}

export function tileSource(location: string, http: HttpOptions = {}): TileSource {
  if (/^https?:\/\//i.test(location)) {
    const client = new RegistryHttp(location, http);
    return {
      location: client.base,
      read: async (file) => {
        try {
          return await client.tile(file);
        } catch (error) {
          if (error instanceof RegistryRequestError && error.status === 404)
            throw new TileMissingError(`${client.base}/${file} is not there (404)`);
          throw error;
        }
      },
    };
  }
  const directory = path.resolve(location);
  return {
    location: directory,
    read: async (file) => {
      try {
        return new Uint8Array(await readFile(path.join(directory, ...file.split('/'))));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT')
          throw new TileMissingError(`${path.join(directory, file)} does not exist`);
        throw error;
      }
    },
  };
}
