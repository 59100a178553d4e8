/**
 * `matriz witness init|serve`: run a C2SP tlog-witness (witness/witness.ts) for MATRIZ logs.
 * Exit 0 done (serve: stopped by SIGINT/SIGTERM); 2 usage, key or configuration errors.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import { checkpointVerifierFor } from '../../client/log-verifier.js';
import type { LogKeysDocument } from '../../client/http-client.js';
import { base64Decode, base64Encode } from '../../crypto/encoding.js';
import { loadSignatureSuite } from '../../crypto/suites.js';
import { keyProviderFromEnvironment } from '../../keystore/key-provider-from-environment.js';
import type { KeyProvider } from '../../keystore/key-provider.js';
import { witnessVerifierKey } from '../../log/cosignature.js';
import { isValidKeyName } from '../../log/note.js';
import type { CheckpointVerifier } from '../../log/checkpoint-signature.js';
import { buildWitnessApp } from '../../server/witness-app.js';
import { Witness } from '../../witness/witness.js';
import { withKeyErrors } from '../crypto-context.js';
import { EXIT_OK, UsageError } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { portNumber, scryptLogN } from '../options.js';
import { untilStopped } from '../signals.js';

export const WITNESS_PASSPHRASE_ENV = 'MATRIZ_WITNESS_PASSPHRASE';
const WITNESS_FILE = 'witness.json';
const KEY_FILE = 'witness.key';

interface WitnessFile {
  readonly format: 'matriz-witness/v1';
  readonly name: string;
  /** The cosigning public key (Ed25519 or ML-DSA-44), base64. */
  readonly public_key: string;
}

export function witnessCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  const group = new Command('witness').description(
    'a C2SP tlog-witness: cosigns checkpoints of the logs it knows, only when consistent with what it cosigned before',
  );

  group
    .command('init')
    .description(
      "create a witness: its directory, its name and its cosigning key (encrypted, 0600); prints its verifier key for logs' and clients' witness policies",
    )
    .requiredOption('--data-dir <dir>', 'the witness directory (created 0700)')
    .requiredOption('--name <name>', 'the witness name, e.g. witness.example/w1 (no spaces or +)')
    .addOption(
      new Option(
        '--algorithm <alg>',
        'cosignature key: ed25519 (cosignature/v1, what deployed witnesses speak) or ml-dsa-44 (post-quantum, subtree/v1)',
      )
        .choices(['ed25519', 'ml-dsa-44'])
        .default('ed25519'),
    )
    .addOption(passphraseOption())
    .addOption(
      new Option('--key-scrypt-log-n <n>', 'scrypt cost N = 2^n of the key file')
        .argParser(scryptLogN)
        .default(17),
    )
    .action(
      async (opts: {
        dataDir: string;
        name: string;
        algorithm: 'ed25519' | 'ml-dsa-44';
        passphraseEnv: string;
        keyScryptLogN: number;
      }) => {
        if (!isValidKeyName(opts.name))
          throw new UsageError(
            `--name ${JSON.stringify(opts.name)} must not be empty or hold spaces or +`,
          );
        const dir = path.resolve(io.cwd, opts.dataDir);
        if (await exists(path.join(dir, WITNESS_FILE)))
          throw new UsageError(`${dir} already holds a witness (${WITNESS_FILE})`);
        await mkdir(dir, { recursive: true, mode: 0o700 });
        const provider = await witnessKeys(io, dir, opts.passphraseEnv, true);
        const created = await withKeyErrors(() =>
          provider.createKey(path.join(dir, KEY_FILE), opts.algorithm, 'witness', {
            scrypt: { N: 2 ** opts.keyScryptLogN, r: 8, p: 1 },
          }),
        );
        const file: WitnessFile = {
          format: 'matriz-witness/v1',
          name: opts.name,
          public_key: created.public_key,
        };
        await writeFile(path.join(dir, WITNESS_FILE), `${JSON.stringify(file, null, 2)}\n`, {
          flag: 'wx',
          mode: 0o600,
        });
        io.stdout(`${witnessVerifierKey(opts.name, base64Decode(created.public_key))}\n`);
        setExitCode(EXIT_OK);
      },
    );

  group
    .command('serve')
    .description(
      'serve POST /add-checkpoint (C2SP tlog-witness) for the logs in --logs (stops on SIGINT/SIGTERM)',
    )
    .requiredOption('--data-dir <dir>', 'the witness directory (matriz witness init)')
    .requiredOption(
      '--logs <file>',
      'JSON {"logs": [<each log\'s keys document, as GET /api/v1/log/keys answers>]}',
    )
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .addOption(
      new Option('--port <port>', 'port to listen on (0 picks a free one)')
        .argParser(portNumber)
        .default(8081),
    )
    .addOption(passphraseOption())
    .action(
      async (opts: {
        dataDir: string;
        logs: string;
        host: string;
        port: number;
        passphraseEnv: string;
      }) => {
        const dir = path.resolve(io.cwd, opts.dataDir);
        const file = await readWitnessFile(dir);
        const logs = await readLogs(path.resolve(io.cwd, opts.logs));
        const provider = await witnessKeys(io, dir, opts.passphraseEnv, false);
        const key = await withKeyErrors(() =>
          provider.openKey(path.join(dir, KEY_FILE), 'witness'),
        );
        if (base64Encode(key.key.publicKey) !== file.public_key)
          throw new UsageError(`${KEY_FILE} in ${dir} is not the key ${WITNESS_FILE} names`);
        const witness = new Witness({
          name: file.name,
          publicKey: key.key.publicKey,
          secretKey: key.secretKey,
          suite: key.suite,
          logs,
          stateDir: path.join(dir, 'logs'),
        });
        const app = await buildWitnessApp(witness);
        let url: string;
        try {
          url = await app.listen({ host: opts.host, port: opts.port });
        } catch (error) {
          throw new UsageError(
            `cannot listen on ${opts.host}:${opts.port}: ${(error as Error).message}`,
          );
        }
        io.stderr(
          `matriz: witness ${file.name} serving at ${url} for ${logs.size} log(s); verifier key ${witnessVerifierKey(file.name, key.key.publicKey)}\n`,
        );
        await untilStopped();
        await app.close();
        setExitCode(EXIT_OK);
      },
    );
  return group;
}

