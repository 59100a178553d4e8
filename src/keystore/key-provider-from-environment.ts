/**
 * Which key provider a process uses, from its environment:
 *
 *   1. MATRIZ_KEY_COMMAND set: the external key command (command-key-provider.ts);
 *   2. MATRIZ_LOG_PASSPHRASE (or the variable named by --passphrase-env) set: that passphrase;
 *   3. otherwise a generated passphrase file (the data directory's `passphrase`, mode 0600),
 *      refused when group or others can read it, and used with a warning;
 *   4. otherwise the deprecated MATRIZ_KEY_PASSPHRASE, with a deprecation notice;
 *   5. otherwise, only when the caller is about to create the keys: that file is generated.
 *
 * Setting both variables of 1 and 2 is refused: which one holds the keys would be a guess.
 * MATRIZ_KEY_PASSPHRASE comes after the data directory's own file because it may well be an
 * owner's passphrase exported in the same shell; it is not an error to have it set.
 */
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { writeFileAtomic } from '../files/atomic-file.js';
import {
  commandKeyProvider,
  KEY_COMMAND_ENV,
  type CommandProviderOptions,
} from './command-key-provider.js';
import { KeyStoreError } from './errors.js';
import { SECRET_KEY_FILE_MODE } from './key-file.js';
import { passphraseKeyProvider, type KeyProvider } from './key-provider.js';
import { LEGACY_PASSPHRASE_ENV, LOG_PASSPHRASE_ENV, OWNER_PASSPHRASE_ENV } from './passphrase.js';

export interface KeyProviderEnvironment extends CommandProviderOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The passphrase file to fall back on (a data directory's `passphrase`). */
  readonly passphraseFile: string;
  /** Generate `passphraseFile` when nothing else is configured (a first start). */
  readonly generatePassphraseFile: boolean;
  /** The variable holding the passphrase; default MATRIZ_LOG_PASSPHRASE. */
  readonly passphraseEnv?: string;
  readonly warn: (message: string) => void;
}

export async function keyProviderFromEnvironment(
  options: KeyProviderEnvironment,
): Promise<KeyProvider> {
  const passphraseEnv = options.passphraseEnv ?? LOG_PASSPHRASE_ENV;
  const hint = `the log's keys open with ${KEY_COMMAND_ENV}, ${passphraseEnv} or ${options.passphraseFile}, whichever is set first (${OWNER_PASSPHRASE_ENV} is for owner keys)`;
  const command = nonEmpty(options.env[KEY_COMMAND_ENV]);
  const passphrase = nonEmpty(options.env[passphraseEnv]);
  const backend = options.backend ? { backend: options.backend } : {};
  if (command !== undefined && passphrase !== undefined)
    throw new KeyStoreError(
      'passphrase-unavailable',
      `both ${KEY_COMMAND_ENV} and ${passphraseEnv} are set, so which of them opens the keys is ambiguous; unset one`,
    );
  if (command !== undefined)
    return commandKeyProvider(command, {
      env: options.env,
      ...backend,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
  if (passphrase !== undefined)
    return passphraseKeyProvider(passphrase, {
      description: passphraseEnv,
      wrongPassphraseHint: hint,
      ...backend,
    });
  const file = options.passphraseFile;
  const stored = await readStoredPassphrase(file);
  if (stored !== undefined) {
    options.warn(
      `secret keys are encrypted with the passphrase stored in ${file}; set ${KEY_COMMAND_ENV} or ${passphraseEnv} and remove that file to keep the passphrase off the disk`,
    );
    return passphraseKeyProvider(stored, {
      description: file,
      wrongPassphraseHint: hint,
      ...backend,
    });
  }
  const legacy =
    passphraseEnv === LOG_PASSPHRASE_ENV ? nonEmpty(options.env[LEGACY_PASSPHRASE_ENV]) : undefined;
  if (legacy !== undefined) {
    options.warn(
      `${LEGACY_PASSPHRASE_ENV} is deprecated for the log's keys: set ${passphraseEnv} instead (${LEGACY_PASSPHRASE_ENV} is read because ${passphraseEnv} is not set and ${file} does not exist)`,
    );
    return passphraseKeyProvider(legacy, {
      description: `${LEGACY_PASSPHRASE_ENV} (deprecated)`,
      wrongPassphraseHint: hint,
      ...backend,
    });
  }
  if (!options.generatePassphraseFile)
    throw new KeyStoreError(
      'passphrase-unavailable',
      `no passphrase for the secret keys: set ${KEY_COMMAND_ENV} or ${passphraseEnv} (${file} does not exist)`,
    );
  const generated = randomBytes(32).toString('base64url');
  await writeFileAtomic(file, `${generated}\n`, SECRET_KEY_FILE_MODE, { exclusive: true });
  options.warn(
    `${passphraseEnv} is not set: generated a random passphrase for the secret keys in ${file} (mode 0600). ` +
      `For production, set ${passphraseEnv} from a secret store (or ${KEY_COMMAND_ENV}) and delete that file.`,
  );
  return passphraseKeyProvider(generated, {
    description: file,
    wrongPassphraseHint: hint,
    ...backend,
  });
}

async function readStoredPassphrase(file: string): Promise<string | undefined> {
  let mode: number;
  try {
    mode = (await stat(file)).mode;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
    throw new KeyStoreError('io', `${file}: cannot read the passphrase file`, { cause: error });
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0)
    throw new KeyStoreError(
      'insecure-permissions',
      `${file} is readable by group or others; run chmod 600 ${file}`,
    );
  const stored = (await readFile(file, 'utf8')).trim();
  if (stored === '')
    throw new KeyStoreError(
      'passphrase-unavailable',
      `${file} is empty; it should hold a passphrase`,
    );
  return stored;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
