/** The owner key a client signs registry writes with: `--key FILE`, or one in the config directory. */
import { stat } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { signerFor, type EnvelopeSigner } from '../crypto/dsse.js';
import { ownerId, type PublicKey } from '../crypto/keys.js';
import { createSecretKeyFile } from '../keystore/create-key-file.js';
import { KeyStoreError } from '../keystore/errors.js';
import { openSecretKey } from '../keystore/key-file.js';
import {
  LOG_PASSPHRASE_ENV,
  passphraseOrigin,
  passphraseToCreate,
  passphraseToOpen,
  type PassphraseSource,
} from '../keystore/passphrase.js';

export interface OwnerKey {
  readonly file: string;
  readonly key: PublicKey;
  readonly ownerId: string;
  readonly signer: EnvelopeSigner;
  /** True when this call created the key. */
  readonly created: boolean;
}

export const DEFAULT_OWNER_KEY_ALGORITHM = 'ml-dsa-44';

export async function ownerKey(
  file: string | undefined,
  configDir: string,
  passphrase: PassphraseSource,
): Promise<OwnerKey> {
  const keyFile = file ?? path.join(configDir, 'owner.key');
  const exists = await stat(keyFile).then(
    () => true,
    () => false,
  );
  let created = false;
  if (!exists) {
    if (file !== undefined)
      throw new KeyStoreError(
        'io',
        `owner key ${file}: no such file; create it with \`matriz keys generate --alg ${DEFAULT_OWNER_KEY_ALGORITHM} --out ${file}\`, or leave out --key to use the one in the config directory`,
      );
    await mkdir(configDir, { recursive: true, mode: 0o700 });
    await createSecretKeyFile(
      keyFile,
      DEFAULT_OWNER_KEY_ALGORITHM,
      await passphraseToCreate(passphrase, keyFile),
    );
    created = true;
  }
  const opened = await openSecretKey(keyFile, await passphraseToOpen(passphrase, keyFile)).catch(
    (error: unknown) => {
      if (error instanceof KeyStoreError && error.code === 'wrong-passphrase')
        throw new KeyStoreError(
          'wrong-passphrase',
          `the owner key ${keyFile} does not open with the passphrase from ${passphraseOrigin(passphrase)}: wrong passphrase; owner keys open with ${passphrase.envName} (${LOG_PASSPHRASE_ENV} is for the log's keys)`,
          { cause: error },
        );
      throw error;
    },
  );
  return {
    file: keyFile,
    key: opened.key,
    ownerId: ownerId(opened.key.keyid),
    signer: signerFor(opened.key, opened.secretKey, opened.suite),
    created,
  };
}
