/**
 * A real Prometheus (Debian's `prometheus`) on loopback, with ops/prometheus/prometheus.yml and
 * alerts.yml, scraping a real `matriz serve`: the target is up, every metric the alerts and the
 * runbooks use is there, every Grafana panel query (ops/grafana) returns data (the governance
 * panels from the files the governance commands write, served as node_exporter would), and
 * MatrizLogInconsistent fires once the server restarts on a rewritten
 * tree. Prometheus missing: skipped with a message, unless MATRIZ_REQUIRE_PROMETHEUS=1 (CI).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboards, panelQueries } from '../../ops/grafana/dashboards.js';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../support/cli.js';
import { makeOwner, ORIGIN } from '../support/registry.js';
import { startServe, type ServeProcess } from '../support/serve-process.js';
import { tempDir } from '../support/tmp.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PROMETHEUS = process.env.MATRIZ_PROMETHEUS ?? '/usr/bin/prometheus';
const available = existsSync(PROMETHEUS);
const required = process.env.MATRIZ_REQUIRE_PROMETHEUS === '1';
const PASSPHRASE = 'prometheus live test passphrase';

if (!available && !required)
  console.warn(
    `test/ops/prometheus-live skipped: no ${PROMETHEUS} (apt-get install prometheus); MATRIZ_REQUIRE_PROMETHEUS=1 makes this a failure`,
  );

/** Every metric ops/prometheus/alerts.yml and the runbooks query. */
const METRICS = [
  'up',
  'http_requests_total',
  'http_request_duration_seconds_bucket',
  'registry_verify_total',
  'pqc_sign_duration_seconds_bucket',
  'pqc_verify_duration_seconds_bucket',
  'registry_save_checkpoint_duration_seconds_bucket',
  'registry_batch_writes_count',
  'registry_refusals_total',
  'registry_rejections_total',
  'registry_log_inconsistencies_total',
  'registry_tree_size',
  'registry_checkpoint_age_seconds',
  'registry_sequencer_queue_depth',
  'registry_sequencer_leader',
  'registry_failovers_total',
  'registry_nonces',
  'registry_trust_root_version',
  'registry_trust_root_days_to_expiry',
  'registry_revoked_keys',
  'registry_trust_records_seen_total',
  'matriz_build_info',
  'process_cpu_seconds_total',
  'process_start_time_seconds',
  'nodejs_eventloop_lag_p99_seconds',
];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls `probe` until it returns a value, at most `attempts` times half a second apart. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>, attempts = 120) {
  for (let i = 0; i < attempts; i++) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`gave up waiting for ${what}`);
}

let work: string;
let dataDir: string;
let matrizPort: number;
let prometheusUrl: string;
let prometheus: ChildProcess | undefined;
let server: ServeProcess | undefined;
let prometheusLog = '';
let textfileStub: Server | undefined;

function serve(): Promise<ServeProcess> {
  return startServe(
    [
      '--data-dir',
      dataDir,
      '--origin',
      ORIGIN,
      '--key-scrypt-log-n',
      '10',
      '--port',
      String(matrizPort),
    ],
    { MATRIZ_KEY_PASSPHRASE: PASSPHRASE, MATRIZ_LOG_LEVEL: 'warn' },
  );
}

async function query(
  promql: string,
): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await response.json()) as { status: string; data: { result: [] }; error?: string };
  if (body.status !== 'success') throw new Error(`${promql}: ${body.error ?? body.status}`);
  return body.data.result;
}

/**
 * What node_exporter's textfile collector would serve: the files the governance tools write
 * (`guard noop-stats --format openmetrics`, `gates run --openmetrics`), made here by the real
 * commands and served on loopback as the `node` job.
 */
