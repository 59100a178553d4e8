/** `matriz nodespec validate` and `matriz nodespec lint`: check files and report findings. */
import { checkNodeSpecSource, type LocatedFinding } from '../../nodespec/index.js';
import { ALL_RULES, parseRuleId } from '../../nodespec/catalog.js';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import { expandInputs, readInput } from '../inputs.js';
import type { CliIo } from '../io.js';
import { toSarif } from '../sarif.js';
import { VERSION } from '../../version.js';

export type OutputFormat = 'text' | 'json' | 'sarif';

export interface CheckCommandOptions {
  readonly mode: 'validate' | 'lint';
  readonly format: OutputFormat;
  readonly maxBytes: number;
  /** Lint only: warnings fail the file too. */
  readonly strict: boolean;
  readonly now?: Date;
}

interface FileReport {
  readonly file: string;
  readonly valid: boolean;
  readonly findings: readonly LocatedFinding[];
}

export async function runNodeSpecCheck(
  args: readonly string[],
  options: CheckCommandOptions,
  io: CliIo,
): Promise<number> {
  const { inputs, errors } = await expandInputs(args, io.cwd);
  const reports: FileReport[] = [];
  const ioErrors = [...errors];
  for (const input of inputs) {
    const read = await readInput(input, options.maxBytes, io);
    if (!read.ok) {
      if ('error' in read) {
        ioErrors.push(read.error);
        continue;
      }
      const finding: LocatedFinding = {
        ruleId: parseRuleId('too-large'),
        severity: 'error',
        message: `file is ${read.tooLarge} bytes; the limit is ${options.maxBytes} bytes (raise it with --max-bytes)`,
        pointer: '',
        line: 1,
        column: 1,
      };
      reports.push({ file: input.name, valid: false, findings: [finding] });
      continue;
    }
    const { findings } = checkNodeSpecSource(read.bytes, {
      mode: options.mode,
      maxBytes: options.maxBytes,
      ...(options.now ? { now: options.now } : {}),
    });
    const failing = findings.some((f) => f.severity === 'error' || options.strict);
    reports.push({ file: input.name, valid: !failing, findings });
  }

  switch (options.format) {
    case 'json':
      io.stdout(`${JSON.stringify(toJsonReport(reports, ioErrors), null, 2)}\n`);
      break;
    case 'sarif':
      io.stdout(`${JSON.stringify(toSarifReport(reports), null, 2)}\n`);
      break;
    case 'text':
      io.stdout(toTextReport(reports));
      break;
  }
  for (const error of ioErrors) io.stderr(`matriz: error: ${error}\n`);

  if (ioErrors.length > 0) return EXIT_USAGE;
  return reports.every((r) => r.valid) ? EXIT_OK : EXIT_FINDINGS;
}

function counts(reports: readonly FileReport[]): { errors: number; warnings: number } {
  let errors = 0;
  let warnings = 0;
  for (const report of reports) {
    for (const finding of report.findings) {
      if (finding.severity === 'error') errors++;
      else warnings++;
    }
  }
  return { errors, warnings };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function toTextReport(reports: readonly FileReport[]): string {
  let out = '';
  for (const report of reports) {
    for (const f of report.findings) {
      out += `${report.file}:${f.line}:${f.column}: ${f.severity}: ${f.message} [${f.ruleId}]\n`;
    }
    if (report.valid)
      out += `${report.file}: ok${report.findings.length > 0 ? ` (${plural(report.findings.length, 'warning')})` : ''}\n`;
  }
  const { errors, warnings } = counts(reports);
  const valid = reports.filter((r) => r.valid).length;
  out += `${plural(reports.length, 'file')} checked: ${valid} valid, ${reports.length - valid} invalid (${plural(errors, 'error')}, ${plural(warnings, 'warning')})\n`;
  return out;
}

function toJsonReport(reports: readonly FileReport[], ioErrors: readonly string[]): unknown {
  const { errors, warnings } = counts(reports);
  const valid = reports.filter((r) => r.valid).length;
  return {
    ok: ioErrors.length === 0 && valid === reports.length,
    files: reports.map((report) => ({
      file: report.file,
      valid: report.valid,
      findings: report.findings.map((f) => ({
        rule_id: f.ruleId,
        severity: f.severity,
        message: f.message,
        pointer: f.pointer,
        line: f.line,
        column: f.column,
      })),
    })),
    input_errors: ioErrors,
    summary: { files: reports.length, valid, invalid: reports.length - valid, errors, warnings },
  };
}

function toSarifReport(reports: readonly FileReport[]): unknown {
  return toSarif(
    { name: 'matriz-nodespec', version: VERSION, rules: ALL_RULES },
    reports.flatMap((report) =>
      report.findings.map((f) => ({
        ruleId: f.ruleId,
        severity: f.severity,
        message: f.message,
        file: report.file,
        line: f.line,
        column: f.column,
      })),
    ),
  );
}
