/**
 * Production mode (`matriz serve --production`, or MATRIZ_ENV=production): the start-up checks
 * that turn the zero-set-up defaults, fine for trying the registry out, into refusals. Each
 * refusal has a stable code and one line saying what to do; `serve` exits with
 * EXIT_PRODUCTION_REFUSED (78, EX_CONFIG of sysexits.h), which a systemd unit lists in
 * RestartPreventExitStatus so a refused start is not retried in a loop.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { KEY_COMMAND_ENV } from '../keystore/command-key-provider.js';
import { LEGACY_PASSPHRASE_ENV, LOG_PASSPHRASE_ENV } from '../keystore/passphrase.js';
import { DEFAULT_ORIGIN_PREFIX } from './data-dir.js';

export const PRODUCTION_ENV = 'MATRIZ_ENV';

/** `serve`'s exit code for a start refused in production mode: EX_CONFIG (sysexits.h). */
export const EXIT_PRODUCTION_REFUSED = 78;

export type ProductionCheck =
  | 'data-dir-readable'
  | 'passphrase-file'
  | 'generated-passphrase'
  | 'default-origin'
  | 'no-trust-root';

export class ProductionRefusal extends Error {
  override readonly name = 'ProductionRefusal';
  constructor(
    readonly check: ProductionCheck,
    message: string,
  ) {
    super(message);
  }
}

export interface ProductionStart {
  readonly dataDir: string;
  /** `--origin`, if given. */
  readonly origin?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly passphraseEnv?: string;
}

/** Whether production mode is on: `--production`, or MATRIZ_ENV=production. */
export function productionMode(
  flag: boolean | undefined,
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  return flag === true || env[PRODUCTION_ENV] === 'production';
}

/**
 * The checks that can be made before anything is created: data directory permissions, where
 * the key passphrase comes from, the origin. Throws the first ProductionRefusal.
 */
export async function checkProductionStart(start: ProductionStart): Promise<void> {
  const { dataDir } = start;
  for (const dir of [dataDir, path.join(dataDir, 'keys')]) {
    const mode = await stat(dir).then(
      (stats) => stats.mode & 0o777,
      () => undefined,
    );
    if (mode !== undefined && (mode & 0o077) !== 0)
      throw new ProductionRefusal(
        'data-dir-readable',
        `${dir} is open to group or others (mode ${mode.toString(8).padStart(4, '0')}); run chmod 700 ${dir} and check who could read it`,
      );
  }
  const passphraseFile = path.join(dataDir, 'passphrase');
  if (await exists(passphraseFile))
    throw new ProductionRefusal(
      'passphrase-file',
      `${passphraseFile} keeps the log key passphrase in plain text beside the keys; give it through ${KEY_COMMAND_ENV} or ${start.passphraseEnv ?? LOG_PASSPHRASE_ENV} instead and delete the file`,
    );
  const passphraseEnv = start.passphraseEnv ?? LOG_PASSPHRASE_ENV;
  // The deprecated shared variable still gives a passphrase (with its notice at start).
  if (!start.env[KEY_COMMAND_ENV] && !start.env[passphraseEnv] && !start.env[LEGACY_PASSPHRASE_ENV])
    throw new ProductionRefusal(
      'generated-passphrase',
      `no key passphrase given and production never generates one: set ${KEY_COMMAND_ENV} (a secret store) or ${passphraseEnv}`,
    );
  const stored = await storedOrigin(dataDir);
  const origin = stored ?? start.origin;
  if (origin === undefined)
    throw new ProductionRefusal(
      'default-origin',
      `no --origin: give the log its public name at first start, e.g. --origin registry.example.com/matriz (it cannot change later)`,
    );
  if (origin.startsWith(DEFAULT_ORIGIN_PREFIX))
    throw new ProductionRefusal(
      'default-origin',
      `the log's origin ${origin} is a generated default (${DEFAULT_ORIGIN_PREFIX}...); an origin cannot change, so start a new log with --origin <your public name> in a new data directory`,
    );
}

/** The refusal of a log without a trust root (checked once the store is open). */
export function noTrustRootRefusal(dataDir: string): ProductionRefusal {
  return new ProductionRefusal(
    'no-trust-root',
    `the log has no trust root, so clients could only pin a key on first use: run matriz trust init --data-dir ${dataDir} (the data directory and log keys exist now), then start again`,
  );
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

async function storedOrigin(dataDir: string): Promise<string | undefined> {
  const text = await readFile(path.join(dataDir, 'registry.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const origin = (JSON.parse(text) as { origin?: unknown }).origin;
  return typeof origin === 'string' ? origin : undefined;
}
