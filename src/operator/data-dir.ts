/**
 * The registry's data directory: created 0700 on first start with the log's identity (origin)
 * and its two signing keys (Ed25519 + ML-DSA-44), each in an encrypted key file (0600), opened
 * (and on first start created) through a KeyProvider (src/keystore/key-provider.ts). No key is
 * shared between installations: every first start generates its own.
 *
 *   registry.json            {"origin": ...}
 *   keys/log-ed25519.json    encrypted secret key (matriz-secret-key/v1)
 *   keys/log-ml-dsa-44.json  encrypted secret key
 *   passphrase               only when neither MATRIZ_KEY_COMMAND nor MATRIZ_KEY_PASSPHRASE was
 *                            set at first start (0600)
 *   registry.sqlite3         the embedded store
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { SignatureAlgorithm } from '../crypto/algorithms.js';
import { writeFileAtomic } from '../files/atomic-file.js';
import { readSecretKeyFile } from '../keystore/key-file.js';
import type { KeyProvider, OpenedKey } from '../keystore/key-provider.js';
import { keyProviderFromEnvironment } from '../keystore/key-provider-from-environment.js';
import { LOG_PASSPHRASE_ENV } from '../keystore/passphrase.js';
import type { ScryptParameters } from '../keystore/secret-key-file.js';
import { isValidOrigin } from '../log/checkpoint.js';
import { base64Decode } from '../crypto/encoding.js';
import { canonicalize } from '../json/canonicalize.js';

export interface DataDirOptions {
  readonly dataDir: string;
  /** The log's origin; required to match the stored one after the first start. */
  readonly origin?: string;
  /** Opens (and on first start creates) the log keys; default: from `env`, see openKeyProvider. */
  readonly keyProvider?: KeyProvider;
  /** The environment the default provider reads (MATRIZ_KEY_COMMAND, ...); default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The variable holding the key passphrase; default MATRIZ_LOG_PASSPHRASE. */
  readonly passphraseEnv?: string;
  /** A passphrase given directly, in place of the passphrase variable. */
  readonly passphrase?: string;
  /** For tests only: cheaper key-file encryption. */
  readonly scrypt?: ScryptParameters;
  readonly warn: (message: string) => void;
}

export interface OpenedDataDir {
  readonly origin: string;
  readonly ed25519: OpenedKey;
  readonly mlDsa44: OpenedKey;
  readonly databaseFile: string;
  /** Opens the directory's other keys (rotated log keys, role keys). */
  readonly keyProvider: KeyProvider;
}

const DIRECTORY_MODE = 0o700;

/** The origin prefix made up when none is given at first start (production refuses it). */
export const DEFAULT_ORIGIN_PREFIX = 'matriz.local/';

/** The log's two signing keys: key file name (under `keys/`) = purpose, and algorithm. */
const LOG_KEYS = { ed25519: 'log-ed25519', mlDsa44: 'log-ml-dsa-44' } as const;

export async function openDataDir(options: DataDirOptions): Promise<OpenedDataDir> {
  const { dataDir } = options;
  await mkdir(path.join(dataDir, 'keys'), { recursive: true, mode: DIRECTORY_MODE });
  await chmod(dataDir, DIRECTORY_MODE);
  const configFile = path.join(dataDir, 'registry.json');
  const existing = await readJson(configFile);
  let origin: string;
  if (existing === undefined) {
    origin = options.origin ?? `${DEFAULT_ORIGIN_PREFIX}${randomBytes(6).toString('hex')}`;
    if (!isValidOrigin(origin))
      throw new Error(
        `--origin ${JSON.stringify(origin)} is not a valid log origin (no spaces or +)`,
      );
  } else {
    origin = String((existing as { origin?: unknown }).origin);
    if (options.origin !== undefined && options.origin !== origin) {
      throw new Error(
        `${configFile} says this log is ${JSON.stringify(origin)}; a log's origin cannot change (asked for ${JSON.stringify(options.origin)})`,
      );
    }
  }
  const provider =
    options.keyProvider ?? (await defaultKeyProvider(options, existing === undefined));
  const ed25519 = await openOrCreateKey(
    provider,
    dataDir,
    LOG_KEYS.ed25519,
    'ed25519',
    options.scrypt,
  );
  const mlDsa44 = await openOrCreateKey(
    provider,
    dataDir,
    LOG_KEYS.mlDsa44,
    'ml-dsa-44',
    options.scrypt,
  );
  if (existing === undefined) {
    await writeFileAtomic(
      configFile,
      `${canonicalize({ origin, created_at: new Date().toISOString() })}\n`,
      0o600,
    );
  }
  return {
    origin,
    ed25519,
    mlDsa44,
    databaseFile: path.join(dataDir, 'registry.sqlite3'),
    keyProvider: provider,
  };
}

