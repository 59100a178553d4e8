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
        `^matriz_build_info\\{version="${VERSION.replaceAll('.', '\\.')}",node="${process.versions.node.replaceAll('.', '\\.')}",crypto_backend="(noble|liboqs)"\\} 1$`,
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
