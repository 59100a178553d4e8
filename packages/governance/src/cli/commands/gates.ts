/**
 * `matriz gates run`: runs the gates of `.matriz/gates.yml`, writes the JSON report
 * (schemas/gate-report.v1.schema.json) and optionally a Markdown summary; exit 0 when `overall`
 * is PASS, 1 when FAIL, 2 when the configuration or the command line is wrong.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { loadGateConfig } from '../../gates/gate-config.js';
import { gateReportMarkdown } from '../../gates/gate-markdown.js';
import {
  buildGateReport,
  commandVersion,
  reportCommit,
  type GateReport,
} from '../../gates/gate-report.js';
import { gateReportErrors } from '../../gates/gate-report-schema.js';
import { runGates } from '../../gates/gate-runner.js';
import { gateReportMetrics } from '../../gates/gate-report-metrics.js';
import { writeFileAtomic } from '../../files/atomic-file.js';
import { EXIT_FINDINGS, EXIT_OK, UsageError } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { positiveInteger } from '../options.js';
import { VERSION } from '../../version.js';

export const DEFAULT_GATES_FILE = '.matriz/gates.yml';
export const DEFAULT_GATE_REPORT = '.matriz/reports/gate-report.json';
const LOG_TAIL_LINES = 30;

interface RunOptions {
  config: string;
  report: string;
  markdown?: string;
  only?: string[];
  jobs: number;
  logs?: string;
  openmetrics?: string;
  branch?: string;
}

export function gatesCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  const group = new Command('gates').description('post-merge gates: run them, report honestly');
  group
    .command('run')
    .description(
      'run the configured gates and write a JSON report (exit 0 overall PASS, 1 overall FAIL, 2 usage error)',
    )
    .option('--config <file>', 'gate configuration (YAML)', DEFAULT_GATES_FILE)
    .option('--report <file>', 'where to write the JSON report', DEFAULT_GATE_REPORT)
    .option('--markdown <file>', 'also write a Markdown summary (e.g. $GITHUB_STEP_SUMMARY)')
    .option('--only <names...>', 'run only these gates; the others are reported as SKIP')
    .option(
      '--jobs <n>',
      'how many gates run at once',
      positiveInteger,
      Math.min(availableParallelism(), 4),
    )
    .option('--logs <dir>', 'directory for gate logs (default: logs/ next to the report)')
    .option(
      '--openmetrics <file>',
      "also write the result as Prometheus metrics for node_exporter's textfile collector",
    )
    .option('--branch <name>', 'the branch label of --openmetrics (default: $GITHUB_REF_NAME)')
    .action(async (opts: RunOptions) => {
      setExitCode(await runGatesCommand(opts, io));
    });
  return group;
}

async function runGatesCommand(opts: RunOptions, io: CliIo): Promise<number> {
  const configFile = path.resolve(io.cwd, opts.config);
  const config = await loadGateConfig(configFile);
  if (!config.ok) throw new UsageError(`${config.error.message} [${config.error.code}]`);
  const names = new Set(config.gates.map((g) => g.name));
  const unknown = (opts.only ?? []).filter((name) => !names.has(name));
  if (unknown.length > 0)
    throw new UsageError(
      `--only names unknown gate${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')} (configured: ${[...names].join(', ')})`,
    );

  const reportFile = path.resolve(io.cwd, opts.report);
  const logDirectory = path.resolve(
    io.cwd,
    opts.logs ?? path.join(path.dirname(opts.report), 'logs'),
  );
  const startedAt = new Date();
  const results = await runGates({
    gates: config.gates,
    ...(opts.only ? { only: opts.only } : {}),
    parallelism: opts.jobs,
    cwd: io.cwd,
    logDirectory,
    env: io.env,
    onGateFinished: (r) => {
      io.stderr(`gate ${r.name}: ${r.status} (${(r.durationMs / 1000).toFixed(1)} s)\n`);
    },
  });
  const finishedAt = new Date();
  const [commit, npm, git] = await Promise.all([
    reportCommit(io.cwd, io.env),
    commandVersion('npm', ['--version'], io.cwd, io.env),
    commandVersion('git', ['--version'], io.cwd, io.env),
  ]);
  const report = buildGateReport(results, {
    runId:
      io.env.GITHUB_RUN_ID !== undefined
        ? `${io.env.GITHUB_RUN_ID}.${io.env.GITHUB_RUN_ATTEMPT ?? '1'}`
        : randomUUID(),
    commit,
    startedAt,
    finishedAt,
    config: path.relative(io.cwd, configFile).split(path.sep).join('/'),
    tools: {
      matriz: VERSION,
      node: process.version,
      npm,
      git: git?.replace(/^git version /, '') ?? null,
    },
  });
  const errors = gateReportErrors(report);
  if (errors.length > 0)
    throw new Error(`the gate report does not match its own schema: ${errors.join('; ')}`);

  io.stdout(textSummary(report, opts.report));
  try {
    await mkdir(path.dirname(reportFile), { recursive: true });
    await writeFileAtomic(reportFile, `${JSON.stringify(report, null, 2)}\n`, 0o644);
    if (opts.openmetrics !== undefined) {
      const metricsFile = path.resolve(io.cwd, opts.openmetrics);
      await mkdir(path.dirname(metricsFile), { recursive: true });
      const branch = opts.branch ?? io.env.GITHUB_REF_NAME ?? 'unknown';
      await writeFileAtomic(metricsFile, gateReportMetrics(report, branch), 0o644);
    }
    if (opts.markdown !== undefined) {
      const markdownFile = path.resolve(io.cwd, opts.markdown);
      await mkdir(path.dirname(markdownFile), { recursive: true });
      const markdown = gateReportMarkdown(report, await logTails(report, io.cwd));
      await writeFileAtomic(markdownFile, markdown, 0o644);
    }
  } catch (error) {
    // The gates ran, but a run without its report is not a result anyone can act on.
    throw new UsageError(`cannot write the gate report: ${(error as Error).message}`);
  }
  return report.overall === 'PASS' ? EXIT_OK : EXIT_FINDINGS;
}

async function logTails(report: GateReport, cwd: string): Promise<Map<string, string>> {
  const tails = new Map<string, string>();
  for (const gate of report.gates) {
    if (gate.log === null || gate.status === 'PASS') continue;
    const text = await readFile(path.resolve(cwd, gate.log), 'utf8').catch(() => '');
    tails.set(gate.name, text.trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n'));
  }
  return tails;
}

function textSummary(report: GateReport, reportFile: string): string {
  const width = Math.max(...report.gates.map((g) => g.name.length));
  let out = '';
  for (const gate of report.gates) {
    out += `${gate.name.padEnd(width)}  ${gate.status.padEnd(7)} ${(gate.duration_ms / 1000).toFixed(1).padStart(7)} s  ${gate.required ? 'required' : 'optional'}${gate.reason ? `  ${gate.reason}` : ''}\n`;
  }
  out +=
    report.overall === 'PASS'
      ? `overall: PASS (every required gate passed or is waived)\n`
      : `overall: FAIL (required gates not passing: ${report.failing_required.join(', ')})\n`;
  out += `report: ${reportFile}\n`;
  return out;
}
