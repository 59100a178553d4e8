/** The `matriz keys` command group: generate, show, export-public (docs/crypto.md). */
import { OWNER_PASSPHRASE_ENV } from '../../keystore/passphrase.js';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { KEY_ALGORITHMS, resolveAlgorithm } from '../../crypto/algorithms.js';
import { base64Decode } from '../../crypto/encoding.js';
import { ownerId, publicKeyOf, publicKeyToJson, type PublicKey } from '../../crypto/keys.js';
import { createSecretKeyFile } from '../../keystore/create-key-file.js';
import { KeyStoreError } from '../../keystore/errors.js';
import { CryptoError } from '../../crypto/errors.js';
import { readKeyFileJson, readSecretKeyFile } from '../../keystore/key-file.js';
import {
  createRecipientKeyFile,
  recipientKeyOf,
  recipientKeyToJson,
  type RecipientKey,
} from '../../keystore/recipient-key-file.js';
import { passphraseToCreate } from '../../keystore/passphrase.js';
import {
  DEFAULT_SCRYPT,
  parseRecipientKeyFile,
  RECIPIENT_KEY_ALGORITHM,
  type SecretKeyFile,
} from '../../keystore/secret-key-file.js';
import {
  cryptoBackend,
  passphraseEnvOption,
  passphraseSource,
  withKeyErrors,
} from '../crypto-context.js';
import { EXIT_OK, UsageError } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { addKeyOperatorCommands } from './keys-operator.js';

export function keysCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  const group = new Command('keys').description(
    'generate and inspect signing keys (secret keys encrypted at rest)',
  );

  group
    .command('generate')
    .description('generate a key pair and write the secret key, encrypted, with mode 0600')
    .requiredOption(
      '--alg <alg>',
      `algorithm: ${KEY_ALGORITHMS.join(', ')} (dilithium2|3|5 read as ml-dsa-44|65|87), or x-wing for an export recipient key`,
    )
    .requiredOption('--out <file>', 'secret key file to create (never overwritten)')
    .addOption(passphraseEnvOption(OWNER_PASSPHRASE_ENV))
    .addOption(
      new Option('--scrypt-log-n <n>', 'scrypt cost: N = 2^n (10..22)')
        .argParser(scryptLogN)
        .default(Math.log2(DEFAULT_SCRYPT.N)),
    )
    .action(
      async (opts: { alg: string; out: string; passphraseEnv: string; scryptLogN: number }) => {
        if (opts.alg === RECIPIENT_KEY_ALGORITHM) {
          await generateRecipientKey(io, opts);
          setExitCode(EXIT_OK);
          return;
        }
        const resolved = resolveAlgorithm(opts.alg);
        if (!resolved)
          throw new UsageError(
            `unknown algorithm ${JSON.stringify(opts.alg)}; choose one of ${KEY_ALGORITHMS.join(', ')}`,
          );
        if (resolved.deprecation) io.stderr(`matriz: warning: ${resolved.deprecation}\n`);
        const file = path.resolve(io.cwd, opts.out);
        if (await exists(file))
          throw new UsageError(`${opts.out} already exists; refusing to overwrite a key file`);
        await withKeyErrors(async () => {
          const passphrase = await passphraseToCreate(
            passphraseSource(io, opts.passphraseEnv),
            opts.out,
          );
          const contents = await createSecretKeyFile(file, resolved.algorithm, passphrase, {
            scrypt: { ...DEFAULT_SCRYPT, N: 2 ** opts.scryptLogN },
            backend: cryptoBackend(io),
          }).catch((error: unknown) => {
            if ((error as { code?: string }).code === 'EEXIST')
              throw new UsageError(`${opts.out} already exists; refusing to overwrite a key file`);
            if (error instanceof KeyStoreError || error instanceof CryptoError) throw error;
            throw new UsageError(`${opts.out}: cannot write the key file (${String(error)})`);
          });
          io.stdout(
            `wrote ${opts.out} (mode 0600)\n` +
              `alg       ${resolved.algorithm}\n` +
              `keyid     ${contents.keyid}\n` +
              `owner_id  ${ownerId(contents.keyid)}\n`,
          );
        });
        setExitCode(EXIT_OK);
      },
    );

  group
    .command('show')
    .description('print a key file’s algorithm, keyid and owner_id (never the secret)')
    .argument('<file>', 'secret key file')
    .option('--json', 'print one JSON object', false)
    .action(async (file: string, opts: { json: boolean }) => {
      const recipient = await recipientPartOf(io, file);
      if (recipient) {
        const { contents, key } = recipient;
        const kdf = `scrypt N=2^${Math.log2(contents.kdf.N)} r=${contents.kdf.r} p=${contents.kdf.p}`;
        io.stdout(
          opts.json
            ? `${JSON.stringify({ ...recipientKeyToJson(key), encryption: `${contents.cipher.name}, ${kdf}` })}\n`
            : `file        ${file}\nalg         x-wing (export recipient key)\nkeyid       ${key.keyid}\nencryption  ${contents.cipher.name}, ${kdf}\n`,
        );
        setExitCode(EXIT_OK);
        return;
      }
      const { contents, key } = await publicPartOf(io, file);
      const kdf = `scrypt N=2^${Math.log2(contents.kdf.N)} r=${contents.kdf.r} p=${contents.kdf.p}`;
      if (opts.json) {
        io.stdout(
          `${JSON.stringify({ ...publicKeyToJson(key), encryption: `${contents.cipher.name}, ${kdf}` })}\n`,
        );
      } else {
        io.stdout(
          `file        ${file}\n` +
            `alg         ${key.algorithm}\n` +
            `keyid       ${key.keyid}\n` +
            `owner_id    ${ownerId(key.keyid)}\n` +
            `encryption  ${contents.cipher.name}, ${kdf}\n`,
        );
      }
      setExitCode(EXIT_OK);
    });

  group
    .command('export-public')
    .description('print the public key JSON ({alg, public_key, keyid, owner_id}) on stdout')
    .argument('<file>', 'secret key file')
    .action(async (file: string) => {
      const recipient = await recipientPartOf(io, file);
      if (recipient) {
        io.stdout(`${JSON.stringify(recipientKeyToJson(recipient.key), null, 2)}\n`);
        setExitCode(EXIT_OK);
        return;
      }
      const { key } = await publicPartOf(io, file);
      io.stdout(`${JSON.stringify(publicKeyToJson(key), null, 2)}\n`);
      setExitCode(EXIT_OK);
    });

  addKeyOperatorCommands(group, io, setExitCode);
  return group;
}

