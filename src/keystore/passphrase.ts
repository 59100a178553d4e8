/**
 * Where passphrases come from: an environment variable (named by `--passphrase-env`) or, on a
 * terminal, a prompt that does not echo. Never a command-line argument: those are visible to
 * every user of the machine (`ps`) and kept in shell history.
 *
 * Two secrets, two names (docs/security.md, "Passphrases"): MATRIZ_OWNER_PASSPHRASE opens an
 * owner's key, MATRIZ_LOG_PASSPHRASE the log's keys in a data directory. MATRIZ_KEY_PASSPHRASE,
 * the one variable that used to open both, still works as a fallback with a deprecation notice.
 */
import { KeyStoreError } from './errors.js';

/** The passphrase of a key file given with `--key` (trust sign, restore). */
export const DEFAULT_PASSPHRASE_ENV = 'MATRIZ_KEY_PASSPHRASE';
/** The passphrase of the owner's key (register, deregister, keys, sign). */
export const OWNER_PASSPHRASE_ENV = 'MATRIZ_OWNER_PASSPHRASE';
/** The passphrase of the log's keys in a data directory (serve, operator commands, export). */
export const LOG_PASSPHRASE_ENV = 'MATRIZ_LOG_PASSPHRASE';
/** Deprecated for owner and log keys: read only when their own variable is not set. */
export const LEGACY_PASSPHRASE_ENV = DEFAULT_PASSPHRASE_ENV;

/** Shorter passphrases are refused when a key file is written. */
export const MIN_PASSPHRASE_LENGTH = 8;

/** Asks the user for a passphrase without echo; `undefined` when there is no terminal. */
export type PassphrasePrompt = (question: string) => Promise<string>;

export interface PassphraseSource {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly envName: string;
  readonly prompt: PassphrasePrompt | undefined;
  /** A deprecated variable read when `envName` is unset, with `onDeprecated` told so. */
  readonly fallbackEnvName?: string;
  readonly onDeprecated?: (message: string) => void;
}

/** Where the passphrase of `source` comes from now: a variable's name, or "the prompt". */
export function passphraseOrigin(source: PassphraseSource): string {
  if (nonEmpty(source.env[source.envName]) !== undefined) return source.envName;
  if (source.fallbackEnvName !== undefined && nonEmpty(source.env[source.fallbackEnvName]))
    return source.fallbackEnvName;
  return source.prompt ? 'the prompt' : source.envName;
}

function fromEnvironment(source: PassphraseSource): string | undefined {
  const own = nonEmpty(source.env[source.envName]);
  if (own !== undefined || source.fallbackEnvName === undefined) return own;
  const fallback = nonEmpty(source.env[source.fallbackEnvName]);
  if (fallback !== undefined)
    source.onDeprecated?.(
      `${source.fallbackEnvName} is deprecated for this key: set ${source.envName} instead (read because ${source.envName} is not set)`,
    );
  return fallback;
}

/** The passphrase to open an existing key file. */
export async function passphraseToOpen(source: PassphraseSource, file: string): Promise<string> {
  const fromEnv = fromEnvironment(source);
  if (fromEnv !== undefined) return fromEnv;
  if (source.prompt) return source.prompt(`Passphrase for ${file}: `);
  throw unavailable(source.envName);
}

/** The passphrase for a new key file, typed twice when prompted; refuses a short one. */
export async function passphraseToCreate(source: PassphraseSource, file: string): Promise<string> {
  let passphrase = fromEnvironment(source);
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

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
