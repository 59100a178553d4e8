/**
 * Replica benchmark (docs/benchmarks.md, "Replicas"): where a write's CPU goes when replicas
 * share PostgreSQL. The same signed registrations are sent, in the same run, to
 *
 * - one `matriz serve --database-url` process (its own frontend and the sequencer): the baseline;
 * - a frontend replica (`--sequencer never`) while a second process holds the sequencer lease,
 *
 * each on a fresh database, reading both processes' CPU (/proc), the sequencer's batches
 * (/metrics) and the database's committed transactions (pg_stat_database) around the load.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { NodeSpec } from '../nodespec/nodespec.js';
import { benchRegistry, type LoadResult } from './registry.js';
import { startBenchServer, type BenchServer } from './registry-server.js';

export interface ReplicasBenchOptions {
  /** bin/matriz.js of the package. */
  readonly bin: string;
  /** A PostgreSQL database whose role may CREATE DATABASE; the bench makes and drops its own. */
  readonly databaseUrl: string;
  readonly template: NodeSpec;
  readonly requests: number;
  readonly connections: number;
  readonly onProgress?: (message: string) => void;
}

export interface ReplicaRun {
  readonly registrations: LoadResult;
  readonly healthz_baseline: LoadResult;
  /** CPU of the process the clients talk to (verify, queue, prove), ms per registration. */
  readonly frontend_cpu_ms_per_write: number | null;
  /** CPU of the sequencer process (plan, sign, append), ms per registration; null if the same. */
  readonly sequencer_cpu_ms_per_write: number | null;
  /** Registrations per sequencer batch (one checkpoint, one append transaction). */
  readonly writes_per_batch: number | null;
  /** PostgreSQL transactions committed (all replicas) per registration. */
  readonly pg_transactions_per_write: number | null;
}

export interface ReplicasBenchResult {
  readonly requests: number;
  readonly connections: number;
  /** One process: frontend and sequencer in one (the same-run baseline). */
  readonly single: ReplicaRun;
  /** A frontend replica and a sequencer replica. */
  readonly replicas: ReplicaRun;
  /** Registrations/s through the frontend replica over the single process's. */
  readonly ratio_to_single: number;
}

export async function benchReplicas(options: ReplicasBenchOptions): Promise<ReplicasBenchResult> {
  const progress = options.onProgress ?? (() => undefined);
  progress('single process on PostgreSQL (the baseline)...');
  const single = await withDatabase(options.databaseUrl, (url) => run(options, url, false));
  progress('a frontend replica and a sequencer replica...');
  const replicas = await withDatabase(options.databaseUrl, (url) => run(options, url, true));
  return {
    requests: options.requests,
    connections: options.connections,
    single,
    replicas,
    ratio_to_single:
      Math.round(
        (1000 * replicas.registrations.per_sec) / Math.max(1, single.registrations.per_sec),
      ) / 1000,
  };
}

async function run(
  options: ReplicasBenchOptions,
  databaseUrl: string,
  split: boolean,
): Promise<ReplicaRun> {
  const progress = options.onProgress ?? (() => undefined);
  const base = await mkdtemp(path.join(os.tmpdir(), 'matriz-bench-replicas-'));
  const passphrase = randomBytes(16).toString('hex');
  const origin = 'bench.local/replicas';
  const started: BenchServer[] = [];
  try {
    const sequencerDir = path.join(base, 'sequencer');
    const sequencer = await startBenchServer(options.bin, progress, {
      dataDir: sequencerDir,
      passphrase,
      origin,
      databaseUrl,
    });
    started.push(sequencer);
    let frontend = sequencer;
    if (split) {
      const frontendDir = path.join(base, 'frontend');
      await cp(sequencerDir, frontendDir, { recursive: true });
      frontend = await startBenchServer(options.bin, progress, {
        dataDir: frontendDir,
        passphrase,
        origin,
        databaseUrl,
        args: ['--sequencer', 'never'],
      });
      started.push(frontend);
    }
    const batchesBefore = await batches(sequencer.url);
    const transactionsBefore = await committedTransactions(databaseUrl);
    const sequencerBefore = await sequencer.cpuSeconds();
    const result = await benchRegistry({
      url: frontend.url,
      origin,
      template: options.template,
      requests: options.requests,
      connections: options.connections,
      serverCpuSeconds: () => frontend.cpuSeconds(),
      onProgress: progress,
    });
    const sequencerAfter = await sequencer.cpuSeconds();
    // The statistics collector publishes a backend's counts within a second of its commits.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const transactionsAfter = await committedTransactions(databaseUrl);
    const batchesAfter = await batches(sequencer.url);
    const ok = Math.max(1, result.registrations.ok);
    const perWrite = (value: number): number => Math.round((1000 * value) / ok) / 1000;
    const batchCount = batchesAfter.count - batchesBefore.count;
    return {
      registrations: result.registrations,
      healthz_baseline: result.healthz_baseline,
      frontend_cpu_ms_per_write: result.server_cpu_ms_per_write,
      sequencer_cpu_ms_per_write:
        split && typeof sequencerBefore === 'number' && typeof sequencerAfter === 'number'
          ? perWrite(1000 * (sequencerAfter - sequencerBefore))
          : null,
      writes_per_batch:
        batchCount > 0
          ? Math.round((10 * (batchesAfter.sum - batchesBefore.sum)) / batchCount) / 10
          : null,
      pg_transactions_per_write: perWrite(transactionsAfter - transactionsBefore),
    };
  } finally {
    for (const server of started.reverse()) await server.stop();
    await rm(base, { recursive: true, force: true });
  }
}

/** `registry_batch_writes` count and sum from a server's /metrics. */
async function batches(url: string): Promise<{ count: number; sum: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (name: string): number =>
    Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return { count: read('registry_batch_writes_count'), sum: read('registry_batch_writes_sum') };
}

async function committedTransactions(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ xact_commit: string }>(
      'SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()',
    );
    return Number(rows[0]?.xact_commit ?? 0);
  } finally {
    await client.end();
  }
}

/** Runs `use` on a new database next to `adminUrl`'s, dropped afterwards. */
async function withDatabase<T>(adminUrl: string, use: (url: string) => Promise<T>): Promise<T> {
  const name = `matriz_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return await use(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}

export function formatReplicasBench(result: ReplicasBenchResult): string {
  const line = (label: string, r: ReplicaRun): string =>
    `${label.padEnd(34)} ${String(r.registrations.per_sec).padStart(6)}/s  p95 ${r.registrations.p95_ms} ms  ` +
    `frontend CPU ${r.frontend_cpu_ms_per_write ?? 'n/a'} ms/write  ` +
    `sequencer CPU ${r.sequencer_cpu_ms_per_write ?? '(same process)'} ms/write  ` +
    `${r.writes_per_batch ?? 'n/a'} writes/batch  ${r.pg_transactions_per_write ?? 'n/a'} PG transactions/write  ` +
    `(/healthz ${r.healthz_baseline.per_sec}/s)\n`;
  return (
    line('one process (baseline)', result.single) +
    line('frontend replica + sequencer replica', result.replicas) +
    `ratio to one process: ${result.ratio_to_single.toFixed(3)}\n`
  );
}