/**
 * The public half of a key file, read without the passphrase. The header is authenticated only
 * when the key is opened (`matriz sign`), but a key id that does not match is caught here.
 */
async function publicPartOf(
  io: CliIo,
  file: string,
): Promise<{ contents: SecretKeyFile; key: PublicKey }> {
  return withKeyErrors(async () => {
    const contents = await readSecretKeyFile(path.resolve(io.cwd, file));
    const key = publicKeyOf(contents.alg, base64Decode(contents.public_key, 'public_key'));
    if (key.keyid !== contents.keyid)
      throw new UsageError(`${file}: "keyid" does not match "public_key"; the file was modified`);
    return { contents, key };
  });
}

/** `keys generate --alg x-wing`: an HPKE recipient key for `matriz export --to`. */
async function generateRecipientKey(
  io: CliIo,
  opts: { out: string; passphraseEnv: string; scryptLogN: number },
): Promise<void> {
  const file = path.resolve(io.cwd, opts.out);
  if (await exists(file))
    throw new UsageError(`${opts.out} already exists; refusing to overwrite a key file`);
  await withKeyErrors(async () => {
    const passphrase = await passphraseToCreate(passphraseSource(io, opts.passphraseEnv), opts.out);
    const contents = await createRecipientKeyFile(file, passphrase, {
      ...DEFAULT_SCRYPT,
      N: 2 ** opts.scryptLogN,
    }).catch((error: unknown) => {
      if ((error as { code?: string }).code === 'EEXIST')
        throw new UsageError(`${opts.out} already exists; refusing to overwrite a key file`);
      if (error instanceof KeyStoreError || error instanceof CryptoError) throw error;
      throw new UsageError(`${opts.out}: cannot write the key file (${String(error)})`);
    });
    io.stdout(
      `wrote ${opts.out} (mode 0600)\n` +
        `alg       x-wing (export recipient key)\n` +
        `keyid     ${contents.keyid}\n` +
        `public key for matriz export --to: matriz keys export-public ${opts.out} > recipient.pub.json\n`,
    );
  });
}

/** The public half of an X-Wing recipient key file, or undefined when the file is another key. */
async function recipientPartOf(
  io: CliIo,
  file: string,
): Promise<{ contents: SecretKeyFile<'x-wing'>; key: RecipientKey } | undefined> {
  return withKeyErrors(async () => {
    const value = await readKeyFileJson(path.resolve(io.cwd, file));
    if ((value as { alg?: unknown } | null)?.alg !== RECIPIENT_KEY_ALGORITHM) return undefined;
    const contents = parseRecipientKeyFile(value, file);
    const key = recipientKeyOf(base64Decode(contents.public_key, 'public_key'));
    if (key.keyid !== contents.keyid)
      throw new UsageError(`${file}: "keyid" does not match "public_key"; the file was modified`);
    return { contents, key };
  });
}

function scryptLogN(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 10 || n > 22)
    throw new InvalidArgumentError(
      `expected an integer from 10 to 22, got ${JSON.stringify(value)}`,
    );
  return n;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
