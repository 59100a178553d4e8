/** The `matriz nodespec` command group: validate, lint, fmt. */
import { Command, Option } from 'commander';
import { DEFAULT_MAX_BYTES } from '../../json/parse.js';
import type { CliIo } from '../io.js';
import { positiveInteger } from '../options.js';
import type { OutputFormat } from './nodespec-check.js';

// Each subcommand loads its own modules when it runs: `validate` does not carry `fmt`'s
// file rewriting (docs/benchmarks.md, CLI start).
const check = () => import('./nodespec-check.js');
const fmt = () => import('./nodespec-fmt.js');

export function nodeSpecCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  const group = new Command('nodespec').description('validate, lint and format NodeSpec v1 files');
  const formatOption = (): Option =>
    new Option('--format <format>', 'output format')
      .choices(['text', 'json', 'sarif'])
      .default('text');
  const maxBytesOption = (): Option =>
    new Option('--max-bytes <n>', 'refuse files larger than this many bytes')
      .argParser(positiveInteger)
      .default(DEFAULT_MAX_BYTES);

  group
    .command('validate')
    .description(
      'check files against the NodeSpec v1 schema (exit 0 all valid, 1 any invalid, 2 usage or I/O error)',
    )
    .argument(
      '<inputs...>',
      'files, directories (every *.json in them), globs, or - for standard input',
    )
    .addOption(formatOption())
    .addOption(maxBytesOption())
    .action(async (inputs: string[], opts: { format: OutputFormat; maxBytes: number }) => {
      setExitCode(
        await (
          await check()
        ).runNodeSpecCheck(inputs, { mode: 'validate', strict: false, ...opts }, io),
      );
    });

  group
    .command('lint')
    .description('schema validation plus semantic rules NS001... (see docs/nodespec.md)')
    .argument(
      '<inputs...>',
      'files, directories (every *.json in them), globs, or - for standard input',
    )
    .addOption(formatOption())
    .addOption(maxBytesOption())
    .option('--strict', 'warnings fail the file too', false)
    .action(
      async (
        inputs: string[],
        opts: { format: OutputFormat; maxBytes: number; strict: boolean },
      ) => {
        setExitCode(await (await check()).runNodeSpecCheck(inputs, { mode: 'lint', ...opts }, io));
      },
    );

  group
    .command('fmt')
    .description(
      'rewrite files in canonical form (RFC 8785 member order, 2-space indent, LF, final newline)',
    )
    .argument('<inputs...>', 'files, directories, globs, or - (prints the canonical form)')
    .option('--check', 'only list files not in canonical form; exit 1 if there are any', false)
    .addOption(maxBytesOption())
    .action(async (inputs: string[], opts: { check: boolean; maxBytes: number }) => {
      setExitCode(await (await fmt()).runNodeSpecFmt(inputs, opts, io));
    });

  return group;
}