async function startTextfileStub(dir: string): Promise<{ server: Server; port: number }> {
  const textfiles = path.join(dir, 'textfile');
  mkdirSync(textfiles);
  const audit = path.join(dir, 'noop-guard.jsonl');
  const reason = { path: 'a.ts', status: 'modified', verdict: 'noop', reason: 'equal-syntax-tree' };
  writeFileSync(
    audit,
    [
      { type: 'run', run_id: 'r1', verdict: 'noop', paths: [reason] },
      { type: 'run', run_id: 'r2', verdict: 'substantive', paths: [] },
      {
        type: 'label',
        run_id: 'r1',
        label: 'true-positive',
        by: 'ana',
        time: '2026-12-01T00:00:00Z',
      },
    ]
      .map((record) => `${JSON.stringify(record)}\n`)
      .join(''),
  );
  writeFileSync(
    path.join(dir, 'gates.yml'),
    'gates:\n  - name: lint\n    command: "true"\n    timeout: 10\n',
  );
  const io = captureIo({ cwd: dir, env: { PATH: process.env.PATH ?? '' } });
  expect(
    await main(
      [
        'guard',
        'noop-stats',
        '--audit-log',
        audit,
        '--format',
        'openmetrics',
        '--output',
        path.join(textfiles, 'noop-guard.prom'),
      ],
      io,
    ),
  ).toBe(0);
  expect(
    await main(
      [
        'gates',
        'run',
        '--config',
        'gates.yml',
        '--report',
        'gates/report.json',
        '--openmetrics',
        path.join(textfiles, 'gates.prom'),
        '--branch',
        'main',
      ],
      io,
    ),
  ).toBe(0);
  const server = createHttpServer((_request, response) => {
    const body = readdirSync(textfiles)
      .filter((file) => file.endsWith('.prom'))
      .map((file) => readFileSync(path.join(textfiles, file), 'utf8'))
      .join('');
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

describe.skipIf(!available && !required)('a real Prometheus scraping a real matriz serve', () => {
  beforeAll(async () => {
    if (!available)
      throw new Error(
        `MATRIZ_REQUIRE_PROMETHEUS=1 but there is no ${PROMETHEUS}: DEBIAN_FRONTEND=noninteractive apt-get install -y prometheus`,
      );
    work = tempDir();
    dataDir = path.join(work, 'data');
    matrizPort = await freePort();
    server = await serve();
    const stub = await startTextfileStub(work);
    textfileStub = stub.server;
    const config = readFileSync(path.join(ROOT, 'ops/prometheus/prometheus.yml'), 'utf8')
      .replace(/scrape_interval: 15s/, 'scrape_interval: 1s')
      .replace(/evaluation_interval: 15s/, 'evaluation_interval: 1s')
      .replace("targets: ['127.0.0.1:8080']", `targets: ['127.0.0.1:${matrizPort}']`)
      .replace("targets: ['127.0.0.1:9100']", `targets: ['127.0.0.1:${stub.port}']`);
    expect(config).toContain(`127.0.0.1:${matrizPort}`);
    writeFileSync(path.join(work, 'prometheus.yml'), config);
    copyFileSync(path.join(ROOT, 'ops/prometheus/alerts.yml'), path.join(work, 'alerts.yml'));
    const port = await freePort();
    prometheusUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${path.join(work, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(work, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    prometheus.stderr?.on('data', (chunk: Buffer) => {
      prometheusLog = (prometheusLog + chunk.toString()).slice(-20_000);
    });
    await eventually('Prometheus to be ready', async () =>
      (await fetch(`${prometheusUrl}/-/ready`)).ok ? true : undefined,
    );
  }, 90_000);

  afterAll(async () => {
    await server?.stop();
    const stub = textfileStub;
    if (stub) await new Promise((resolve) => stub.close(resolve));
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus?.on('exit', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
  });

  it(
    'scrapes the target and finds every metric the alerts and runbooks use',
    { timeout: 90_000 },
    async () => {
      const alice = await makeOwner('ed25519');
      const written = await fetch(`http://127.0.0.1:${matrizPort}/api/v1/registry/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alice.request({ op: 'register', nodeSpec: alice.spec() })),
      });
      expect(written.status).toBe(200);
      // A refusal, so the refusal counter has a series.
      const none = await fetch(`http://127.0.0.1:${matrizPort}/api/v1/registry/none@1.0.0`);
      expect(none.status).toBe(404);
      const up = await eventually('the matriz target to be up', async () => {
        const result = await query('up{job="matriz"}');
        return result[0]?.value[1] === '1' ? result : undefined;
      });
      expect(up[0]?.metric.instance).toBe(`127.0.0.1:${matrizPort}`);
      await eventually('a scrape after the write', async () =>
        (await query('registry_tree_size{job="matriz"} == 1')).length === 1 ? true : undefined,
      );
      const missing: string[] = [];
      for (const name of METRICS)
        if ((await query(`count(${name}{job="matriz"})`)).length === 0) missing.push(name);
      expect(missing, prometheusLog).toStrictEqual([]);
      // The rules loaded, and none of them fires on a healthy registry.
      const alerts = (await (await fetch(`${prometheusUrl}/api/v1/rules?type=alert`)).json()) as {
        data: { groups: { rules: { name: string; state: string }[] }[] };
      };
      const rules = alerts.data.groups.flatMap((g) => g.rules);
      expect(rules).toHaveLength(14);
      expect(rules.filter((r) => r.state === 'firing').map((r) => r.name)).toStrictEqual([]);
    },
  );

  it('answers every Grafana panel query with data', { timeout: 90_000 }, async () => {
    // Rates need two scrapes after the write of the first test: ask again until every query
    // has data or the attempts run out, then name the queries that had none.
    let empty: string[] = [];
    for (let attempt = 0; attempt < 60; attempt++) {
      empty = [];
      for (const { dashboard } of dashboards())
        for (const { panel, expr } of panelQueries(dashboard))
          if ((await query(expr)).length === 0)
            empty.push(`${dashboard.title} / ${panel}: ${expr}`);
      if (empty.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(empty).toStrictEqual([]);
  });

  it(
    'fires MatrizLogInconsistent after the tree was rewritten under the server',
    { timeout: 90_000 },
    async () => {
      const alice = await makeOwner('ed25519');
      const again = await fetch(`http://127.0.0.1:${matrizPort}/api/v1/registry/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alice.request({ op: 'register', nodeSpec: alice.spec('second') })),
      });
      expect(again.status).toBe(200);
      await server?.stop();
      const db = new Database(path.join(dataDir, 'registry.sqlite3'));
      db.prepare('UPDATE subtrees SET hash = zeroblob(32) WHERE level = 1 AND idx = 0').run();
      db.close();
      server = await serve();
      const restarted = server;
      await eventually('the halt notice', () =>
        Promise.resolve(/WRITES HALTED/.test(restarted.stderr()) ? true : undefined),
      );
      const firing = await eventually('MatrizLogInconsistent to fire', async () => {
        const response = await fetch(`${prometheusUrl}/api/v1/alerts`);
        const body = (await response.json()) as {
          data: { alerts: { labels: Record<string, string>; state: string }[] };
        };
        const alert = body.data.alerts.find(
          (a) => a.labels.alertname === 'MatrizLogInconsistent' && a.state === 'firing',
        );
        return alert;
      });
      expect(firing.labels).toMatchObject({
        severity: 'page',
        job: 'matriz',
        instance: `127.0.0.1:${matrizPort}`,
      });
    },
  );
});
