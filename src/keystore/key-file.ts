/**
 * Secret key files on disk: refused unless private to their owner (no group or other
 * permission bits), then opened with a passphrase and checked against the public key they claim.
 * Writing is the caller's (the CLI writes atomically with mode 0600, docs/crypto.md).
 */
import { readFile, stat } from 'node:fs/promises';
import { publicKeyOf, type PublicKey } from '../crypto/keys.js';
import { equalBytes } from '../crypto/encoding.js';
import { loadSignatureSuite, type BackendPreference } from '../crypto/suites.js';
import type { SignatureSuite } from '../crypto/suite.js';
import { parseJson } from '../json/parse.js';
import { KeyStoreError } from './errors.js';
import { decryptSecretKey, parseSecretKeyFile, type SecretKeyFile } from './secret-key-file.js';

/** Mode of every secret key file: read and write for the owner only. */
export const SECRET_KEY_FILE_MODE = 0o600;

export interface OpenedKey {
  readonly key: PublicKey;
  /** The expanded secret key, rebuilt from the stored seed. */
  readonly secretKey: Uint8Array;
  readonly suite: SignatureSuite;
}

/** Reads and shape-checks a secret key file, refusing one that others can read. */
export async function readSecretKeyFile(file: string): Promise<SecretKeyFile> {
  return parseSecretKeyFile(await readKeyFileJson(file), file);
}

/** Reads a key file's JSON, refusing one that others can read; its shape is the caller's to check. */
export async function readKeyFileJson(file: string): Promise<unknown> {
  let mode: number;
  try {
    mode = (await stat(file)).mode;
  } catch (error) {
    throw new KeyStoreError('io', `${file}: cannot read the key file (${describe(error)})`, {
      cause: error,
    });
  }
  // POSIX permission bits; Windows reports no group/other bits worth checking.
  if (process.platform !== 'win32' && (mode & 0o077) !== 0)
    throw new KeyStoreError(
      'insecure-permissions',
      `${file}: secret key file is accessible by group or others (mode ${(mode & 0o777).toString(8).padStart(3, '0')}); run \`chmod 600 ${file}\` if you trust its contents, or regenerate the key`,
    );
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new KeyStoreError('io', `${file}: cannot read the key file (${describe(error)})`, {
      cause: error,
    });
  }
  const parsed = parseJson(bytes, { maxBytes: 64 * 1024 });
  if (!parsed.ok)
    throw new KeyStoreError(
      'malformed',
      `${file}:${parsed.error.line}:${parsed.error.column}: not a secret key file: ${parsed.error.message}`,
    );
  return parsed.value;
}

/** Opens a secret key file: permissions, passphrase, integrity, self-tested suite. */
export async function openSecretKey(
  file: string,
  passphrase: string,
  backend: BackendPreference = 'auto',
): Promise<OpenedKey> {
  const contents = await readSecretKeyFile(file);
  const decrypted = await decryptSecretKey(contents, passphrase, file);
  const suite = await loadSignatureSuite(decrypted.algorithm, backend);
  if (decrypted.seed.length !== suite.lengths.seed)
    throw new KeyStoreError('tampered', `${file}: the stored seed has the wrong length`);
  const pair = suite.generateKeyPair(decrypted.seed);
  if (!equalBytes(pair.publicKey, decrypted.publicKey))
    throw new KeyStoreError(
      'tampered',
      `${file}: the seed does not produce the stored public key; the file is corrupt or was modified`,
    );
  return {
    key: publicKeyOf(decrypted.algorithm, pair.publicKey),
    secretKey: pair.secretKey,
    suite,
  };
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
}
