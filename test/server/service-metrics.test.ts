/**
 * What an operator sees of a running `startService` (real SQLite, real HTTP on loopback): a
 * fresh log's signed size-0 checkpoint, the checkpoint re-signed without writes, and the state
 * metrics an operator alerts on.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { parseCheckpoint } from '../../src/log/checkpoint.js';
import { parseNote } from '../../src/log/note.js';
import { startService, type RunningService } from '../../src/server/service.js';
import { VERSION } from '../../src/version.js';
import { captureIo } from '../support/cli.js';
import {
  createDataDir,
  DATA_DIR_PASSPHRASE,
  FAST_SCRYPT,
  openOperator,
} from '../support/data-dir-log.js';
import { makeOwner, ORIGIN } from '../support/registry.js';
import { tempDir } from '../support/tmp.js';

const PASSPHRASE = 'service metrics passphrase';
const services: RunningService[] = [];

afterEach(async () => {
  for (const service of services.splice(0)) await service.close();
});

async function start(
  options: { checkpointIntervalSeconds?: number; rateLimitPerMinute?: number } = {},
): Promise<RunningService> {
  const service = await startService({
    dataDir: path.join(tempDir(), 'data'),
    origin: ORIGIN,
    host: '127.0.0.1',
    port: 0,
    passphrase: PASSPHRASE,
    scrypt: { N: 2 ** 10, r: 8, p: 1 },
    verifyThreads: 1,
    warn: () => undefined,
    ...options,
  });
  services.push(service);
  return service;
}

/** The value of one sample of the exposition, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function metrics(service: RunningService): Promise<string> {
  return (await fetch(`${service.url}/metrics`)).text();
}

async function checkpointNote(service: RunningService): Promise<string> {
  const response = await fetch(`${service.url}/api/v1/log/checkpoint`);
  expect(response.status).toBe(200);
  return response.text();
}

describe('a fresh log', () => {
  it('serves a signed size-0 checkpoint from the first start, which `matriz verify` accepts', async () => {
    const service = await start();
    const checkpoint = parseCheckpoint(parseNote(await checkpointNote(service)).text);
    expect(checkpoint.size).toBe(0);
    const work = tempDir();
    const io = captureIo({ cwd: work, env: { MATRIZ_CONFIG_DIR: path.join(work, 'config') } });
    const code = await main(['verify', '--server', service.url], io);
    expect(code).toBe(0);
    expect(io.out()).toContain(`ok: log ${ORIGIN} at size 0`);
  });
});

describe('checkpoint refresh', () => {
  it('re-signs the checkpoint at the configured interval without any write', async () => {
    const service = await start({ checkpointIntervalSeconds: 1 });
    const first = await checkpointNote(service);
    let next = first;
    // Signed times have one-second resolution; wait (bounded) for the next signature.
    for (let i = 0; i < 100 && next === first; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      next = await checkpointNote(service);
    }
    expect(next).not.toBe(first);
    expect(parseNote(next).text).toBe(parseNote(first).text);
  });
});

describe('metrics', () => {
  it('reports tree size, checkpoint age, queue depth, nonces, trust root and build info', async () => {
    const service = await start();
    let text = await metrics(service);
    expect(sample(text, 'registry_tree_size')).toBe(0);
    const age = sample(text, 'registry_checkpoint_age_seconds') as number;
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(60);
    expect(sample(text, 'registry_sequencer_queue_depth')).toBe(0);
    expect(sample(text, 'registry_nonces')).toBe(0);
    expect(sample(text, 'registry_trust_root_version')).toBe(0);
    expect(sample(text, 'registry_trust_root_days_to_expiry')).toBeNaN();
    expect(sample(text, 'registry_revoked_keys')).toBe(0);
    expect(text).toMatch(
      new RegExp(
        `^matriz_build_info\\{version="${VERSION.replaceAll('.', '\\.')}",node="${process.versions.node.replaceAll('.', '\\.')}",crypto_backend="(noble|liboqs|node)"\\} 1$`,
        'm',
      ),
    );
    expect(sample(text, 'registry_rejections_total{reason="rate_limit"}')).toBe(0);
    expect(sample(text, 'registry_trust_records_seen_total{kind="log-rotation"}')).toBe(0);

    const alice = await makeOwner('ed25519');
    const response = await fetch(`${service.url}/api/v1/registry/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alice.request({ op: 'register', nodeSpec: alice.spec() })),
    });
    expect(response.status).toBe(200);
    text = await metrics(service);
    expect(sample(text, 'registry_tree_size')).toBe(1);
    expect(sample(text, 'registry_nonces')).toBe(1);

    // The first query reads the answer from the store and keeps it; the next two find it.
    expect(sample(text, 'registry_answer_cache_hits_total')).toBe(0);
    expect(sample(text, 'registry_answer_cache_bytes')).toBe(0);
    for (let i = 0; i < 3; i++)
      expect((await fetch(`${service.url}/api/v1/registry/query`)).status).toBe(200);
    text = await metrics(service);
    expect(sample(text, 'registry_answer_cache_misses_total')).toBe(1);
    expect(sample(text, 'registry_answer_cache_hits_total')).toBe(2);
    expect(sample(text, 'registry_answer_cache_bytes')).toBeGreaterThan(1000);
  });

  it('counts requests refused by the rate limit', async () => {
    const service = await start({ rateLimitPerMinute: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await fetch(`${service.url}/api/v1/registry/query`)).status);
    expect(statuses).toStrictEqual([200, 200, 429, 429]);
    expect(sample(await metrics(service), 'registry_rejections_total{reason="rate_limit"}')).toBe(
      2,
    );
  });
});

describe('PQC metrics', () => {
  it('time every ML-DSA-44 checkpoint signature, also by the trust root log keys, and every owner-signature check in its worker', async () => {
    const dataDir = path.join(tempDir(), 'data');
    await createDataDir(dataDir, ORIGIN);
    const operator = await openOperator(dataDir);
    await operator.trustInit();
    await operator.close();
    const service = await startService({
      dataDir,
      origin: ORIGIN,
      host: '127.0.0.1',
      port: 0,
      passphrase: DATA_DIR_PASSPHRASE,
      scrypt: FAST_SCRYPT,
      verifyThreads: 1,
      warn: () => undefined,
    });
    services.push(service);
    const signs = async () =>
      sample(await metrics(service), 'pqc_sign_duration_seconds_count') ?? 0;
    const before = await signs();
    const alice = await makeOwner('ed25519');
    for (const name of ['metric_one', 'metric_two']) {
      const answer = await fetch(`${service.url}/api/v1/registry/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alice.request({ op: 'register', nodeSpec: alice.spec(name) })),
      });
      expect(answer.status).toBe(200);
    }
    const forged = alice.request({ op: 'register', nodeSpec: alice.spec('metric_bad') }) as {
      signatures: { sig: string }[];
    };
    (forged.signatures[0] as { sig: string }).sig = Buffer.alloc(64, 1).toString('base64');
    const refused = await fetch(`${service.url}/api/v1/registry/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(forged),
    });
    expect(refused.status).toBe(401);
    const text = await metrics(service);
    // Two writes under the trust root's log key: at least one signature each.
    expect(await signs()).toBeGreaterThanOrEqual(before + 2);
    expect(sample(text, 'pqc_verify_duration_seconds_count')).toBe(3);
    expect(sample(text, 'registry_verify_total{result="valid"}')).toBe(2);
    expect(sample(text, 'registry_verify_total{result="invalid"}')).toBe(1);
  });
});
