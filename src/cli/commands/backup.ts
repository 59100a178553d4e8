/**
 * `matriz export` and `matriz restore`: encrypted, signed snapshots of a log (docs/formats.md,
 * docs/runbooks/restore-from-backup.md). Exit 0 done; 1 the export was refused by a check of
 * restore (`matriz: refused: <code>: ...`); 2 usage or I/O, a non-empty target, key problems.
 */
import { LOG_PASSPHRASE_ENV } from '../../keystore/passphrase.js';
import path from 'node:path';
import { Command, Option } from 'commander';
import { exportLog, ExportError } from '../../backup/export.js';
import { restoreInWorker } from '../../backup/restore-worker.js';
import {
  pinnedLogKeyFromJson,
  RestoreError,
  type PinnedLogKey,
  type RestoreTarget,
} from '../../backup/restore.js';
import { passphraseToOpen } from '../../keystore/passphrase.js';
import {
  openRecipientKey,
  recipientKeyFromJson,
  type RecipientKey,
} from '../../keystore/recipient-key-file.js';
import { DataDirError } from '../../operator/data-dir.js';
import { passphraseEnvOption, passphraseSource, withKeyErrors } from '../crypto-context.js';
import { EXIT_FINDINGS, EXIT_OK, UsageError } from '../exit-codes.js';
import { readJsonFile } from '../inputs.js';
import type { CliIo } from '../io.js';

const PLAINTEXT_WARNING =
  'matriz: WARNING: --plaintext: this export is NOT ENCRYPTED. Anyone who reads the file reads the whole registry. It exists for tests only; never use it for a real backup.\n';

export function exportCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  return new Command('export')
    .description(
      'write a consistent snapshot of a (running) log, sealed with HPKE to the recipients and signed by the log key',
    )
    .requiredOption(
      '--data-dir <dir>',
      "the registry's data directory (its log keys sign the export)",
    )
    .option('--database-url <url>', 'PostgreSQL connection string, when the registry uses one')
    .option(
      '--to <file...>',
      'recipient public key JSON (matriz keys export-public of an x-wing key)',
    )
    .requiredOption('--out <file>', 'export file to create (never overwritten)')
    .addOption(new Option('--plaintext', 'TESTS ONLY: do not encrypt').default(false).hideHelp())
    .addOption(passphraseEnvOption(LOG_PASSPHRASE_ENV))
    .option('--json', 'print one JSON object', false)
    .action(
      async (opts: {
        dataDir: string;
        databaseUrl?: string;
        to?: string[];
        out: string;
        plaintext: boolean;
        passphraseEnv: string;
        json: boolean;
      }) => {
        if (opts.plaintext) io.stderr(PLAINTEXT_WARNING);
        const recipients: RecipientKey[] = [];
        for (const file of opts.to ?? [])
          recipients.push(
            await withKeyErrors(async () =>
              recipientKeyFromJson(await readJsonFile(io, file), file),
            ),
          );
        const summary = await withKeyErrors(() =>
          exportLog({
            dataDir: path.resolve(io.cwd, opts.dataDir),
            ...(opts.databaseUrl === undefined ? {} : { databaseUrl: opts.databaseUrl }),
            recipients,
            plaintext: opts.plaintext,
            out: path.resolve(io.cwd, opts.out),
            env: io.env,
            passphraseEnv: opts.passphraseEnv,
            warn: (message) => {
              io.stderr(`matriz: warning: ${message}\n`);
            },
          }),
        ).catch((error: unknown) => {
          if (error instanceof ExportError || error instanceof DataDirError)
            throw new UsageError(error.message);
          throw error;
        });
        if (opts.json)
          io.stdout(
            `${JSON.stringify({
              origin: summary.origin,
              tree_size: summary.treeSize,
              root_hash: summary.rootHash,
              recipients: summary.recipients,
              signed_by: summary.signedBy,
              counts: summary.counts,
              bytes: summary.bytes,
            })}\n`,
          );
        else
          io.stdout(
            `exported ${summary.origin} at size ${summary.treeSize} (${summary.counts.entry} entries, ${summary.bytes} bytes) to ${opts.out}, ${opts.plaintext ? 'NOT ENCRYPTED' : `sealed to ${summary.recipients.join(', ')}`}; signed by log key ${summary.signedBy.join(', ')}\n`,
          );
        setExitCode(EXIT_OK);
      },
    );
}

