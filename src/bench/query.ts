/**
 * `matriz bench query`: discovery pages per second against a real `matriz serve` on loopback.
 *
 * The benchmark builds a registry of N entries (default 100,000) directly in the store of a
 * throwaway data directory: entries derived from an example NodeSpec (names, owners, lanes,
 * signals and capabilities varied), appended in large batches with their log leaves and a
 * checkpoint signed by the data directory's own log keys, without a request or signature check
 * per entry (the write path has its own benchmark). Then it starts `matriz serve` on that data
 * directory and, for each filter (signal, capability, lane, owner, and one combination), reads
 * 50-entry pages at cursors spread over the registry, sequentially and over 16 connections.
 * `GET /healthz` over the same connections is the same-run baseline.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { canonicalize } from '../json/index.js';
import { signCheckpoint } from '../log/checkpoint-signature.js';
import { LANES, type NodeSpec } from '../nodespec/nodespec.js';
import { openDataDir, openKeyProvider } from '../operator/data-dir.js';
import { Keyring } from '../operator/keyring.js';
import { LogTree } from '../registry/log-tree.js';
import { TrustLedger } from '../registry/trust-ledger.js';
import { loadSignatureSuite } from '../crypto/suites.js';
import { openPostgresStore } from '../store/postgres-store.js';
import { openSqliteStore } from '../store/sqlite-store.js';
import { StoreError, type RegistryEntry } from '../store/store.js';
import { percentile } from './measure.js';
import { startBenchServer } from './registry-server.js';

export const QUERY_TARGETS = {
  /** p50 of one 50-entry page on one connection. */
  p50_ms: 2,
  /** Pages per second at 16 connections, and as a share of the same-run /healthz rate. */
  pages_per_sec: 2000,
  healthz_ratio: 0.1,
} as const;

export interface QueryLoad {
  readonly connections: number;
  readonly pages: number;
  readonly errors: number;
  readonly per_sec: number;
  readonly p50_ms: number;
  readonly p95_ms: number;
  readonly p99_ms: number;
}

export interface QueryFilterResult {
  readonly filter: string;
  readonly query: string;
  /** Entries the filter matches in the built registry. */
  readonly matching: number;
  readonly sequential: QueryLoad;
  readonly concurrent: QueryLoad;
  readonly pass: boolean;
}

export interface QueryBenchResult {
  readonly store: 'sqlite' | 'postgres';
  readonly entries: number;
  readonly page_size: number;
  readonly build_seconds: number;
  readonly healthz: { readonly sequential: QueryLoad; readonly concurrent: QueryLoad };
  readonly filters: readonly QueryFilterResult[];
  readonly targets: typeof QUERY_TARGETS;
  readonly pass: boolean;
}

export interface QueryBenchOptions {
  /** bin/matriz.js of the package, run as the server. */
  readonly bin: string;
  /**
   * Build in and serve from this PostgreSQL database instead of the data directory's SQLite
   * file. It must hold no log yet; the benchmark leaves its rows there.
   */
  readonly databaseUrl?: string;
  readonly entries: number;
  readonly pages: number;
  readonly connections: number;
  readonly example: NodeSpec;
  readonly progress: (message: string) => void;
}

const ORIGIN = 'bench.local/query';
const PAGE_SIZE = 50;
const OWNERS = 16;
const SIGNAL_VOCABULARY = 200;
/** Throwaway keys only: cheap scrypt, a passphrase made for the run. */
const SCRYPT = { N: 2 ** 10, r: 8, p: 1 };

/** The filters measured: each matches a different share of the registry. */
function filtersFor(owner: string): { filter: string; query: string }[] {
  return [
    { filter: 'signal', query: 'signal=bench.heartbeat' },
    { filter: 'capability', query: 'capability=read:memory/episodic/x' },
    { filter: 'lane', query: 'lane=core' },
    { filter: 'owner', query: `owner=${encodeURIComponent(owner)}` },
    { filter: 'signal+lane', query: 'signal=bench.heartbeat&lane=core' },
  ];
}

