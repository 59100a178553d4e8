/** `matriz sign`: a DSSE envelope over a file, signed with one or more key files. */
import { OWNER_PASSPHRASE_ENV } from '../../keystore/passphrase.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import { signEnvelope, signerFor, type EnvelopeSigner } from '../../crypto/dsse.js';
import { PAYLOAD_TYPES } from '../../crypto/payload-types.js';
import { openSecretKey } from '../../keystore/key-file.js';
import { passphraseToOpen } from '../../keystore/passphrase.js';
import { writeFileAtomic } from '../../files/atomic-file.js';
import {
  cryptoBackend,
  passphraseEnvOption,
  passphraseSource,
  withKeyErrors,
} from '../crypto-context.js';
import { EXIT_OK, UsageError } from '../exit-codes.js';
import type { CliIo } from '../io.js';

/** Largest payload `matriz sign` reads (it signs in memory). */
export const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;

export function signCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  return new Command('sign')
    .description('sign a file into a DSSE envelope (JSON) with one or more secret key files')
    .addOption(
      new Option(
        '--key <file...>',
        'secret key file(s); each adds one signature',
      ).makeOptionMandatory(),
    )
    .requiredOption('--in <file>', 'payload to sign, or - for standard input')
    .requiredOption('--out <file>', 'envelope to write, or - for standard output')
    .option('--payload-type <type>', 'DSSE payload type', PAYLOAD_TYPES.generic)
    .addOption(passphraseEnvOption(OWNER_PASSPHRASE_ENV))
    .action(
      async (opts: {
        key: string[];
        in: string;
        out: string;
        payloadType: string;
        passphraseEnv: string;
      }) => {
        const payload = await readPayload(io, opts.in);
        const backend = cryptoBackend(io);
        const source = passphraseSource(io, opts.passphraseEnv);
        const signers: EnvelopeSigner[] = [];
        for (const file of opts.key) {
          const opened = await withKeyErrors(async () =>
            openSecretKey(
              path.resolve(io.cwd, file),
              await passphraseToOpen(source, file),
              backend,
            ),
          );
          signers.push(signerFor(opened.key, opened.secretKey, opened.suite));
        }
        const envelope = await withKeyErrors(() =>
          Promise.resolve(signEnvelope(opts.payloadType, payload, signers)),
        );
        const json = `${JSON.stringify(envelope, null, 2)}\n`;
        if (opts.out === '-') io.stdout(json);
        else {
          await writeFileAtomic(path.resolve(io.cwd, opts.out), json, 0o644).catch(
            (error: unknown) => {
              throw new UsageError(`${opts.out}: cannot write the envelope (${String(error)})`);
            },
          );
          io.stderr(
            `wrote ${opts.out}: ${signers.length} signature(s), keyid ${signers.map((s) => s.keyid).join(', ')}\n`,
          );
        }
        setExitCode(EXIT_OK);
      },
    );
}

async function readPayload(io: CliIo, input: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  if (input === '-') bytes = await io.readStdin(MAX_PAYLOAD_BYTES);
  else {
    try {
      bytes = await readFile(path.resolve(io.cwd, input));
    } catch (error) {
      throw new UsageError(`${input}: cannot read the payload (${String(error)})`);
    }
  }
  if (bytes.length > MAX_PAYLOAD_BYTES)
    throw new UsageError(`${input}: payload larger than ${MAX_PAYLOAD_BYTES} bytes`);
  return new Uint8Array(bytes);
}
