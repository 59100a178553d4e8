/** `matriz fsck`: check a registry's storage against its own log (exit 0 clean, 1 problems). */
import path from 'node:path';
import { Command } from 'commander';
import { loadSignatureSuite } from '../../crypto/suites.js';
import { fsck } from '../../registry/fsck.js';
import { readDataDirPublic } from '../../operator/data-dir.js';
import { openPostgresStore } from '../../store/postgres-store.js';
import { openSqliteStore } from '../../store/sqlite-store.js';
import { StoreError, type Store } from '../../store/store.js';
import { EXIT_FINDINGS, EXIT_OK, UsageError } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { readPolicyFile } from '../inputs.js';

export function fsckCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  return new Command('fsck')
    .description(
      'recompute the tree from the stored leaves, check it against the latest signed checkpoint, replay the registry state (exit 0 clean, 1 problems)',
    )
    .option('--data-dir <dir>', 'registry data directory', './data')
    .option(
      '--database-url <url>',
      'PostgreSQL connection string, when the registry does not use the embedded store',
    )
    .option(
      '--policy <file>',
      'the entitlement policy JSON the registry serves with (serve --policy); enrolments in the log need none',
    )
    .option('--json', 'print one JSON object', false)
    .action(
      async (opts: { dataDir: string; databaseUrl?: string; policy?: string; json: boolean }) => {
        const policy =
          opts.policy === undefined ? undefined : await readPolicyFile(io, opts.policy);
        const dir = await readDataDirPublic(path.resolve(io.cwd, opts.dataDir)).catch(
          (error: unknown) => {
            throw new UsageError((error as Error).message);
          },
        );
        let store: Store;
        try {
          store = opts.databaseUrl
            ? await openPostgresStore({ connectionString: opts.databaseUrl })
            : openSqliteStore({ path: dir.databaseFile, readonly: true });
        } catch (error) {
          if (!(error instanceof StoreError)) throw error;
          io.stderr(`matriz: fsck: ${error.message}\n`);
          setExitCode(EXIT_FINDINGS);
          return;
        }
        try {
          const [ed25519, mlDsa44] = await Promise.all([
            loadSignatureSuite('ed25519'),
            loadSignatureSuite('ml-dsa-44'),
          ]);
          const report = await fsck({
            store,
            verifier: {
              name: dir.origin,
              ed25519PublicKey: dir.ed25519PublicKey,
              mlDsa44PublicKey: dir.mlDsa44PublicKey,
              ed25519,
              mlDsa44,
            },
            loadSuite: (algorithm) => loadSignatureSuite(algorithm),
            ...(policy === undefined ? {} : { policy }),
          });
          if (opts.json)
            io.stdout(
              `${JSON.stringify({
                ok: report.ok,
                size: report.size,
                checkpoint_size: report.checkpointSize ?? null,
                entries: report.entries,
                problems: report.problems,
              })}\n`,
            );
          else {
            for (const problem of report.problems) io.stdout(`problem: ${problem}\n`);
            io.stdout(
              report.ok
                ? `clean: ${report.size} leaves, ${report.entries} entries, root matches the signed checkpoint of size ${report.checkpointSize ?? 0}\n`
                : `${report.problems.length} problem(s) in ${dir.origin}\n`,
            );
          }
          setExitCode(report.ok ? EXIT_OK : EXIT_FINDINGS);
        } catch (error) {
          if (!(error instanceof StoreError)) throw error;
          io.stderr(`matriz: fsck: ${error.message}\n`);
          setExitCode(EXIT_FINDINGS);
        } finally {
          await store.close();
        }
      },
    );
}
