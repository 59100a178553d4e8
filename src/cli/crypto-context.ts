/**
 * What the key and signature commands share: the crypto backend from MATRIZ_CRYPTO_BACKEND,
 * the passphrase source (--passphrase-env or a terminal prompt), and the translation of crypto
 * and key-store errors into usage errors (exit 2) with their messages.
 */
import { Option } from 'commander';
import { CryptoError } from '../crypto/errors.js';
import { isBackendPreference, type BackendPreference } from '../crypto/suites.js';
import { KeyStoreError } from '../keystore/errors.js';
import {
  DEFAULT_PASSPHRASE_ENV,
  LEGACY_PASSPHRASE_ENV,
  OWNER_PASSPHRASE_ENV,
  type PassphraseSource,
} from '../keystore/passphrase.js';
import { terminalPrompt } from '../keystore/terminal-prompt.js';
import { UsageError } from './exit-codes.js';
import type { CliIo } from './io.js';

export const BACKEND_ENV = 'MATRIZ_CRYPTO_BACKEND';

export function cryptoBackend(io: CliIo): BackendPreference {
  const value = io.env[BACKEND_ENV];
  if (value === undefined || value === '') return 'auto';
  if (!isBackendPreference(value))
    throw new UsageError(
      `${BACKEND_ENV} must be auto, liboqs, noble or node, got ${JSON.stringify(value)}`,
    );
  return value;
}

/** `--passphrase-env`: owner-key commands default to MATRIZ_OWNER_PASSPHRASE. */
export function passphraseEnvOption(defaultEnv: string = DEFAULT_PASSPHRASE_ENV): Option {
  return new Option(
    '--passphrase-env <name>',
    defaultEnv === OWNER_PASSPHRASE_ENV
      ? `environment variable holding the owner key's passphrase (${LEGACY_PASSPHRASE_ENV}, deprecated, when it is unset; prompted on a terminal when neither is set)`
      : 'environment variable holding the key passphrase (prompted on a terminal when unset)',
  ).default(defaultEnv);
}

/**
 * Where a command's key passphrase comes from. For the owner's key (MATRIZ_OWNER_PASSPHRASE)
 * the deprecated MATRIZ_KEY_PASSPHRASE is read when it is unset, with a notice on stderr.
 */
export function passphraseSource(io: CliIo, envName: string): PassphraseSource {
  return {
    env: io.env,
    envName,
    prompt: terminalPrompt(),
    ...(envName === OWNER_PASSPHRASE_ENV
      ? {
          fallbackEnvName: LEGACY_PASSPHRASE_ENV,
          onDeprecated: (message: string) => {
            io.stderr(`matriz: warning: ${message}\n`);
          },
        }
      : {}),
  };
}

/** Runs `work`, turning key-store and crypto errors into usage errors with the same message. */
export async function withKeyErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof KeyStoreError || error instanceof CryptoError)
      throw new UsageError(error.message, { cause: error });
    throw error;
  }
}
