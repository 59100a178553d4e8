/**
 * Registry load benchmark: signed registrations per second against a real `matriz serve`
 * process on loopback, each response carrying its checkpoint and inclusion proof. Requests are
 * signed before the clock starts (client cost is not the server's); a GET /healthz run over the
 * same connections is the same-run baseline for the HTTP stack alone. Both are measured after a
 * warm-up of registrations and health checks sent together, as a running server sees them, so
 * that the numbers are those of a server whose JavaScript is compiled and optimized (V8 spends
 * about two seconds of CPU optimizing the write path during a fresh server's first few thousand
 * requests, docs/benchmarks.md), not of one that has just started.
 */
import http from 'node:http';
import { signerFor } from '../crypto/dsse.js';
import { ownerId, publicKeyOf } from '../crypto/keys.js';
import { loadSignatureSuite } from '../crypto/suites.js';
import type { NodeSpec } from '../nodespec/nodespec.js';
import { buildWriteRequest } from '../registry/request-builder.js';
import { percentile } from './measure.js';
import type { ProcessUsage } from './registry-server.js';

export interface RegistryBenchOptions {
  readonly url: string;
  readonly origin: string;
  readonly template: NodeSpec;
  readonly requests: number;
  readonly connections: number;
  /**
   * Registrations, and as many GET /healthz, sent together before anything is measured (not
   * counted). Default 0.
   */
  readonly warmup?: number;
  /**
   * User+sys CPU seconds the server has used so far, or why that is unknown (a server the bench
   * did not start). Read just before and after the registrations, not around the baseline.
   */
  readonly serverCpuSeconds?: () => Promise<number | string>;
  /** The server's CPU by thread and I/O so far, read around the baseline and the registrations. */
  readonly serverUsage?: () => Promise<ProcessUsage | string>;
  readonly onProgress?: (message: string) => void;
}

export interface LoadResult {
  readonly requests: number;
  readonly ok: number;
  readonly errors: number;
  readonly seconds: number;
  readonly per_sec: number;
  readonly p50_ms: number;
  readonly p95_ms: number;
  readonly p99_ms: number;
}

export interface RegistryBenchResult {
  readonly registrations: LoadResult;
  readonly healthz_baseline: LoadResult;
  /** The unmeasured warm-up: registrations and GET /healthz sent together, and their errors. */
  readonly warmup: {
    readonly registrations: number;
    readonly healthz: number;
    readonly errors: number;
  };
  readonly connections: number;
  readonly owner_algorithm: 'ml-dsa-44';
  readonly targets: { readonly registrations_per_sec: number; readonly p95_ms: number };
  readonly pass: boolean;
  /** Registrations per second over the same run's GET /healthz rate. */
  readonly ratio_to_healthz: number;
  /** The server's user+sys CPU during the registrations, seconds; null when not measurable. */
  readonly server_cpu_seconds: number | null;
  /** `server_cpu_seconds` per successful registration, milliseconds. */
  readonly server_cpu_ms_per_write: number | null;
  /** Why the server's CPU was not measured, when it was not. */
  readonly server_cpu_note?: string;
  /** The server's CPU per `GET /healthz` of the baseline, milliseconds; null when not measured. */
  readonly healthz_server_cpu_ms_per_request: number | null;
  /**
   * The server's CPU per registration by thread, milliseconds: its event loop, and each other
   * thread that used any, busiest first (the verify worker and the SQLite append worker, then
   * V8's platform threads). Null when not measured.
   */
  readonly server_threads_cpu_ms_per_write: {
    readonly event_loop: number;
    readonly others: readonly number[];
  } | null;
  /** The server's read and write system calls per registration, and their bytes (sockets too). */
  readonly server_io_per_write: {
    readonly read_bytes: number;
    readonly read_calls: number;
    readonly write_bytes: number;
    readonly write_calls: number;
  } | null;
  /** Issue 17's write path targets, relative to the machine (the /healthz rate). */
  readonly write_path_targets: typeof WRITE_PATH_TARGETS;
  /** Whether they hold; null when the server's CPU could not be measured. */
  readonly write_path_pass: boolean | null;
}

