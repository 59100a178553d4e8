/** `matriz verify-envelope`: checks a DSSE envelope against trusted public keys and a threshold. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import {
  verifierFor,
  verifyEnvelope,
  type EnvelopeVerification,
  type EnvelopeVerifier,
} from '../../crypto/dsse.js';
import { CryptoError } from '../../crypto/errors.js';
import { publicKeyFromJson } from '../../crypto/keys.js';
import { loadSignatureSuite } from '../../crypto/suites.js';
import { parseJson } from '../../json/parse.js';
import { cryptoBackend, withKeyErrors } from '../crypto-context.js';
import { EXIT_FINDINGS, EXIT_OK, UsageError } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { positiveInteger } from '../options.js';

const MAX_ENVELOPE_BYTES = 128 * 1024 * 1024;

export function verifyEnvelopeCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  return new Command('verify-envelope')
    .description(
      'verify a DSSE envelope against trusted public keys (exit 0 valid, 1 invalid, 2 usage or I/O error)',
    )
    .addOption(
      new Option('--pub <file...>', 'trusted public key JSON file(s)').makeOptionMandatory(),
    )
    .requiredOption('--in <file>', 'envelope, or - for standard input')
    .option('--threshold <n>', 'distinct trusted keys that must have signed', positiveInteger, 1)
    .option('--json', 'print the result as one JSON object', false)
    .action(async (opts: { pub: string[]; in: string; threshold: number; json: boolean }) => {
      const backend = cryptoBackend(io);
      const verifiers: EnvelopeVerifier[] = [];
      for (const file of opts.pub) {
        verifiers.push(
          await withKeyErrors(async () => {
            const key = publicKeyFromJson(await readJson(io, file, 1024 * 1024), file);
            return verifierFor(key, await loadSignatureSuite(key.algorithm, backend));
          }),
        );
      }
      const distinct = new Set(verifiers.map((v) => v.keyid)).size;
      if (opts.threshold > distinct)
        throw new UsageError(
          `--threshold ${opts.threshold} exceeds the ${distinct} distinct trusted key(s) given with --pub`,
        );
      let result: EnvelopeVerification;
      try {
        const envelope = await readJson(io, opts.in, MAX_ENVELOPE_BYTES);
        result = verifyEnvelope(envelope, verifiers, opts.threshold);
      } catch (error) {
        if (!(error instanceof CryptoError)) throw error;
        if (opts.json) io.stdout(`${JSON.stringify({ valid: false, error: error.message })}\n`);
        else io.stdout(`INVALID ${opts.in}: ${error.message}\n`);
        setExitCode(EXIT_FINDINGS);
        return;
      }
      if (opts.json) {
        io.stdout(
          `${JSON.stringify({ ...result, payload: undefined, payloadBytes: result.payload.length })}\n`,
        );
      } else {
        const verdict = result.valid ? 'VALID' : 'INVALID';
        io.stdout(
          `${verdict} ${opts.in}: ${result.verifiedKeyIds.length} of ${result.threshold} required trusted signature(s), payloadType ${result.payloadType}\n` +
            result.verifiedKeyIds.map((id) => `  verified  ${id}\n`).join('') +
            result.failedKeyIds.map((id) => `  FAILED    ${id}\n`).join('') +
            (result.unknownSignatures > 0
              ? `  ignored   ${result.unknownSignatures} signature(s) by keys not given with --pub\n`
              : ''),
        );
      }
      setExitCode(result.valid ? EXIT_OK : EXIT_FINDINGS);
    });
}

/**
 * Reads a JSON file. An unreadable file is a usage error (exit 2); unparseable JSON is a
 * CryptoError `malformed`, which the caller reports as invalid input or usage as fits.
 */
async function readJson(io: CliIo, file: string, maxBytes: number): Promise<unknown> {
  let bytes: Uint8Array;
  if (file === '-') bytes = await io.readStdin(maxBytes);
  else {
    try {
      bytes = await readFile(path.resolve(io.cwd, file));
    } catch (error) {
      throw new UsageError(`${file}: cannot read (${String(error)})`);
    }
  }
  const parsed = parseJson(bytes, { maxBytes });
  if (!parsed.ok)
    throw new CryptoError(
      'malformed',
      `${file}:${parsed.error.line}:${parsed.error.column}: ${parsed.error.message}`,
    );
  return parsed.value;
}
