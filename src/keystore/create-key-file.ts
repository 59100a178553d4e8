import type { KeyAlgorithm } from '../crypto/algorithms.js';
import { loadSignatureSuite, type BackendPreference } from '../crypto/suites.js';
import { writeFileAtomic } from '../files/atomic-file.js';
import { SECRET_KEY_FILE_MODE } from './key-file.js';
import {
  DEFAULT_SCRYPT,
  encryptSecretKey,
  type ScryptParameters,
  type SecretKeyFile,
} from './secret-key-file.js';

/**
 * Generates a key pair and writes its secret key file: the seed encrypted under `passphrase`,
 * written atomically with mode 0600. Never overwrites: an existing file is an error.
 */
export async function createSecretKeyFile(
  file: string,
  algorithm: KeyAlgorithm,
  passphrase: string,
  options: { scrypt?: ScryptParameters; backend?: BackendPreference } = {},
): Promise<SecretKeyFile> {
  const suite = await loadSignatureSuite(algorithm, options.backend ?? 'auto');
  const pair = suite.generateKeyPair();
  const contents = await encryptSecretKey(
    { algorithm, publicKey: pair.publicKey, seed: pair.seed },
    passphrase,
    options.scrypt ?? DEFAULT_SCRYPT,
  );
  await writeFileAtomic(file, `${JSON.stringify(contents, null, 2)}\n`, SECRET_KEY_FILE_MODE, {
    exclusive: true,
  });
  return contents;
}
