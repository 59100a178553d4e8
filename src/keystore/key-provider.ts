/**
 * Where the server's secret keys come from. Every secret key the server holds is opened through
 * one `KeyProvider`: the passphrase provider decrypts the key file with a passphrase it was
 * given; the command provider (command-key-provider.ts) asks an external program, so Vault, a
 * cloud KMS or an HSM plug in without code changes (docs/security.md, "Key management").
 *
 * Key files are always `matriz-secret-key/v1` files (secret-key-file.ts): encrypted, mode 0600,
 * refused when group or others can read them. No provider writes a secret key in plaintext.
 */
import path from 'node:path';
import type { KeyAlgorithm } from '../crypto/algorithms.js';
import type { BackendPreference } from '../crypto/suites.js';
import { createSecretKeyFile } from './create-key-file.js';
import { KeyStoreError } from './errors.js';
import { openSecretKey, type OpenedKey } from './key-file.js';
import { MIN_PASSPHRASE_LENGTH } from './passphrase.js';
import type { ScryptParameters, SecretKeyFile } from './secret-key-file.js';

export type { OpenedKey } from './key-file.js';

export interface KeyProvider {
  /** Where the keys come from, for log lines and errors; never contains a secret. */
  readonly description: string;
  /**
   * Opens the secret key file `file`, used for `purpose` (e.g. `log-ed25519`, `root`,
   * `enrolment`): permissions checked, material checked against the file's public key.
   * Repeated calls for the same file return the same key without asking again.
   */
  openKey(file: string, purpose: string): Promise<OpenedKey>;
  /**
   * Generates a key pair and writes `file` (exclusive create, mode 0600), its seed encrypted
   * under a passphrase from this provider. Refused when the provider has no passphrase to give.
   */
  createKey(
    file: string,
    algorithm: KeyAlgorithm,
    purpose: string,
    options?: CreateKeyOptions,
  ): Promise<SecretKeyFile>;
}

export interface CreateKeyOptions {
  /** Key-file encryption cost; tests pass a cheap one. */
  readonly scrypt?: ScryptParameters;
}

export interface ProviderOptions {
  readonly backend?: BackendPreference;
}

const PURPOSE = /^[a-z0-9-]+$/;

/** Refuses a purpose that is not a short lowercase name (it is passed on to key commands). */
export function checkPurpose(purpose: string): void {
  if (!PURPOSE.test(purpose) || purpose.length > 64)
    throw new KeyStoreError(
      'malformed',
      `key purpose ${JSON.stringify(purpose)} must be 1 to 64 of a-z, 0-9 and -`,
    );
}

/** Refuses a passphrase too short to protect a new key file. */
export function checkNewPassphrase(passphrase: string, source: string): void {
  if (Array.from(passphrase).length < MIN_PASSPHRASE_LENGTH)
    throw new KeyStoreError(
      'passphrase-unavailable',
      `the passphrase from ${source} is shorter than ${MIN_PASSPHRASE_LENGTH} characters; refusing to encrypt a new key with it`,
    );
}

/** Opens key files with one passphrase (MATRIZ_LOG_PASSPHRASE or the data dir's file). */
export function passphraseKeyProvider(
  passphrase: string,
  options: ProviderOptions & {
    readonly description?: string;
    /** Appended to a wrong-passphrase error: where the right passphrase would come from. */
    readonly wrongPassphraseHint?: string;
  } = {},
): KeyProvider {
  if (passphrase === '')
    throw new KeyStoreError('passphrase-unavailable', 'the key passphrase is empty');
  const description = options.description ?? 'a passphrase';
  const opened = new Map<string, Promise<OpenedKey>>();
  return {
    description,
    openKey: async (file, purpose) => {
      checkPurpose(purpose);
      return cachedOpen(opened, file, () =>
        openSecretKey(file, passphrase, options.backend).catch((error: unknown) => {
          if (error instanceof KeyStoreError && error.code === 'wrong-passphrase')
            throw new KeyStoreError(
              'wrong-passphrase',
              `the ${purpose} key ${file} does not open with the passphrase from ${description}: wrong passphrase${options.wrongPassphraseHint === undefined ? '' : `; ${options.wrongPassphraseHint}`}`,
              { cause: error },
            );
          throw error;
        }),
      );
    },
    createKey: async (file, algorithm, purpose, create = {}) => {
      checkPurpose(purpose);
      checkNewPassphrase(passphrase, description);
      return createSecretKeyFile(file, algorithm, passphrase, {
        ...(create.scrypt ? { scrypt: create.scrypt } : {}),
        ...(options.backend ? { backend: options.backend } : {}),
      });
    },
  };
}

/** One open per file and process; a failed open is forgotten so that it can be retried. */
export function cachedOpen(
  cache: Map<string, Promise<OpenedKey>>,
  file: string,
  open: () => Promise<OpenedKey>,
): Promise<OpenedKey> {
  const key = path.resolve(file);
  const cached = cache.get(key);
  if (cached) return cached;
  const opening = open();
  cache.set(key, opening);
  opening.catch(() => cache.delete(key));
  return opening;
}
