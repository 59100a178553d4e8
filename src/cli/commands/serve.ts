/** `matriz serve`: the registry service on the embedded store (or PostgreSQL). */
import path from 'node:path';
import { packageRoot } from '../package-root.js';
import { Command, Option } from 'commander';
import {
  EXIT_PRODUCTION_REFUSED,
  PRODUCTION_ENV,
  ProductionRefusal,
  productionMode,
} from '../../operator/production.js';
import {
  DEFAULT_ANSWER_CACHE_MB,
  DEFAULT_CHECKPOINT_INTERVAL_SECONDS,
  DEFAULT_SEQUENCER_LEASE_MS,
  DEFAULT_WRITE_TIMEOUT_MS,
  startService,
  type SequencerMode,
} from '../../server/service.js';
import { isCorsOrigin } from '../../server/cors.js';
import { LOG_PASSPHRASE_ENV } from '../../keystore/passphrase.js';
import { EXIT_OK, UsageError } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { readPolicyFile, readWitnessPolicyFile } from '../inputs.js';
import {
  nonNegativeInteger,
  portNumber,
  positiveInteger,
  positiveSeconds,
  scryptLogN,
} from '../options.js';
import { untilStopped } from '../signals.js';

export interface ServeOptions {
  dataDir: string;
  host: string;
  port: number;
  origin?: string;
  databaseUrl?: string;
  policy?: string;
  witnessPolicy?: string;
  rateLimit: number;
  requestTimeout: number;
  idleTimeout: number;
  maxConnections: number;
  passphraseEnv: string;
  keyScryptLogN: number;
  maxBatch: number;
  maxDelayMs: number;
  verifyThreads?: number;
  checkpointInterval: number;
  answerCacheMb: number;
  logLevel?: string;
  production?: boolean;
  corsOrigin?: string[];
  /** `--no-explorer` sets it false. */
  explorer: boolean;
  trustProxy?: boolean | string;
  sequencer: SequencerMode;
  sequencerLease: number;
  writeTimeout: number;
}

