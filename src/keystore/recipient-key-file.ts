/**
 * X-Wing recipient keys for encrypted exports (docs/formats.md): the same encrypted key file
 * format as signing keys (`matriz-secret-key/v1`, mode 0600, never overwritten) with
 * `"alg": "x-wing"`, holding the 32-byte X-Wing seed. The public half is exported as
 * `{"alg": "x-wing", "public_key", "keyid"}`, with keyid = hex(SHA-256("x-wing" || 0x00 || pk)).
 */
import { base64Decode, base64Encode, equalBytes } from '../crypto/encoding.js';
import { CryptoError } from '../crypto/errors.js';
import { generateHpkeKeyPair, hpkeKeyPairFromSeed } from '../crypto/hpke.js';
import { keyId } from '../crypto/keys.js';
import { writeFileAtomic } from '../files/atomic-file.js';
import { KeyStoreError } from './errors.js';
import { readKeyFileJson, SECRET_KEY_FILE_MODE } from './key-file.js';
import {
  DEFAULT_SCRYPT,
  decryptSecretKey,
  encryptSecretKey,
  parseRecipientKeyFile,
  RECIPIENT_KEY_ALGORITHM,
  type ScryptParameters,
  type SecretKeyFile,
} from './secret-key-file.js';

/** X-Wing encapsulation keys are 1216 bytes (draft-connolly-cfrg-xwing-kem). */
const PUBLIC_KEY_LENGTH = 1216;

export interface RecipientKey {
  readonly publicKey: Uint8Array;
  readonly keyid: string;
}

export interface RecipientKeyJson {
  readonly alg: typeof RECIPIENT_KEY_ALGORITHM;
  readonly public_key: string;
  readonly keyid: string;
}

export function recipientKeyOf(publicKey: Uint8Array): RecipientKey {
  if (publicKey.length !== PUBLIC_KEY_LENGTH)
    throw new CryptoError(
      'invalid-key',
      `an X-Wing public key is ${PUBLIC_KEY_LENGTH} bytes, got ${publicKey.length}`,
    );
  return { publicKey, keyid: keyId(RECIPIENT_KEY_ALGORITHM, publicKey) };
}

export function recipientKeyToJson(key: RecipientKey): RecipientKeyJson {
  return {
    alg: RECIPIENT_KEY_ALGORITHM,
    public_key: base64Encode(key.publicKey),
    keyid: key.keyid,
  };
}

/** Reads recipient public key JSON; a `keyid` that does not match the key is refused. */
export function recipientKeyFromJson(value: unknown, source: string): RecipientKey {
  const record = (typeof value === 'object' && value !== null ? value : {}) as Record<
    string,
    unknown
  >;
  if (record.alg !== RECIPIENT_KEY_ALGORITHM || typeof record.public_key !== 'string')
    throw new CryptoError(
      'malformed',
      `${source}: not an X-Wing recipient public key ({"alg": "x-wing", "public_key", "keyid"}; make one with matriz keys generate --alg x-wing, then matriz keys export-public)`,
    );
  const key = recipientKeyOf(base64Decode(record.public_key, `${source}: "public_key"`));
  if (record.keyid !== undefined && record.keyid !== key.keyid)
    throw new CryptoError('malformed', `${source}: "keyid" does not match "public_key"`);
  return key;
}

/** Generates a recipient key pair and writes its encrypted secret key file (0600, exclusive). */
export async function createRecipientKeyFile(
  file: string,
  passphrase: string,
  scrypt: ScryptParameters = DEFAULT_SCRYPT,
): Promise<SecretKeyFile<typeof RECIPIENT_KEY_ALGORITHM>> {
  const pair = await generateHpkeKeyPair();
  const contents = await encryptSecretKey(
    { algorithm: RECIPIENT_KEY_ALGORITHM, publicKey: pair.publicKey, seed: pair.privateKey },
    passphrase,
    scrypt,
  );
  await writeFileAtomic(file, `${JSON.stringify(contents, null, 2)}\n`, SECRET_KEY_FILE_MODE, {
    exclusive: true,
  });
  return contents;
}

/** Reads a recipient key file's public half, without the passphrase. */
export async function readRecipientKeyFile(
  file: string,
): Promise<SecretKeyFile<typeof RECIPIENT_KEY_ALGORITHM>> {
  return parseRecipientKeyFile(await readKeyFileJson(file), file);
}

/** Opens a recipient key file: permissions, passphrase, integrity; returns the X-Wing key pair. */
export async function openRecipientKey(
  file: string,
  passphrase: string,
): Promise<RecipientKey & { readonly privateKey: Uint8Array }> {
  const contents = await readRecipientKeyFile(file);
  const decrypted = await decryptSecretKey(contents, passphrase, file, parseRecipientKeyFile);
  const pair = await hpkeKeyPairFromSeed(decrypted.seed).catch((error: unknown) => {
    throw new KeyStoreError('tampered', `${file}: the stored seed is not an X-Wing seed`, {
      cause: error,
    });
  });
  if (!equalBytes(pair.publicKey, decrypted.publicKey))
    throw new KeyStoreError(
      'tampered',
      `${file}: the seed does not produce the stored public key; the file is corrupt or was modified`,
    );
  return { ...recipientKeyOf(pair.publicKey), privateKey: pair.privateKey };
}
