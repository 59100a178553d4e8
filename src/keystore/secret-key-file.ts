/**
 * The encrypted secret key file format, `matriz-secret-key/v1` (docs/crypto.md):
 *
 *   {
 *     "format": "matriz-secret-key/v1",
 *     "alg": "ml-dsa-44", "keyid": "<hex>", "public_key": "<base64>",
 *     "kdf": { "name": "scrypt", "salt": "<base64, 16 bytes>", "N": 131072, "r": 8, "p": 1 },
 *     "cipher": { "name": "aes-256-gcm", "nonce": "<base64, 12 bytes>" },
 *     "passphrase_check": "<base64, 16 bytes>",
 *     "ciphertext": "<base64: encrypted seed || 16-byte tag>"
 *   }
 *
 * scrypt (RFC 7914) derives 64 bytes from the passphrase: the first 32 are the AES-256-GCM key
 * (NIST SP 800-38D), the last 32 key an HMAC-SHA256 whose truncation is `passphrase_check`, so a
 * wrong passphrase is told apart from a modified file. Everything except the ciphertext and the
 * check is authenticated as GCM additional data (its RFC 8785 canonical form): changing the
 * algorithm, key id, public key or parameters makes decryption fail. Only the seed is stored;
 * the expanded secret key is rebuilt from it, and the rebuilt public key must equal the stored one.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, scrypt } from 'node:crypto';
import { isKeyAlgorithm, type KeyAlgorithm } from '../crypto/algorithms.js';
import { base64Decode, base64Encode, equalBytes } from '../crypto/encoding.js';
import { keyId } from '../crypto/keys.js';
import { canonicalize } from '../json/canonicalize.js';
import { KeyStoreError } from './errors.js';

export const SECRET_KEY_FORMAT = 'matriz-secret-key/v1';

export interface ScryptParameters {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/**
 * Default cost: N = 2^17, r = 8 (128 MiB, about half a second), the interactive-login setting
 * recommended for scrypt in 2017 and still above OWASP's current minimum (N = 2^17).
 */
export const DEFAULT_SCRYPT: ScryptParameters = { N: 2 ** 17, r: 8, p: 1 };

/**
 * Bounds on parameters read from a file, so a hostile file cannot demand unbounded work. scrypt
 * needs 128 * N * r bytes: at most 4 GiB, what the largest file the CLI writes (N = 2^22, r = 8)
 * needs; N = 2^22 with r = 32 alone would ask for 16 GiB (issue 13, RT-FUZZ-18).
 */
const LIMITS = { minLogN: 10, maxLogN: 22, maxR: 32, maxP: 16, maxMemory: 128 * 2 ** 22 * 8 };

/** The HPKE recipient key algorithm (src/crypto/hpke.ts); its files hold the 32-byte X-Wing seed. */
export const RECIPIENT_KEY_ALGORITHM = 'x-wing';

/** What a key file may hold: a signing key, or an X-Wing recipient key for encrypted exports. */
export type StoredKeyAlgorithm = KeyAlgorithm | typeof RECIPIENT_KEY_ALGORITHM;

export interface SecretKeyFile<A extends StoredKeyAlgorithm = KeyAlgorithm> {
  readonly format: typeof SECRET_KEY_FORMAT;
  readonly alg: A;
  readonly keyid: string;
  readonly public_key: string;
  readonly kdf: { readonly name: 'scrypt'; readonly salt: string } & ScryptParameters;
  readonly cipher: { readonly name: 'aes-256-gcm'; readonly nonce: string };
  readonly passphrase_check: string;
  readonly ciphertext: string;
}

export interface DecryptedKey<A extends StoredKeyAlgorithm = KeyAlgorithm> {
  readonly algorithm: A;
  readonly keyid: string;
  readonly publicKey: Uint8Array;
  readonly seed: Uint8Array;
}

const CHECK_LABEL = 'matriz-secret-key/v1 passphrase check';