export const REGISTRY_TARGETS = { registrations_per_sec: 2000, p95_ms: 100 } as const;

export const WRITE_PATH_TARGETS = {
  ratio_to_healthz: 0.4,
  p95_ms: 50,
  server_cpu_ms_per_write: 0.5,
} as const;

export async function benchRegistry(options: RegistryBenchOptions): Promise<RegistryBenchResult> {
  const suite = await loadSignatureSuite('ml-dsa-44');
  // A handful of owners, as in a real registry; every request registers a new NodeSpec.
  const owners = Array.from({ length: 8 }, () => {
    const pair = suite.generateKeyPair();
    const key = publicKeyOf('ml-dsa-44', pair.publicKey);
    return { key, signer: signerFor(key, pair.secretKey, suite), id: ownerId(key.keyid) };
  });
  const warmup = options.warmup ?? 0;
  options.onProgress?.(`signing ${warmup + options.requests} requests...`);
  const run = Date.now().toString(36);
  const signed = Array.from({ length: warmup + options.requests }, (_, i) => {
    const owner = owners[i % owners.length] as (typeof owners)[number];
    const spec = structuredClone(options.template);
    spec.metadata.name = `bench-${run}-${i}`;
    spec.identity.owner_id = owner.id;
    return JSON.stringify(
      buildWriteRequest(
        { op: 'register', nodeSpec: spec },
        { owner: owner.key, signer: owner.signer, origin: options.origin },
      ),
    );
  });
  const bodies = signed.slice(warmup);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  try {
    let warmupErrors = 0;
    if (warmup > 0) {
      options.onProgress?.(
        `warm-up: ${warmup} registrations and ${warmup} GET /healthz together (not measured)...`,
      );
      const half = Math.max(1, Math.floor(options.connections / 2));
      const [writes, checks] = await Promise.all([
        load(options.url, agent, half, signed.slice(0, warmup), '/api/v1/registry/register'),
        load(
          options.url,
          agent,
          half,
          Array.from({ length: warmup }, () => undefined),
          '/healthz',
        ),
      ]);
      warmupErrors = writes.errors + checks.errors;
    }
    options.onProgress?.('baseline: GET /healthz...');
    const beforeBaseline = await options.serverUsage?.();
    const baseline = await load(
      options.url,
      agent,
      options.connections,
      Array.from({ length: Math.min(options.requests, 5000) }, () => undefined),
      '/healthz',
    );
    options.onProgress?.(
      `registering ${options.requests} NodeSpecs over ${options.connections} connections...`,
    );
    const afterBaseline = await options.serverUsage?.();
    const cpuBefore = (await options.serverCpuSeconds?.()) ?? 'the bench did not start this server';
    const registrations = await load(
      options.url,
      agent,
      options.connections,
      bodies,
      '/api/v1/registry/register',
    );
    const cpuAfter = (await options.serverCpuSeconds?.()) ?? cpuBefore;
    const afterWrites = await options.serverUsage?.();
    const perWrite = usageDelta(afterBaseline, afterWrites, registrations.ok);
    const perCheck = usageDelta(beforeBaseline, afterBaseline, baseline.ok);
    const cpu =
      typeof cpuBefore === 'number' && typeof cpuAfter === 'number'
        ? Math.round((cpuAfter - cpuBefore) * 100) / 100
        : null;
    const cpuPerWrite =
      cpu === null ? null : Math.round((1000 * cpu * 1000) / Math.max(1, registrations.ok)) / 1000;
    const ratio = Math.round((1000 * registrations.per_sec) / Math.max(1, baseline.per_sec)) / 1000;
    const cpuNote =
      typeof cpuAfter === 'string'
        ? cpuAfter
        : typeof cpuBefore === 'string'
          ? cpuBefore
          : undefined;
    return {
      registrations,
      healthz_baseline: baseline,
      warmup: { registrations: warmup, healthz: warmup, errors: warmupErrors },
      connections: options.connections,
      owner_algorithm: 'ml-dsa-44',
      targets: REGISTRY_TARGETS,
      pass:
        registrations.errors === 0 &&
        registrations.per_sec >= REGISTRY_TARGETS.registrations_per_sec &&
        registrations.p95_ms <= REGISTRY_TARGETS.p95_ms,
      ratio_to_healthz: ratio,
      server_cpu_seconds: cpu,
      server_cpu_ms_per_write: cpuPerWrite,
      ...(cpuNote === undefined ? {} : { server_cpu_note: cpuNote }),
      healthz_server_cpu_ms_per_request: perCheck === undefined ? null : perCheck.cpuMs,
      server_threads_cpu_ms_per_write:
        perWrite === undefined ? null : { event_loop: perWrite.mainMs, others: perWrite.othersMs },
      server_io_per_write: perWrite?.io ?? null,
      write_path_targets: WRITE_PATH_TARGETS,
      write_path_pass:
        cpuPerWrite === null
          ? null
          : registrations.errors === 0 &&
            ratio >= WRITE_PATH_TARGETS.ratio_to_healthz &&
            registrations.p95_ms <= WRITE_PATH_TARGETS.p95_ms &&
            cpuPerWrite <= WRITE_PATH_TARGETS.server_cpu_ms_per_write,
    };
  } finally {
    agent.destroy();
  }
}

