/**
 * What the operator commands (`trust`, `keys rotate|retire|revoke`, `owners`) share: the storage
 * options (--data-dir, --database-url, scrypt cost), opening an Operator on them with clear
 * errors, and how a logged record is reported.
 */
import path from 'node:path';
import { Command, Option } from 'commander';
import { RegistryProblem } from '../registry/problems.js';
import type { ControlResult } from '../verify/wire.js';
import { DataDirError } from '../operator/data-dir.js';
import { Operator, OperatorError } from '../operator/operator.js';
import { LOG_PASSPHRASE_ENV } from '../keystore/passphrase.js';
import { TrustError } from '../trust/errors.js';
import { withKeyErrors } from './crypto-context.js';
import { EXIT_FINDINGS, EXIT_OK, UsageError } from './exit-codes.js';
import type { CliIo } from './io.js';
import { scryptLogN } from './options.js';

export type SetExitCode = (code: number) => void;

export interface StorageOptions {
  dataDir: string;
  databaseUrl?: string;
  key?: string[];
  passphraseEnv: string;
  keyScryptLogN: number;
  json: boolean;
}

/** --data-dir, --database-url, --key, --passphrase-env, --key-scrypt-log-n, --json. */
export function storageOptions(command: Command): Command {
  return command
    .requiredOption('--data-dir <dir>', "the registry's data directory (keys, SQLite database)")
    .option('--database-url <url>', 'PostgreSQL connection string, when the server uses one')
    .option(
      '--key <file...>',
      'role key files kept outside the data directory (e.g. an offline root key) to sign with',
    )
    .addOption(
      new Option(
        '--passphrase-env <name>',
        'environment variable holding the key passphrase (MATRIZ_KEY_COMMAND, when set, is asked instead)',
      ).default(LOG_PASSPHRASE_ENV),
    )
    .addOption(
      new Option('--key-scrypt-log-n <n>', 'scrypt cost N = 2^n for keys this command creates')
        .argParser(scryptLogN)
        .default(17),
    )
    .option('--json', 'print one JSON object', false);
}

export function expiresOption(): Option {
  return new Option(
    '--expires <when>',
    'expiry of the new trust root: an RFC 3339 time or a duration such as 365d, 12h, 90s',
  );
}

/** Parses --expires: RFC 3339, or a duration from now (d, h, m, s). */
export function parseExpires(value: string, now: number): Date {
  const duration = /^(\d+)([dhms])$/.exec(value);
  if (duration) {
    const unit = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 }[duration[2] as 'd'];
    return new Date(now + Number(duration[1]) * unit);
  }
  const time = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(time))
    throw new UsageError(
      `--expires ${JSON.stringify(value)} is neither an RFC 3339 time nor a duration like 365d`,
    );
  if (time <= now) throw new UsageError(`--expires ${value} is in the past`);
  return new Date(time);
}

/** Opening a registry's storage failed for a reason the operator can fix: a usage error. */
export function setupError(error: unknown): never {
  if (
    error instanceof OperatorError ||
    error instanceof DataDirError ||
    (error as { code?: string }).code === 'ENOENT'
  )
    throw new UsageError((error as Error).message, { cause: error });
  throw error;
}

export function openReadOnly(options: { dataDir: string; databaseUrl?: string }) {
  return Operator.openReadOnly(options).catch(setupError);
}

/** A refusal the command already reported line by line: exit 1 with nothing more said. */
export class ReportedRefusal extends Error {
  override readonly name = 'ReportedRefusal';
}

/** Opens the storage, runs `work`, closes; maps refusals to exit 1 and setup errors to exit 2. */
export async function withOperator(
  io: CliIo,
  setExitCode: SetExitCode,
  opts: StorageOptions,
  work: (operator: Operator) => Promise<void>,
): Promise<void> {
  const operator = await withKeyErrors(() =>
    Operator.open({
      dataDir: path.resolve(io.cwd, opts.dataDir),
      ...(opts.databaseUrl === undefined ? {} : { databaseUrl: opts.databaseUrl }),
      env: io.env,
      passphraseEnv: opts.passphraseEnv,
      warn: (message) => {
        io.stderr(`matriz: warning: ${message}\n`);
      },
      keyFiles: (opts.key ?? []).map((f) => path.resolve(io.cwd, f)),
      scrypt: { N: 2 ** opts.keyScryptLogN, r: 8, p: 1 },
    }).catch(setupError),
  );
  try {
    await withKeyErrors(() => work(operator));
    setExitCode(EXIT_OK);
  } catch (error) {
    if (error instanceof ReportedRefusal) {
      setExitCode(EXIT_FINDINGS);
    } else if (error instanceof RegistryProblem || error instanceof TrustError) {
      io.stderr(`matriz: refused: ${error.message}\n`);
      setExitCode(EXIT_FINDINGS);
    } else if (error instanceof OperatorError) {
      throw new UsageError(error.message, { cause: error });
    } else throw error;
  } finally {
    await operator.close();
  }
}

export function logged(result: ControlResult): { log_index: number; checkpoint_size: number } {
  return { log_index: result.index, checkpoint_size: result.inclusion_proof.size };
}

/** The trust root as people read it: who holds which role, with thresholds. */
