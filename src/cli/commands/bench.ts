/** The `matriz bench` command group. */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import { benchAudit, formatAuditBench } from '../../bench/audit.js';
import { benchExport, formatExportBench } from '../../bench/export.js';
import { benchNodeSpec } from '../../bench/nodespec.js';
import { formatPqcBench } from '../../bench/pqc-report.js';
import { benchPqc } from '../../bench/pqc.js';
import { benchQuery, formatQueryBench } from '../../bench/query.js';
import { benchRegistry } from '../../bench/registry.js';
import {
  formatRegistryBench,
  startBenchServer,
  type BenchServer,
} from '../../bench/registry-server.js';
import type { NodeSpec } from '../../nodespec/nodespec.js';
import { EXIT_OK } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { nonNegativeInteger, positiveInteger, positiveSeconds } from '../options.js';
import { benchReplicas, formatReplicasBench } from '../../bench/replicas.js';
import { packageRoot } from '../package-root.js';

export function benchCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  const group = new Command('bench').description('measure throughput and latency');

  group
    .command('nodespec')
    .description('validations and lints per second over the bundled examples, on one core')
    .option('--json', 'print one JSON object', false)
    .option('--seconds <s>', 'duration of each measurement', positiveSeconds, 3)
    .action(async (opts: { json: boolean; seconds: number }) => {
      const directory = path.join(packageRoot(), 'examples');
      const names = (await readdir(directory)).filter((name) => name.endsWith('.json')).sort();
      const sources = await Promise.all(
        names.map((name) => readFile(path.join(directory, name), 'utf8')),
      );
      if (!opts.json)
        io.stderr(`measuring ${sources.length} examples, ${opts.seconds} s per measurement...\n`);
      const result = benchNodeSpec(sources, opts.seconds);
      if (opts.json) {
        io.stdout(`${JSON.stringify(result)}\n`);
      } else {
        const row = (label: string, value: number, target?: number): string =>
          `${label.padEnd(34)} ${value.toLocaleString('en-US').padStart(12)}/s${target === undefined ? '' : `  target ${target.toLocaleString('en-US')}/s  ${value >= target ? 'PASS' : 'FAIL'}`}\n`;
        io.stdout(
          row(
            'schema validations',
            result.validations_per_sec,
            result.targets.validations_per_sec,
          ) +
            row('lints (schema + rules)', result.lint_per_sec, result.targets.lint_per_sec) +
            row('parses with positions', result.parse_with_positions_per_sec) +
            row('JSON.parse (baseline)', result.json_parse_baseline_per_sec),
        );
      }
      setExitCode(EXIT_OK);
    });

  group
    .command('pqc')
    .description(
      'keygen, sign and verify (1 KiB message) per signature suite and backend, with Ed25519 and HMAC-SHA256 baselines; seed SLOs PASS/FAIL per row',
    )
    .option('--json', 'print {"rows": [...]} as one JSON object', false)
    .option(
      '--iterations <n>',
      'samples per measurement (each also capped at 5 s)',
      positiveInteger,
      200,
    )
    .addOption(
      new Option('--backend <backend>', 'post-quantum backends to measure')
        .choices(['all', 'noble', 'liboqs'])
        .default('all'),
    )
    .action(
      async (opts: { json: boolean; iterations: number; backend: 'all' | 'noble' | 'liboqs' }) => {
        const backends = opts.backend === 'all' ? (['liboqs', 'noble'] as const) : [opts.backend];
        const result = await benchPqc({
          iterations: opts.iterations,
          backends,
          ...(opts.json
            ? {}
            : {
                onProgress: (label: string) => {
                  io.stderr(`measuring ${label}...\n`);
                },
              }),
        });
        io.stdout(opts.json ? `${JSON.stringify(result)}\n` : formatPqcBench(result));
        setExitCode(EXIT_OK);
      },
    );

  group
    .command('export')
    .description(
      'build a log of N entries, then time matriz export and matriz restore in child processes and report their peak RSS (target < 200 MB at 100,000 entries)',
    )
    .option('--json', 'print one JSON object', false)
    .option('--entries <n>', 'registrations in the log', positiveInteger, 100_000)
    .action(async (opts: { json: boolean; entries: number }) => {
      const example = await benchExample();
      const result = await benchExport({
        entries: opts.entries,
        bin: path.join(packageRoot(), 'bin', 'matriz.js'),
        example,
        progress: (message) => {
          if (!opts.json) io.stderr(`${message}\n`);
        },
      });
      io.stdout(opts.json ? `${JSON.stringify(result)}\n` : formatExportBench(result));
      setExitCode(EXIT_OK);
    });

  group
    .command('audit')
    .description(
      'build a log of N ML-DSA-44 registrations, then time fsck (one thread and every core), the tree alone from its tiles and the full audit of its tiles (targets: >= 1,000,000 and >= 15,000 leaves/s)',
    )
    .option('--json', 'print one JSON object', false)
    .option('--entries <n>', 'registrations in the log', positiveInteger, 100_000)
    .action(async (opts: { json: boolean; entries: number }) => {
      const example = await benchExample();
      const result = await benchAudit({
        entries: opts.entries,
        example,
        root: packageRoot(),
        progress: (message) => {
          if (!opts.json) io.stderr(`${message}\n`);
        },
      });
      io.stdout(opts.json ? `${JSON.stringify(result)}\n` : formatAuditBench(result));
      setExitCode(EXIT_OK);
    });

  group
    .command('query')
    .description(
      'discovery pages per second and p50/p95/p99 latency per filter against a real `matriz serve` holding N entries, built directly in its store (target: p50 <= 2 ms, >= 2,000 pages/s at 16 connections)',
    )
    .option('--json', 'print one JSON object', false)
    .option('--entries <n>', 'entries in the registry', positiveInteger, 100_000)
    .option('--pages <n>', 'pages read per filter and connection count', positiveInteger, 4000)
    .option('--connections <n>', 'concurrent keep-alive connections', positiveInteger, 16)
    .option(
      '--database-url <url>',
      'build in and serve from this PostgreSQL database (it must be empty; the rows stay there)',
    )
    .action(
      async (opts: {
        json: boolean;
        entries: number;
        pages: number;
        connections: number;
        databaseUrl?: string;
      }) => {
        const example = await benchExample();
        const result = await benchQuery({
          bin: path.join(packageRoot(), 'bin', 'matriz.js'),
          ...(opts.databaseUrl === undefined ? {} : { databaseUrl: opts.databaseUrl }),
          entries: opts.entries,
          pages: opts.pages,
          connections: opts.connections,
          example,
          progress: (message) => {
            if (!opts.json) io.stderr(`${message}\n`);
          },
        });
        io.stdout(opts.json ? `${JSON.stringify(result)}\n` : formatQueryBench(result));
        setExitCode(EXIT_OK);
      },
    );

  group
    .command('registry')
    .description(
      'signed registrations per second and p50/p95/p99 latency against a real `matriz serve` on loopback (target 2,000/s, p95 <= 100 ms)',
    )
    .option('--json', 'print one JSON object', false)
    .option('--requests <n>', 'registrations to send', positiveInteger, 20_000)
    .option('--connections <n>', 'concurrent keep-alive connections', positiveInteger, 64)
    .option(
      '--warmup <n>',
      'registrations, and as many GET /healthz, sent together before measuring (0: none)',
      nonNegativeInteger,
      3000,
    )
    .option(
      '--server <url>',
      'benchmark this running server instead of starting one (its origin must accept the requests)',
    )
    .action(
      async (opts: {
        json: boolean;
        requests: number;
        connections: number;
        warmup: number;
        server?: string;
      }) => {
        const progress = (message: string): void => {
          if (!opts.json) io.stderr(`${message}\n`);
        };
        const template = JSON.parse(
          await readFile(path.join(packageRoot(), 'examples', 'telemetry_probe.json'), 'utf8'),
        ) as NodeSpec;
        const server =
          opts.server === undefined
            ? await startBenchServer(path.join(packageRoot(), 'bin', 'matriz.js'), progress)
            : undefined;
        try {
          const url = opts.server ?? (server as BenchServer).url;
          const origin = await fetch(`${url}/api/v1/log/keys`).then(
            async (r) => ((await r.json()) as { origin: string }).origin,
          );
          const result = await benchRegistry({
            url,
            origin,
            template,
            requests: opts.requests,
            connections: opts.connections,
            warmup: opts.warmup,
            ...(server === undefined ? {} : { serverUsage: () => server.usage() }),
            serverCpuSeconds: server
              ? () => server.cpuSeconds()
              : () =>
                  Promise.resolve(
                    'n/a with --server: the bench reads the CPU of a server it started itself',
                  ),
            onProgress: progress,
          });
          if (opts.json) io.stdout(`${JSON.stringify(result)}\n`);
          else io.stdout(formatRegistryBench(result));
        } finally {
          await server?.stop();
        }
        setExitCode(EXIT_OK);
      },
    );

  group
    .command('replicas')
    .description(
      'replicas on PostgreSQL: signed registrations through a frontend replica while another process sequences, against one process in the same run; CPU per write in each, writes per batch, PostgreSQL transactions per write',
    )
    .requiredOption(
      '--database-url <url>',
      'a PostgreSQL database whose role may CREATE DATABASE (the bench makes and drops two)',
    )
    .option('--json', 'print one JSON object', false)
    .option('--requests <n>', 'registrations per run', positiveInteger, 5000)
    .option('--connections <n>', 'concurrent keep-alive connections', positiveInteger, 64)
    .action(
      async (opts: {
        databaseUrl: string;
        json: boolean;
        requests: number;
        connections: number;
      }) => {
        const result = await benchReplicas({
          bin: path.join(packageRoot(), 'bin', 'matriz.js'),
          databaseUrl: opts.databaseUrl,
          template: JSON.parse(
            await readFile(path.join(packageRoot(), 'examples', 'telemetry_probe.json'), 'utf8'),
          ) as NodeSpec,
          requests: opts.requests,
          connections: opts.connections,
          onProgress: (message) => {
            if (!opts.json) io.stderr(`${message}\n`);
          },
        });
        io.stdout(opts.json ? `${JSON.stringify(result)}\n` : formatReplicasBench(result));
        setExitCode(EXIT_OK);
      },
    );

  return group;
}

/** The NodeSpec the registry benchmarks register, copied and renamed per entry. */
async function benchExample(): Promise<NodeSpec> {
  return JSON.parse(
    await readFile(path.join(packageRoot(), 'examples', 'memory_adapter.json'), 'utf8'),
  ) as NodeSpec;
}
