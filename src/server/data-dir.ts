/**
 * The registry's data directory: created 0700 on first start with the log's identity (origin)
 * and its two signing keys (Ed25519 + ML-DSA-44), each in an encrypted key file (0600). No key
 * is shared between installations: every first start generates its own.
 *
 *   registry.json            {"origin": ...}
 *   keys/log-ed25519.json    encrypted secret key (matriz-secret-key/v1)
 *   keys/log-ml-dsa-44.json  encrypted secret key
 *   passphrase               only when MATRIZ_KEY_PASSPHRASE was unset at first start (0600)
 *   registry.sqlite3         the embedded store
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { SignatureAlgorithm } from '../crypto/algorithms.js';
import { writeFileAtomic } from '../store/atomic-file.js';
import { createSecretKeyFile } from '../keystore/create-key-file.js';
import { openSecretKey, readSecretKeyFile, type OpenedKey } from '../keystore/key-file.js';
import type { ScryptParameters } from '../keystore/secret-key-file.js';
import { isValidOrigin } from '../log/checkpoint.js';
import { base64Decode } from '../crypto/encoding.js';
import { canonicalize } from '../json/canonicalize.js';

export interface DataDirOptions {
  readonly dataDir: string;
  /** The log's origin; required to match the stored one after the first start. */
  readonly origin?: string;
  /** Passphrase from the environment, if set. */
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
}

const DIRECTORY_MODE = 0o700;

export async function openDataDir(options: DataDirOptions): Promise<OpenedDataDir> {
  const { dataDir } = options;
  await mkdir(path.join(dataDir, 'keys'), { recursive: true, mode: DIRECTORY_MODE });
  await chmod(dataDir, DIRECTORY_MODE);
  const configFile = path.join(dataDir, 'registry.json');
  const existing = await readJson(configFile);
  let origin: string;
  if (existing === undefined) {
    origin = options.origin ?? `matriz.local/${randomBytes(6).toString('hex')}`;
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
  const passphrase = await passphraseFor(options, existing === undefined);
  const ed25519 = await openOrCreateKey(
    path.join(dataDir, 'keys', 'log-ed25519.json'),
    'ed25519',
    passphrase,
    options.scrypt,
  );
  const mlDsa44 = await openOrCreateKey(
    path.join(dataDir, 'keys', 'log-ml-dsa-44.json'),
    'ml-dsa-44',
    passphrase,
    options.scrypt,
  );
  if (existing === undefined) {
    await writeFileAtomic(
      configFile,
      `${canonicalize({ origin, created_at: new Date().toISOString() })}\n`,
      0o600,
    );
  }
  return { origin, ed25519, mlDsa44, databaseFile: path.join(dataDir, 'registry.sqlite3') };
}

async function passphraseFor(options: DataDirOptions, firstStart: boolean): Promise<string> {
  if (options.passphrase !== undefined && options.passphrase !== '') return options.passphrase;
  const file = path.join(options.dataDir, 'passphrase');
  const stored = await readFile(file, 'utf8').catch(() => undefined);
  if (stored !== undefined) {
    const mode = (await stat(file)).mode;
    if ((mode & 0o077) !== 0)
      throw new Error(`${file} is readable by group or others; run chmod 600 ${file}`);
    options.warn(
      `log keys are encrypted with the passphrase stored in ${file}; set MATRIZ_KEY_PASSPHRASE and remove that file to keep the passphrase off the disk`,
    );
    return stored.trim();
  }
  if (!firstStart) {
    throw new Error(
      `no passphrase for the log keys in ${options.dataDir}: set MATRIZ_KEY_PASSPHRASE`,
    );
  }
  const generated = randomBytes(32).toString('base64url');
  await writeFileAtomic(file, `${generated}\n`, 0o600);
  options.warn(
    `MATRIZ_KEY_PASSPHRASE is not set: generated a random passphrase for the log keys in ${file} (mode 0600). ` +
      'For production, set MATRIZ_KEY_PASSPHRASE from a secret store (or MATRIZ_KEY_COMMAND) and delete that file.',
  );
  return generated;
}

async function openOrCreateKey(
  file: string,
  algorithm: SignatureAlgorithm,
  passphrase: string,
  scrypt?: ScryptParameters,
): Promise<OpenedKey> {
  const exists = await stat(file).then(
    () => true,
    () => false,
  );
  if (!exists) await createSecretKeyFile(file, algorithm, passphrase, scrypt ? { scrypt } : {});
  return openSecretKey(file, passphrase);
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
    throw new Error(`${dataDir} is not a registry data directory (no registry.json)`);
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
