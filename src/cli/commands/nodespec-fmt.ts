/**
 * `matriz nodespec fmt [--check]`: canonical file form = RFC 8785 member order and value forms,
 * two-space indentation, LF line ends, one final newline, no byte order mark.
 */
import { stat } from 'node:fs/promises';
import { formatCanonical } from '../../json/canonicalize.js';
import { parseJson } from '../../json/parse.js';
import { fieldPath } from '../../json/pointer.js';
import { writeFileAtomic } from '../../files/atomic-file.js';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import { expandInputs, readInput } from '../inputs.js';
import type { CliIo } from '../io.js';

export interface FmtOptions {
  readonly check: boolean;
  readonly maxBytes: number;
}

// ignoreBOM keeps a byte order mark in the text, so a file that has one is not canonical.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

export async function runNodeSpecFmt(
  args: readonly string[],
  options: FmtOptions,
  io: CliIo,
): Promise<number> {
  const { inputs, errors } = await expandInputs(args, io.cwd);
  const problems = [...errors];
  const notCanonical: string[] = [];
  for (const input of inputs) {
    const read = await readInput(input, options.maxBytes, io);
    if (!read.ok) {
      problems.push(
        'error' in read
          ? read.error
          : `${input.name}: file is ${read.tooLarge} bytes; the limit is ${options.maxBytes} bytes`,
      );
      continue;
    }
    const parsed = parseJson(read.bytes, { maxBytes: options.maxBytes });
    if (!parsed.ok) {
      const { line, column, message } = parsed.error;
      problems.push(
        `${input.name}:${line}:${column}: ${message}; cannot format a file that is not valid JSON`,
      );
      continue;
    }
    const first = parsed.inexactIntegers[0];
    if (first !== undefined) {
      const where = parsed.locate(first);
      problems.push(
        `${input.name}:${where?.line ?? 1}:${where?.column ?? 1}: \`${fieldPath(first)}\` is an integer that an IEEE 754 double cannot hold exactly; canonical form would change its value, so the file is left as it is`,
      );
      continue;
    }
    const canonical = formatCanonical(parsed.value);
    if (input.kind === 'stdin') {
      if (options.check) {
        if (decoder.decode(read.bytes) !== canonical) notCanonical.push(input.name);
      } else {
        io.stdout(canonical);
      }
      continue;
    }
    if (decoder.decode(read.bytes) === canonical) continue;
    notCanonical.push(input.name);
    if (!options.check) {
      try {
        const { mode } = await stat(input.path);
        await writeFileAtomic(input.path, canonical, mode & 0o7777);
      } catch (error) {
        problems.push(`${input.name}: could not rewrite: ${(error as Error).message}`);
      }
    }
  }

  for (const name of notCanonical) {
    io.stdout(options.check ? `${name}: not in canonical form\n` : `${name}: formatted\n`);
  }
  for (const problem of problems) io.stderr(`matriz: error: ${problem}\n`);
  if (problems.length > 0) return EXIT_USAGE;
  if (options.check && notCanonical.length > 0) {
    io.stderr(
      `${notCanonical.length} of ${inputs.length} files not in canonical form; run \`matriz nodespec fmt\` on them\n`,
    );
    return EXIT_FINDINGS;
  }
  return EXIT_OK;
}