function passphraseOption(): Option {
  return new Option(
    '--passphrase-env <name>',
    'environment variable holding the witness key passphrase (MATRIZ_KEY_COMMAND, when set, is asked instead)',
  ).default(WITNESS_PASSPHRASE_ENV);
}

function witnessKeys(
  io: CliIo,
  dir: string,
  passphraseEnv: string,
  firstStart: boolean,
): Promise<KeyProvider> {
  return withKeyErrors(() =>
    keyProviderFromEnvironment({
      env: io.env,
      passphraseFile: path.join(dir, 'passphrase'),
      generatePassphraseFile: firstStart,
      passphraseEnv,
      warn: (message) => {
        io.stderr(`matriz: warning: ${message}\n`);
      },
    }),
  );
}

async function readWitnessFile(dir: string): Promise<WitnessFile> {
  const text = await readFile(path.join(dir, WITNESS_FILE), 'utf8').catch(() => {
    throw new UsageError(
      `${dir} is not a witness directory (no ${WITNESS_FILE}): run matriz witness init`,
    );
  });
  let file: Partial<WitnessFile> | null;
  try {
    file = JSON.parse(text) as Partial<WitnessFile> | null;
  } catch {
    file = null;
  }
  if (
    typeof file !== 'object' ||
    file === null ||
    file.format !== 'matriz-witness/v1' ||
    typeof file.name !== 'string' ||
    typeof file.public_key !== 'string'
  )
    throw new UsageError(`${path.join(dir, WITNESS_FILE)} is not a matriz-witness/v1 file`);
  return file as WitnessFile;
}

async function readLogs(file: string): Promise<Map<string, CheckpointVerifier>> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`--logs ${file}: ${(error as Error).message}`);
  }
  const logs = (value as { logs?: unknown } | null)?.logs;
  if (!Array.isArray(logs) || logs.length === 0)
    throw new UsageError(
      `--logs ${file} must be {"logs": [<log keys document>, ...]} with at least one log`,
    );
  const [ed25519, mlDsa44] = await Promise.all([
    loadSignatureSuite('ed25519'),
    loadSignatureSuite('ml-dsa-44'),
  ]);
  const verifiers = new Map<string, CheckpointVerifier>();
  for (const [i, log] of logs.entries()) {
    try {
      const verifier = checkpointVerifierFor(log as LogKeysDocument, { ed25519, mlDsa44 });
      if (verifiers.has(verifier.name)) throw new Error(`log ${verifier.name} is listed twice`);
      verifiers.set(verifier.name, verifier);
    } catch (error) {
      throw new UsageError(`--logs ${file}: logs[${i}]: ${(error as Error).message}`);
    }
  }
  return verifiers;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