export async function encryptSecretKey<A extends StoredKeyAlgorithm>(
  key: { algorithm: A; publicKey: Uint8Array; seed: Uint8Array },
  passphrase: string,
  scryptParameters: ScryptParameters = DEFAULT_SCRYPT,
): Promise<SecretKeyFile<A>> {
  const salt = randomBytes(16);
  const nonce = randomBytes(12);
  const header = {
    format: SECRET_KEY_FORMAT,
    alg: key.algorithm,
    keyid: keyId(key.algorithm, key.publicKey),
    public_key: base64Encode(key.publicKey),
    kdf: { name: 'scrypt', salt: base64Encode(salt), ...scryptParameters },
    cipher: { name: 'aes-256-gcm', nonce: base64Encode(nonce) },
  } as const;
  const derived = await deriveKeys(passphrase, salt, scryptParameters);
  const cipher = createCipheriv('aes-256-gcm', derived.encryption, nonce);
  cipher.setAAD(additionalData(header));
  const ciphertext = Buffer.concat([cipher.update(key.seed), cipher.final(), cipher.getAuthTag()]);
  return {
    ...header,
    passphrase_check: base64Encode(derived.check),
    ciphertext: base64Encode(ciphertext),
  };
}

/**
 * Opens a secret key file's JSON value. `file` names the file in error messages. The caller
 * still has to rebuild the key pair from the seed and compare public keys (`tampered` if not).
 */
export async function decryptSecretKey<A extends StoredKeyAlgorithm = KeyAlgorithm>(
  value: unknown,
  passphrase: string,
  file: string,
  parse: (value: unknown, file: string) => SecretKeyFile<A> = parseSecretKeyFile as never,
): Promise<DecryptedKey<A>> {
  const parsed = parse(value, file);
  const salt = decode(parsed.kdf.salt, file, 'kdf.salt');
  const nonce = decode(parsed.cipher.nonce, file, 'cipher.nonce');
  const ciphertext = decode(parsed.ciphertext, file, 'ciphertext');
  const publicKey = decode(parsed.public_key, file, 'public_key');
  if (nonce.length !== 12 || salt.length < 16 || ciphertext.length <= 16)
    throw new KeyStoreError('malformed', `${file}: salt, nonce or ciphertext has the wrong length`);
  const derived = await deriveKeys(passphrase, salt, parsed.kdf);
  if (!equalBytes(derived.check, decode(parsed.passphrase_check, file, 'passphrase_check')))
    throw new KeyStoreError(
      'wrong-passphrase',
      `${file}: wrong passphrase (check the environment variable or what you typed)`,
    );
  const header = headerOf(parsed);
  const decipher = createDecipheriv('aes-256-gcm', derived.encryption, nonce);
  decipher.setAAD(additionalData(header));
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  let seed: Uint8Array;
  try {
    seed = new Uint8Array(
      Buffer.concat([
        decipher.update(ciphertext.subarray(0, ciphertext.length - 16)),
        decipher.final(),
      ]),
    );
  } catch (error) {
    throw new KeyStoreError(
      'tampered',
      `${file}: the file was modified after it was written (authentication failed); restore it from a backup`,
      { cause: error },
    );
  }
  if (keyId(parsed.alg, publicKey) !== parsed.keyid)
    throw new KeyStoreError('tampered', `${file}: "keyid" does not match "public_key"`);
  return { algorithm: parsed.alg, keyid: parsed.keyid, publicKey, seed };
}

/** Checks a signing key file's shape and parameter bounds; no secrets involved. */
export function parseSecretKeyFile(value: unknown, file: string): SecretKeyFile {
  const parsed = parseStoredKeyFile(value, file);
  if (parsed.alg === RECIPIENT_KEY_ALGORITHM)
    throw new KeyStoreError(
      'malformed',
      `${file}: an X-Wing recipient key (for matriz restore --key), not a signing key`,
    );
  return parsed as SecretKeyFile;
}

/** Checks an X-Wing recipient key file's shape and parameter bounds; no secrets involved. */
export function parseRecipientKeyFile(
  value: unknown,
  file: string,
): SecretKeyFile<typeof RECIPIENT_KEY_ALGORITHM> {
  const parsed = parseStoredKeyFile(value, file);
  if (parsed.alg !== RECIPIENT_KEY_ALGORITHM)
    throw new KeyStoreError(
      'malformed',
      `${file}: a ${parsed.alg} signing key, not an X-Wing recipient key (make one with matriz keys generate --alg x-wing)`,
    );
  return parsed as SecretKeyFile<typeof RECIPIENT_KEY_ALGORITHM>;
}

