/**
 * `matriz tiles export`: write the log as static C2SP tlog-tiles files (backup/tiles-export.ts).
 * Exit 0 done; 1 the export stopped (the stored tree does not match its checkpoint, or the
 * output directory holds another log's tile); 2 usage, storage or I/O errors.
 */
import path from 'node:path';
import { Command } from 'commander';
import { exportTiles, TilesExportError } from '../../backup/tiles-export.js';
import { readDataDirPublic } from '../../operator/data-dir.js';
import { RegistryProblem } from '../../registry/problems.js';
import { openPostgresStore } from '../../store/postgres-store.js';
import { openSqliteStore } from '../../store/sqlite-store.js';
import type { Store } from '../../store/store.js';
import { EXIT_FINDINGS, EXIT_OK, UsageError } from '../exit-codes.js';
import type { CliIo } from '../io.js';

export function tilesCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  const tiles = new Command('tiles').description(
    'the log as C2SP tlog-tiles: static files any web server or object store can serve',
  );
  tiles
    .command('export')
    .description(
      "write checkpoint, tile/<L>/<N>[.p/<W>] and tile/entries/<N>[.p/<W>] for the log's latest checkpoint into a directory (incremental: tiles already there are checked, not rewritten)",
    )
    .option('--data-dir <dir>', 'registry data directory', './data')
    .option('--database-url <url>', 'PostgreSQL connection string, when the registry uses one')
    .requiredOption('--out <dir>', 'directory to write the tiles into (created if missing)')
    .option('--json', 'print one JSON object', false)
    .action(async (opts: { dataDir: string; databaseUrl?: string; out: string; json: boolean }) => {
      const dir = await readDataDirPublic(path.resolve(io.cwd, opts.dataDir)).catch(
        (error: unknown) => {
          throw new UsageError((error as Error).message);
        },
      );
      const out = path.resolve(io.cwd, opts.out);
      const store: Store = opts.databaseUrl
        ? await openPostgresStore({ connectionString: opts.databaseUrl })
        : openSqliteStore({ path: dir.databaseFile, readonly: true });
      try {
        const result = await exportTiles(store, out);
        if (opts.json)
          io.stdout(
            `${JSON.stringify({ origin: dir.origin, out, size: result.size, root: result.root, tiles: result.tiles, written: result.written })}\n`,
          );
        else
          io.stdout(
            `exported the checkpoint of size ${result.size} and ${result.tiles} tiles (${result.written} new, ${result.tiles - result.written} already there) to ${out}\n`,
          );
        setExitCode(EXIT_OK);
      } catch (error) {
        if (error instanceof TilesExportError || error instanceof RegistryProblem) {
          io.stderr(
            `matriz: tiles export: ${error instanceof RegistryProblem ? error.detail : error.message}\n`,
          );
          setExitCode(EXIT_FINDINGS);
          return;
        }
        const code = (error as NodeJS.ErrnoException).code;
        if (typeof code === 'string' && /^E[A-Z]+$/.test(code))
          throw new UsageError(`cannot write to ${out}: ${(error as Error).message}`);
        throw error;
      } finally {
        await store.close();
      }
    });
  return tiles;
}
