/**
 * `matriz import-legacy` (docs/cli.md, docs/formats.md): brings the prototype registry's entries
 * into the log as `legacy-import` records signed by the enrolment role. The store's HMAC is
 * checked first; entries this registry cannot hold are listed with the reason, and the import
 * stops before signing anything unless `--skip-invalid` is given. Running it again appends only
 * what is missing. Exit 0 done; 1 refused (HMAC mismatch, entries to skip without
 * `--skip-invalid`, a record refused); 2 usage, I/O or key problems.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import {
  LegacyStoreError,
  planLegacyImport,
  readLegacyStore,
  type LegacyStore,
} from '../../backup/legacy-store.js';
import { EXIT_FINDINGS, UsageError } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import {
  ReportedRefusal,
  type SetExitCode,
  type StorageOptions,
  storageOptions,
  withOperator,
} from '../operator-storage.js';

interface ImportOptions extends StorageOptions {
  store: string;
  sig: string;
  hmacKeyEnv: string;
  skipInvalid: boolean;
}

export function importLegacyCommand(io: CliIo, setExitCode: SetExitCode): Command {
  return storageOptions(
    new Command('import-legacy')
      .description(
        "import the prototype registry's entries (registry_store.json + checkpoint.sig) as legacy-import records signed by the enrolment role",
      )
      .requiredOption('--store <file>', "the prototype's registry_store.json")
      .requiredOption('--sig <file>', "the prototype's checkpoint.sig (HMAC-SHA256, hex)")
      .requiredOption(
        '--hmac-key-env <name>',
        'environment variable holding the HMAC key the prototype signed with',
      )
      .option(
        '--skip-invalid',
        'leave out entries this registry cannot hold (each listed, and recorded in the log) instead of stopping',
        false,
      ),
  ).action(async (opts: ImportOptions) => {
    let legacy: LegacyStore;
    try {
      legacy = await readStore(io, opts);
    } catch (error) {
      if (!(error instanceof LegacyStoreError)) throw error;
      io.stderr(`matriz: refused: ${opts.store}: ${error.message}\n`);
      setExitCode(EXIT_FINDINGS);
      return;
    }
    await withOperator(io, setExitCode, opts, async (operator) => {
      const plan = await planLegacyImport(legacy, (id) => operator.entry(id));
      for (const skip of plan.skipped)
        io.stderr(
          `matriz: ${opts.skipInvalid ? 'skipped' : 'cannot import'} ${skip.legacy_id}: ${skip.reason}\n`,
        );
      if (plan.skipped.length > 0 && !opts.skipInvalid) {
        io.stderr(
          `matriz: refused: ${plan.skipped.length} of ${legacy.entries.length} entries cannot be imported; nothing was imported (fix them, or give --skip-invalid to leave them out)\n`,
        );
        throw new ReportedRefusal('entries cannot be imported');
      }
      const { imported, refused } = await operator.importLegacy(
        { sha256: legacy.sha256, hmac: legacy.hmac },
        plan,
      );
      for (const refusal of refused)
        io.stderr(`matriz: refused ${refusal.legacy_id}: ${refusal.reason}\n`);
      const summary = {
        source: { sha256: legacy.sha256, version: legacy.version, entries: legacy.entries.length },
        imported: imported.map((i) => ({ registry_id: i.registryId, log_index: i.index })),
        already_imported: plan.already.map((a) => ({
          legacy_id: a.legacyId,
          registry_id: a.registryId,
        })),
        skipped: plan.skipped,
        refused,
      };
      if (opts.json) io.stdout(`${JSON.stringify(summary)}\n`);
      else {
        for (const i of imported) io.stdout(`imported ${i.registryId} (log index ${i.index})\n`);
        io.stdout(
          `${imported.length} imported, ${plan.already.length} already imported, ${plan.skipped.length} skipped, ${refused.length} refused (of ${legacy.entries.length} in ${opts.store})\n`,
        );
      }
      if (refused.length > 0) throw new ReportedRefusal('records were refused');
    });
  });
}

/** Reads and verifies the prototype's files before any storage is opened (LegacyStoreError). */
async function readStore(io: CliIo, opts: ImportOptions): Promise<LegacyStore> {
  const key = io.env[opts.hmacKeyEnv];
  if (key === undefined || key === '')
    throw new UsageError(
      `--hmac-key-env ${opts.hmacKeyEnv}: the variable is not set; set it to the prototype's HMAC key`,
    );
  const read = (file: string) =>
    readFile(path.resolve(io.cwd, file)).catch((error: unknown) => {
      throw new UsageError(`${file}: ${(error as Error).message}`);
    });
  const [store, sig] = await Promise.all([read(opts.store), read(opts.sig)]);
  return readLegacyStore(
    new Uint8Array(store),
    sig.toString('latin1'),
    new TextEncoder().encode(key),
  );
}
