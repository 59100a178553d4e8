/**
 * Where passphrases come from: an environment variable (named by `--passphrase-env`, default
 * MATRIZ_KEY_PASSPHRASE) or, on a terminal, a prompt that does not echo. Never a command-line
 * argument: those are visible to every user of the machine (`ps`) and kept in shell history.
 */
import { KeyStoreError } from './errors.js';

export const DEFAULT_PASSPHRASE_ENV = 'MATRIZ_KEY_PASSPHRASE';

/** Shorter passphrases are refused when a key file is written. */
export const MIN_PASSPHRASE_LENGTH = 8;

/** Asks the user for a passphrase without echo; `undefined` when there is no terminal. */
export type PassphrasePrompt = (question: string) => Promise<string>;

export interface PassphraseSource {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly envName: string;
  readonly prompt: PassphrasePrompt | undefined;
}

/** The passphrase to open an existing key file. */
export async function passphraseToOpen(source: PassphraseSource, file: string): Promise<string> {
  const fromEnv = source.env[source.envName];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (source.prompt) return source.prompt(`Passphrase for ${file}: `);
  throw unavailable(source.envName);
}

/** The passphrase for a new key file, typed twice when prompted; refuses a short one. */
export async function passphraseToCreate(source: PassphraseSource, file: string): Promise<string> {
  let passphrase = source.env[source.envName];
  if (passphrase === undefined || passphrase === '') {
    if (!source.prompt) throw unavailable(source.envName);
    passphrase = await source.prompt(`New passphrase for ${file}: `);
    const again = await source.prompt('Repeat the passphrase: ');
    if (again !== passphrase)
      throw new KeyStoreError(
        'passphrase-unavailable',
        'the two passphrases differ; nothing written',
      );
  }
  if (Array.from(passphrase).length < MIN_PASSPHRASE_LENGTH)
    throw new KeyStoreError(
      'passphrase-unavailable',
      `the passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters`,
    );
  return passphrase;
}

function unavailable(envName: string): KeyStoreError {
  return new KeyStoreError(
    'passphrase-unavailable',
    `no passphrase: set the environment variable ${envName} (or name another with --passphrase-env), or run in a terminal to be prompted`,
  );
}