export function restoreCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  return new Command('restore')
    .description(
      'check an export (signature, root, replay) and write it into an empty data directory or database; nothing is written unless every check passes',
    )
    .requiredOption('--in <file>', 'export file (matriz export)')
    .option('--key <file>', 'recipient secret key file (x-wing) the export is sealed to')
    .option('--data-dir <dir>', 'new data directory (absent, or holding only keys/ and passphrase)')
    .option('--database-url <url>', 'PostgreSQL connection string of an empty database')
    .option('--trust-root <file>', 'a trust root envelope of this log the export must descend from')
    .option(
      '--log-key <file>',
      'the log keys JSON (GET /api/v1/log/keys, saved before) whose log key must have signed the export',
    )
    .addOption(
      new Option('--plaintext', 'TESTS ONLY: accept an unencrypted export')
        .default(false)
        .hideHelp(),
    )
    .addOption(passphraseEnvOption())
    .option('--json', 'print one JSON object', false)
    .action(
      async (opts: {
        in: string;
        key?: string;
        dataDir?: string;
        databaseUrl?: string;
        trustRoot?: string;
        logKey?: string;
        plaintext: boolean;
        passphraseEnv: string;
        json: boolean;
      }) => {
        if (opts.plaintext) io.stderr(PLAINTEXT_WARNING);
        if (!opts.dataDir && !opts.databaseUrl)
          throw new UsageError('give the target: --data-dir NEW or --database-url URL');
        if (!opts.key && !opts.plaintext)
          throw new UsageError('give the recipient key the export is sealed to: --key FILE');
        const target: RestoreTarget = opts.databaseUrl
          ? {
              kind: 'postgres',
              databaseUrl: opts.databaseUrl,
              ...(opts.dataDir ? { dataDir: path.resolve(io.cwd, opts.dataDir) } : {}),
            }
          : { kind: 'sqlite', dataDir: path.resolve(io.cwd, opts.dataDir ?? '') };
        const pinnedRoot = opts.trustRoot ? await readJsonFile(io, opts.trustRoot) : undefined;
        let pinnedLogKey: PinnedLogKey | undefined;
        if (opts.logKey !== undefined) {
          const json = await readJsonFile(io, opts.logKey);
          try {
            pinnedLogKey = pinnedLogKeyFromJson(json, opts.logKey);
          } catch (error) {
            throw new UsageError((error as Error).message);
          }
        }
        const recipient = opts.key
          ? await withKeyErrors(async () =>
              openRecipientKey(
                path.resolve(io.cwd, opts.key ?? ''),
                await passphraseToOpen(passphraseSource(io, opts.passphraseEnv), opts.key ?? ''),
              ),
            )
          : undefined;
        try {
          const summary = await restoreInWorker({
            file: path.resolve(io.cwd, opts.in),
            ...(recipient ? { recipient } : {}),
            plaintext: opts.plaintext,
            target,
            ...(pinnedRoot === undefined ? {} : { pinnedRoot }),
            ...(pinnedLogKey === undefined ? {} : { pinnedLogKey }),
          });
          if (opts.json)
            io.stdout(
              `${JSON.stringify({
                ok: true,
                origin: summary.origin,
                tree_size: summary.treeSize,
                root_hash: summary.rootHash,
                entries: summary.entries,
                signed_by: summary.signedBy,
                counts: summary.counts,
              })}\n`,
            );
          else
            io.stdout(
              `restored ${summary.origin} at size ${summary.treeSize} (${summary.entries} entries): signature by ${summary.signedBy.join(', ')}, root matches the signed checkpoint, replay clean\n`,
            );
          setExitCode(EXIT_OK);
        } catch (error) {
          if (error instanceof RestoreError) {
            if (error.code === 'target-not-empty') throw new UsageError(error.message);
            io.stderr(`matriz: refused: ${error.code}: ${error.message}\n`);
            setExitCode(EXIT_FINDINGS);
            return;
          }
          if (
            (error as { code?: string }).code === 'ENOENT' ||
            (error as { code?: string }).code === 'EACCES'
          )
            throw new UsageError(`${opts.in}: cannot read the export (${String(error)})`);
          throw error;
        }
      },
    );
}