export async function benchQuery(options: QueryBenchOptions): Promise<QueryBenchResult> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'matriz-bench-query-'));
  const passphrase = createHash('sha256').update(String(Math.random())).digest('hex');
  try {
    const dataDir = path.join(work, 'data');
    const started = performance.now();
    const built = await buildRegistry(dataDir, passphrase, options);
    const buildSeconds = (performance.now() - started) / 1000;
    const server = await startBenchServer(options.bin, options.progress, {
      dataDir,
      passphrase,
      origin: ORIGIN,
      ...(options.databaseUrl === undefined ? {} : { databaseUrl: options.databaseUrl }),
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
    try {
      const run = async (pathFor: (i: number) => string, connections: number) =>
        getLoad(server.url, agent, connections, options.pages, pathFor);
      // Warm up the server (JIT, SQLite page cache) before anything is timed.
      await run(() => '/healthz', options.connections);
      await run((i) => `/api/v1/registry/query?limit=${PAGE_SIZE}&${cursorAt(built.ids, i)}`, 4);
      options.progress('baseline: GET /healthz...');
      const healthz = {
        sequential: await run(() => '/healthz', 1),
        concurrent: await run(() => '/healthz', options.connections),
      };
      const filters: QueryFilterResult[] = [];
      for (const { filter, query } of filtersFor(built.owners[0] ?? '')) {
        options.progress(`query ${query}...`);
        const pathFor = (i: number) =>
          `/api/v1/registry/query?${query}&limit=${PAGE_SIZE}&${cursorAt(built.ids, i)}`;
        const sequential = await run(pathFor, 1);
        const concurrent = await run(pathFor, options.connections);
        filters.push({
          filter,
          query,
          matching: built.matching.get(filter) ?? 0,
          sequential,
          concurrent,
          pass:
            sequential.errors === 0 &&
            concurrent.errors === 0 &&
            sequential.p50_ms <= QUERY_TARGETS.p50_ms &&
            concurrent.per_sec >= QUERY_TARGETS.pages_per_sec &&
            concurrent.per_sec >= QUERY_TARGETS.healthz_ratio * healthz.concurrent.per_sec,
        });
      }
      return {
        store: options.databaseUrl === undefined ? 'sqlite' : 'postgres',
        entries: options.entries,
        page_size: PAGE_SIZE,
        build_seconds: Math.round(buildSeconds * 100) / 100,
        healthz,
        filters,
        targets: QUERY_TARGETS,
        // The combination is reported, not held to the single-filter targets.
        pass: filters.filter((f) => !f.filter.includes('+')).every((f) => f.pass),
      };
    } finally {
      agent.destroy();
      await server.stop();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** A cursor for the i-th page: ids spread over the registry, so pages come from all over it. */
function cursorAt(ids: readonly string[], i: number): string {
  // A multiplicative stride visits the ids in a scattered order.
  const id = ids[(i * 7919) % ids.length] ?? '';
  return `cursor=${encodeURIComponent(id)}`;
}

interface BuiltRegistry {
  /** Every registry id, for cursors. */
  readonly ids: readonly string[];
  readonly owners: readonly string[];
  readonly matching: ReadonlyMap<string, number>;
}

/** Entries appended per batch (one transaction and one signed checkpoint each). */
const BUILD_BATCH = 5000;

export async function buildRegistry(
  dataDir: string,
  passphrase: string,
  options: Pick<QueryBenchOptions, 'entries' | 'example' | 'progress' | 'databaseUrl'>,
): Promise<BuiltRegistry> {
  const opened = await openDataDir({
    dataDir,
    origin: ORIGIN,
    passphrase,
    scrypt: SCRYPT,
    warn: () => undefined,
  });
  const provider = await openKeyProvider(
    dataDir,
    { MATRIZ_KEY_PASSPHRASE: passphrase },
    () => undefined,
  );
  const keyring = new Keyring(dataDir, ORIGIN, provider, SCRYPT);
  const signers = await keyring.checkpointSigners(TrustLedger.empty(ORIGIN, loadSignatureSuite));
  const owners = Array.from(
    { length: OWNERS },
    (_, i) => `GLYMPH:${createHash('sha256').update(`bench owner ${i}`).digest('hex')}`,
  );
  const store =
    options.databaseUrl === undefined
      ? openSqliteStore({ path: opened.databaseFile })
      : await openPostgresStore({ connectionString: options.databaseUrl });
  const ids: string[] = [];
  const matching = new Map<string, number>();
  const count = (filter: string) => matching.set(filter, (matching.get(filter) ?? 0) + 1);
  try {
    if ((await store.treeSize()) > 0)
      throw new StoreError(
        'not-empty',
        'the benchmark builds its own log: --database-url must name an empty database',
      );
    let tree = await LogTree.load(store, undefined);
    for (let start = 0; start < options.entries; start += BUILD_BATCH) {
      const entries: RegistryEntry[] = [];
      const leaves: Uint8Array[] = [];
      const integratedAt = new Date().toISOString();
      for (let i = start; i < Math.min(options.entries, start + BUILD_BATCH); i++) {
        const entry = benchEntry(
          options.example,
          i,
          owners,
          tree.size + leaves.length,
          integratedAt,
        );
        entries.push(entry);
        ids.push(entry.registryId);
        // The leaf stands for the entry's registration; the benchmark reads entries, not leaves.
        leaves.push(new TextEncoder().encode(canonicalize({ bench_entry: entry.registryId })));
        count('signal');
        count('capability');
        if (entry.lane === 'core') {
          count('lane');
          count('signal+lane');
        }
        if (entry.ownerId === owners[0]) count('owner');
      }
      const extension = tree.extend(leaves);
      const signedAt = Math.floor(Date.now() / 1000);
      await store.append({
        expectedSize: tree.size,
        leaves,
        subtreeHashes: extension.subtreeHashes,
        checkpoint: {
          size: extension.tree.size,
          signedAt,
          note: await signCheckpoint(
            { origin: ORIGIN, size: extension.tree.size, rootHash: extension.root, extensions: [] },
            signers,
            signedAt,
          ),
        },
        entries,
        nonces: [],
      });
      tree = extension.tree;
      options.progress(`built ${tree.size} of ${options.entries} entries`);
    }
  } finally {
    await store.close();
  }
  ids.sort();
  return { ids, owners, matching };
}

/**
 * Entry `i`: the example NodeSpec under a new name, one of the owners, a lane, tier, signals
 * from a vocabulary plus one every entry emits, and the example's capabilities.
 */
function benchEntry(
  example: NodeSpec,
  i: number,
  owners: readonly string[],
  index: number,
  integratedAt: string,
): RegistryEntry {
  const spec = structuredClone(example);
  spec.metadata.name = `bench_node_${String(i).padStart(7, '0')}`;
  spec.metadata.version = '1.0.0';
  spec.identity.owner_id = owners[i % owners.length] ?? '';
  spec.identity.lane = LANES[i % LANES.length] ?? 'candidate';
  spec.identity.tier = 1 + (i % 3);
  const signal = (k: number) => `bench.signal_${String(k % SIGNAL_VOCABULARY).padStart(3, '0')}`;
  spec.interfaces.signals = {
    emits: [{ name: 'bench.heartbeat' }, { name: signal(i) }],
    subscribes: [{ signal: signal(i * 31 + 7), handler: 'on_signal' }],
  };
  const nodeSpec = canonicalize(spec);
  return {
    registryId: `${spec.metadata.name}@1.0.0`,
    ownerId: spec.identity.owner_id,
    lane: spec.identity.lane,
    tier: spec.identity.tier,
    nodeSpec,
    specDigest: `sha256:${createHash('sha256').update(nodeSpec).digest('hex')}`,
    status: 'active',
    registeredIndex: index,
    integratedAt,
    signals: [...new Set(['bench.heartbeat', signal(i), signal(i * 31 + 7)])].sort(),
    capabilities: [...new Set(spec.identity.capabilities_policy?.allow ?? [])].sort(),
  };
}

/** GETs `count` paths over `connections` keep-alive connections; latency per request. */
async function getLoad(
  base: string,
  agent: http.Agent,
  connections: number,
  count: number,
  pathFor: (i: number) => string,
): Promise<QueryLoad> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count) {
      const requestPath = pathFor(next++);
      const t0 = performance.now();
      const status = await get(base, agent, requestPath);
      latencies.push(performance.now() - t0);
      if (status !== 200) errors++;
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const round = (n: number): number => Math.round(n * 100) / 100;
  return {
    connections,
    pages: count,
    errors,
    per_sec: Math.round((count - errors) / seconds),
    p50_ms: round(percentile(latencies, 50)),
    p95_ms: round(percentile(latencies, 95)),
    p99_ms: round(percentile(latencies, 99)),
  };
}

function get(base: string, agent: http.Agent, requestPath: string): Promise<number> {
  return new Promise((resolve) => {
    const request = http.get(`${base}${requestPath}`, { agent }, (response) => {
      response.resume();
      response.on('end', () => {
        resolve(response.statusCode ?? 0);
      });
    });
    request.on('error', () => {
      resolve(0);
    });
  });
}

export function formatQueryBench(result: QueryBenchResult): string {
  const row = (label: string, load: QueryLoad) =>
    `  ${label.padEnd(14)} ${String(load.per_sec).padStart(7)}/s  p50 ${load.p50_ms} ms  p95 ${load.p95_ms} ms  p99 ${load.p99_ms} ms${load.errors > 0 ? `  (${load.errors} errors)` : ''}\n`;
  const { healthz, targets } = result;
  let text =
    `${result.entries} entries in ${result.store === 'sqlite' ? 'SQLite' : 'PostgreSQL'} (built in ${result.build_seconds} s), ${result.page_size}-entry pages\n` +
    `GET /healthz (baseline)\n${row('1 connection', healthz.sequential)}${row(`${healthz.concurrent.connections} connections`, healthz.concurrent)}`;
  for (const filter of result.filters) {
    text +=
      `${filter.query} (${filter.matching} entries match)\n` +
      row('1 connection', filter.sequential) +
      row(`${filter.concurrent.connections} connections`, filter.concurrent) +
      `  ratio to /healthz: ${(filter.concurrent.per_sec / Math.max(1, healthz.concurrent.per_sec)).toFixed(3)}  ${filter.pass ? 'PASS' : 'FAIL'}\n`;
  }
  return (
    text +
    `targets: p50 <= ${targets.p50_ms} ms on 1 connection; >= ${targets.pages_per_sec} pages/s and >= ${targets.healthz_ratio} x /healthz at 16 connections, for signal, capability, lane and owner: ${result.pass ? 'PASS' : 'FAIL'}\n`
  );
}