/** Checks any key file's shape and parameter bounds; no secrets involved. */
export function parseStoredKeyFile(
  value: unknown,
  file: string,
): SecretKeyFile<StoredKeyAlgorithm> {
  const bad = (what: string): KeyStoreError =>
    new KeyStoreError('malformed', `${file}: not a ${SECRET_KEY_FORMAT} file (${what})`);
  if (!isRecord(value)) throw bad('expected a JSON object');
  if (value.format !== SECRET_KEY_FORMAT) throw bad(`"format" must be "${SECRET_KEY_FORMAT}"`);
  const { alg, keyid, public_key, kdf, cipher, passphrase_check, ciphertext } = value;
  if (typeof alg !== 'string' || !(isKeyAlgorithm(alg) || alg === RECIPIENT_KEY_ALGORITHM))
    throw bad('unknown "alg"');
  for (const [name, field] of Object.entries({ keyid, public_key, passphrase_check, ciphertext }))
    if (typeof field !== 'string') throw bad(`"${name}" must be a string`);
  if (!isRecord(kdf) || kdf.name !== 'scrypt' || typeof kdf.salt !== 'string')
    throw bad('"kdf" must be scrypt with a salt');
  const { N, r, p } = kdf;
  if (
    typeof N !== 'number' ||
    typeof r !== 'number' ||
    typeof p !== 'number' ||
    !Number.isInteger(Math.log2(N)) ||
    Math.log2(N) < LIMITS.minLogN ||
    Math.log2(N) > LIMITS.maxLogN ||
    !Number.isInteger(r) ||
    r < 1 ||
    r > LIMITS.maxR ||
    !Number.isInteger(p) ||
    p < 1 ||
    p > LIMITS.maxP
  )
    throw bad(
      'scrypt parameters out of range (N a power of 2 from 2^10 to 2^22, r 1..32, p 1..16)',
    );
  if (128 * N * r > LIMITS.maxMemory)
    throw bad(
      `scrypt parameters need ${(128 * N * r) / 2 ** 30} GiB; at most 4 GiB (128 * N * r) is accepted`,
    );
  if (!isRecord(cipher) || cipher.name !== 'aes-256-gcm' || typeof cipher.nonce !== 'string')
    throw bad('"cipher" must be aes-256-gcm with a nonce');
  return {
    format: SECRET_KEY_FORMAT,
    alg,
    keyid: keyid as string,
    public_key: public_key as string,
    kdf: { name: 'scrypt', salt: kdf.salt, N, r, p },
    cipher: { name: 'aes-256-gcm', nonce: cipher.nonce },
    passphrase_check: passphrase_check as string,
    ciphertext: ciphertext as string,
  };
}

async function deriveKeys(
  passphrase: string,
  salt: Uint8Array,
  { N, r, p }: ScryptParameters,
): Promise<{ encryption: Uint8Array; check: Uint8Array }> {
  const derived = await new Promise<Buffer>((resolve, reject) => {
    // maxmem: scrypt needs 128 * N * r bytes; allow that plus slack.
    scrypt(
      passphrase.normalize('NFC'),
      salt,
      64,
      { N, r, p, maxmem: 256 * N * r + 2 ** 20 },
      (error, key) => {
        if (error) reject(error);
        else resolve(key);
      },
    );
  });
  const check = createHmac('sha256', derived.subarray(32)).update(CHECK_LABEL).digest();
  return { encryption: derived.subarray(0, 32), check: new Uint8Array(check.subarray(0, 16)) };
}

/** The authenticated part of the file: everything except the check value and the ciphertext. */
function headerOf(file: SecretKeyFile<StoredKeyAlgorithm>): object {
  const { format, alg, keyid, public_key, kdf, cipher } = file;
  return { format, alg, keyid, public_key, kdf, cipher };
}

function additionalData(header: object): Uint8Array {
  return new TextEncoder().encode(canonicalize(header));
}

function decode(text: string, file: string, field: string): Uint8Array {
  try {
    return base64Decode(text, field);
  } catch (error) {
    throw new KeyStoreError('malformed', `${file}: "${field}" is not valid base64`, {
      cause: error,
    });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