/** What the server used between two readings, per request (milliseconds, bytes, calls). */
function usageDelta(
  before: ProcessUsage | string | undefined,
  after: ProcessUsage | string | undefined,
  requests: number,
):
  | {
      cpuMs: number;
      mainMs: number;
      othersMs: number[];
      io: NonNullable<RegistryBenchResult['server_io_per_write']>;
    }
  | undefined {
  if (typeof before !== 'object' || typeof after !== 'object' || requests === 0) return undefined;
  const ms = (seconds: number): number => Math.round((1_000_000 * seconds) / requests) / 1000;
  const used = [...after.threads].map(
    ([tid, seconds]) => [tid, seconds - (before.threads.get(tid) ?? 0)] as const,
  );
  const count = (a: number, b: number): number => Math.round((b - a) / requests);
  return {
    cpuMs: ms(used.reduce((sum, [, seconds]) => sum + seconds, 0)),
    mainMs: ms(used.find(([tid]) => tid === after.mainThread)?.[1] ?? 0),
    othersMs: used
      .filter(([tid, seconds]) => tid !== after.mainThread && seconds > 0)
      .map(([, seconds]) => ms(seconds))
      .sort((a, b) => b - a),
    io: {
      read_bytes: count(before.io.readBytes, after.io.readBytes),
      read_calls: count(before.io.readCalls, after.io.readCalls),
      write_bytes: count(before.io.writeBytes, after.io.writeBytes),
      write_calls: count(before.io.writeCalls, after.io.writeCalls),
    },
  };
}

async function load(
  base: string,
  agent: http.Agent,
  connections: number,
  bodies: readonly (string | undefined)[],
  path: string,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let ok = 0;
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < bodies.length) {
      const body = bodies[next++];
      const t0 = performance.now();
      const status = await send(base, agent, path, body);
      latencies.push(performance.now() - t0);
      if (status === 200) ok++;
      else errors++;
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const round = (n: number): number => Math.round(n * 100) / 100;
  return {
    requests: bodies.length,
    ok,
    errors,
    seconds: round(seconds),
    per_sec: Math.round(ok / seconds),
    p50_ms: round(percentile(latencies, 50)),
    p95_ms: round(percentile(latencies, 95)),
    p99_ms: round(percentile(latencies, 99)),
  };
}

function send(
  base: string,
  agent: http.Agent,
  path: string,
  body: string | undefined,
): Promise<number> {
  return new Promise((resolve) => {
    const request = http.request(
      `${base}${path}`,
      {
        method: body === undefined ? 'GET' : 'POST',
        agent,
        headers:
          body === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        response.resume();
        response.on('end', () => {
          resolve(response.statusCode ?? 0);
        });
      },
    );
    request.on('error', () => {
      resolve(0);
    });
    request.end(body);
  });
}