/**
 * The key provider for the secret keys in `dataDir/keys/`, for the server and for operator
 * commands: MATRIZ_KEY_COMMAND, else the passphrase variable, else the data directory's
 * generated `passphrase` file (mode 0600; generated only when `firstStart`).
 */
export function openKeyProvider(
  dataDir: string,
  env: Readonly<Record<string, string | undefined>>,
  warn: (message: string) => void,
  options: { readonly passphraseEnv?: string; readonly firstStart?: boolean } = {},
): Promise<KeyProvider> {
  return keyProviderFromEnvironment({
    env,
    passphraseFile: path.join(dataDir, 'passphrase'),
    generatePassphraseFile: options.firstStart ?? false,
    ...(options.passphraseEnv === undefined ? {} : { passphraseEnv: options.passphraseEnv }),
    warn,
  });
}

/** The key file for `purpose` in a data directory: `keys/<purpose>.json`. */
export function dataDirKeyFile(dataDir: string, purpose: string): string {
  return path.join(dataDir, 'keys', `${purpose}.json`);
}

function defaultKeyProvider(options: DataDirOptions, firstStart: boolean): Promise<KeyProvider> {
  const passphraseEnv = options.passphraseEnv ?? LOG_PASSPHRASE_ENV;
  const env = options.env ?? process.env;
  return openKeyProvider(
    options.dataDir,
    options.passphrase === undefined ? env : { ...env, [passphraseEnv]: options.passphrase },
    options.warn,
    { passphraseEnv, firstStart },
  );
}

async function openOrCreateKey(
  provider: KeyProvider,
  dataDir: string,
  purpose: string,
  algorithm: SignatureAlgorithm,
  scrypt?: ScryptParameters,
): Promise<OpenedKey> {
  const file = dataDirKeyFile(dataDir, purpose);
  const exists = await stat(file).then(
    () => true,
    () => false,
  );
  if (!exists) await provider.createKey(file, algorithm, purpose, scrypt ? { scrypt } : {});
  return provider.openKey(file, purpose);
}

/** The directory is not a registry data directory, or lacks what it should hold. */
export class DataDirError extends Error {
  override readonly name = 'DataDirError';
}

export interface DataDirPublic {
  readonly origin: string;
  readonly ed25519PublicKey: Uint8Array;
  readonly mlDsa44PublicKey: Uint8Array;
  readonly databaseFile: string;
}

/** The log's identity and public keys, read without any passphrase (for fsck and audits). */
export async function readDataDirPublic(dataDir: string): Promise<DataDirPublic> {
  const config = await readJson(path.join(dataDir, 'registry.json'));
  if (config === undefined)
    throw new DataDirError(`${dataDir} is not a registry data directory (no registry.json)`);
  const [ed, ml] = await Promise.all([
    readSecretKeyFile(path.join(dataDir, 'keys', 'log-ed25519.json')),
    readSecretKeyFile(path.join(dataDir, 'keys', 'log-ml-dsa-44.json')),
  ]);
  return {
    origin: String((config as { origin?: unknown }).origin),
    ed25519PublicKey: base64Decode(ed.public_key),
    mlDsa44PublicKey: base64Decode(ml.public_key),
    databaseFile: path.join(dataDir, 'registry.sqlite3'),
  };
}

async function readJson(file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as unknown);
}