/** pino's levels: `--log-level` and MATRIZ_LOG_LEVEL take one of these. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const LOG_LEVEL_ENV = 'MATRIZ_LOG_LEVEL';

export function serveCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  return new Command('serve')
    .description(
      'run the registry: HTTP API, transparency log, sequencer (stops on SIGINT/SIGTERM)',
    )
    .option(
      '--data-dir <dir>',
      'data directory (created 0700 on first start, with the log keys)',
      './data',
    )
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .addOption(
      new Option('--port <port>', 'port to listen on (0 picks a free one)')
        .argParser(portNumber)
        .default(8080),
    )
    .option(
      '--origin <name>',
      "the log's origin, fixed at first start (default: matriz.local/<random>)",
    )
    .option(
      '--database-url <url>',
      'PostgreSQL connection string instead of the embedded SQLite store',
    )
    .addOption(
      new Option(
        '--sequencer <mode>',
        'with --database-url: auto stands for election as the one sequencer (opens the log keys); never only serves and queues writes (no passphrase)',
      )
        .choices(['auto', 'never'])
        .default('auto'),
    )
    .addOption(
      new Option(
        '--sequencer-lease <seconds>',
        'with --database-url: the sequencer lease; another replica takes over this long after the sequencer stops renewing it',
      )
        .argParser(positiveSeconds)
        .default(DEFAULT_SEQUENCER_LEASE_MS / 1000),
    )
    .addOption(
      new Option(
        '--write-timeout <seconds>',
        'with --database-url: answer 503 sequencer-unavailable when a queued write is not integrated within this time (it stays queued)',
      )
        .argParser(positiveSeconds)
        .default(DEFAULT_WRITE_TIMEOUT_MS / 1000),
    )
    .option(
      '--policy <file>',
      'entitlement policy JSON: which owners may claim which lanes and tiers',
    )
    .addOption(
      new Option('--rate-limit <n>', 'requests per client per minute')
        .argParser(positiveInteger)
        .default(6000),
    )
    .addOption(
      new Option(
        '--request-timeout <seconds>',
        'a request (headers and body) must arrive within this time, else 408',
      )
        .argParser(positiveInteger)
        .default(30),
    )
    .addOption(
      new Option('--idle-timeout <seconds>', 'close a connection that sends nothing for this long')
        .argParser(positiveInteger)
        .default(60),
    )
    .addOption(
      new Option('--max-connections <n>', 'open connections at most')
        .argParser(positiveInteger)
        .default(1024),
    )
    .addOption(
      new Option(
        '--passphrase-env <name>',
        'environment variable holding the log key passphrase (MATRIZ_KEY_COMMAND, when set, is asked instead)',
      ).default(LOG_PASSPHRASE_ENV),
    )
    .addOption(
      new Option('--max-batch <n>', 'most writes per checkpoint')
        .argParser(positiveInteger)
        .default(256),
    )
    .addOption(
      new Option(
        '--max-delay-ms <ms>',
        'wait this long for a batch to fill (0: group commit, no added wait)',
      )
        .argParser(nonNegativeInteger)
        .default(0),
    )
    .addOption(
      new Option(
        '--verify-threads <n>',
        'worker threads checking request signatures (default: cores - 1)',
      ).argParser(positiveInteger),
    )
    .addOption(
      new Option(
        '--answer-cache-mb <n>',
        'MiB of query answers (entries as served) kept in memory; 0 for none',
      )
        .argParser(nonNegativeInteger)
        .default(DEFAULT_ANSWER_CACHE_MB),
    )
    .addOption(
      new Option(
        '--checkpoint-interval <seconds>',
        're-sign the checkpoint after this many seconds without one, so freshness is observable',
      )
        .argParser(positiveInteger)
        .default(DEFAULT_CHECKPOINT_INTERVAL_SECONDS),
    )
    .option(
      '--production',
      `refuse unsafe starts: data directory open to others, generated or stored passphrase, default origin, no trust root (also ${PRODUCTION_ENV}=production); exit ${EXIT_PRODUCTION_REFUSED}`,
    )
    .addOption(
      new Option(
        '--log-level <level>',
        `JSON log lines on stdout from this level up (default: $${LOG_LEVEL_ENV}, else info)`,
      ).choices(LOG_LEVELS),
    )
    .addOption(
      new Option(
        '--cors-origin <origin...>',
        'let web pages of this origin read the API (CORS), e.g. https://app.example; * for any (default: none)',
      ).argParser(corsOrigins),
    )
    .option(
      '--no-explorer',
      'do not serve the web explorer at / (the API is unchanged; docs/explorer.md)',
    )
    .option(
      '--trust-proxy [addresses]',
      "behind a reverse proxy: take the client's address from X-Forwarded-For, from any proxy or only from these comma-separated addresses/CIDRs (rate limits per real client)",
    )
    .option(
      '--witness-policy <file>',
      'witnesses to ask to cosign each checkpoint: {"threshold", "witnesses": [{"vkey", "url"}]} (docs/api.md, Witnesses)',
    )
    .addOption(
      new Option(
        '--key-scrypt-log-n <n>',
        'scrypt cost N = 2^n for log keys created at first start (10..22)',
      )
        .argParser(scryptLogN)
        .default(17),
    )
    .action(async (opts: ServeOptions) => {
      const policy = opts.policy === undefined ? undefined : await readPolicyFile(io, opts.policy);
      const witnessPolicy =
        opts.witnessPolicy === undefined
          ? undefined
          : await readWitnessPolicyFile(io, opts.witnessPolicy, true);
      const logLevel = opts.logLevel ?? io.env[LOG_LEVEL_ENV] ?? 'info';
      if (!(LOG_LEVELS as readonly string[]).includes(logLevel))
        throw new UsageError(
          `${LOG_LEVEL_ENV}=${JSON.stringify(logLevel)} is not a log level; use one of ${LOG_LEVELS.join(', ')}`,
        );
      const production = productionMode(opts.production, io.env);
      let service;
      try {
        service = await startService({
          dataDir: path.resolve(io.cwd, opts.dataDir),
          host: opts.host,
          port: opts.port,
          ...(opts.origin === undefined ? {} : { origin: opts.origin }),
          ...(opts.databaseUrl === undefined ? {} : { databaseUrl: opts.databaseUrl }),
          sequencer: opts.sequencer,
          sequencerLeaseMs: Math.round(opts.sequencerLease * 1000),
          writeTimeoutMs: Math.round(opts.writeTimeout * 1000),
          ...(policy === undefined ? {} : { policy }),
          ...(witnessPolicy === undefined ? {} : { witnessPolicy }),
          // Log keys: MATRIZ_KEY_COMMAND, else the passphrase variable, else the data dir's file.
          env: io.env,
          passphraseEnv: opts.passphraseEnv,
          rateLimitPerMinute: opts.rateLimit,
          connections: {
            requestTimeoutMs: opts.requestTimeout * 1000,
            idleTimeoutMs: opts.idleTimeout * 1000,
            maxConnections: opts.maxConnections,
          },
          scrypt: { N: 2 ** opts.keyScryptLogN, r: 8, p: 1 },
          maxBatch: opts.maxBatch,
          maxDelayMs: opts.maxDelayMs,
          ...(opts.verifyThreads === undefined ? {} : { verifyThreads: opts.verifyThreads }),
          checkpointIntervalSeconds: opts.checkpointInterval,
          answerCacheMb: opts.answerCacheMb,
          production,
          // JSON lines (pino, Fastify's logger) on stdout; the human status lines stay on stderr.
          logger: {
            level: logLevel,
            stream: {
              write: (line: string) => {
                io.stdout(line);
              },
            },
          },
          ...(opts.corsOrigin === undefined ? {} : { corsOrigins: opts.corsOrigin }),
          ...(opts.trustProxy === undefined ? {} : { trustProxy: opts.trustProxy }),
          explorerDir: opts.explorer && path.join(packageRoot(), 'dist', 'explorer'),
          warn: (message) => {
            io.stderr(`matriz: warning: ${message}\n`);
          },
        });
      } catch (error) {
        if (error instanceof ProductionRefusal) {
          io.stderr(`matriz: refused in production mode (${error.check}): ${error.message}\n`);
          setExitCode(EXIT_PRODUCTION_REFUSED);
          return;
        }
        throw new UsageError((error as Error).message, { cause: error });
      }
      io.stderr(
        `matriz: serving log ${service.origin} at ${service.url} (data in ${opts.dataDir})\n`,
      );
      if (opts.databaseUrl !== undefined)
        io.stderr(
          `matriz: replica on PostgreSQL, now ${service.role() === 'sequencer' ? 'the sequencer' : 'a frontend'}${opts.sequencer === 'never' ? ' (--sequencer never)' : ''}\n`,
        );
      if (!production)
        io.stderr(
          'matriz: not in production mode: a generated origin or passphrase file is for trying matriz out; see docs/operations.md and --production\n',
        );
      const halted = service.haltedReason();
      if (halted !== undefined)
        io.stderr(
          `matriz: WRITES HALTED: ${halted}. Reads are served; see the compromise runbook in docs/security.md\n`,
        );
      await untilStopped();
      io.stderr('matriz: stopping: finishing queued writes\n');
      await service.close();
      setExitCode(EXIT_OK);
    });
}

/** Collects repeated --cors-origin values, each a browser origin or `*`. */
function corsOrigins(value: string, previous: string[] | undefined): string[] {
  if (!isCorsOrigin(value))
    throw new UsageError(
      `--cors-origin must be an origin like https://app.example (scheme, host, optional port, no path) or *, got ${JSON.stringify(value)}`,
    );
  return [...(previous ?? []), value];
}
