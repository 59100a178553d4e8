/**
 * The server's JSON log (pino through Fastify): one access line per request with its request
 * id, sequencer batch lines, and no body, header, passphrase or key material, checked by
 * grepping the log of a whole scenario for every secret it used.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { base64Encode } from '../../src/crypto/encoding.js';
import { openSecretKey } from '../../src/keystore/key-file.js';
import { buildServer } from '../../src/server/app.js';
import { startService, type RunningService } from '../../src/server/service.js';
import { captureIo } from '../support/cli.js';
import { makeOwner, makeRegistry, ORIGIN } from '../support/registry.js';
import { tempDir } from '../support/tmp.js';

const PASSPHRASE = 'logging-test passphrase 7f3a9c';
const BEARER = 'Bearer tok-9d8e7f6a5b4c-never-logged';
const services: RunningService[] = [];

afterEach(async () => {
  for (const service of services.splice(0)) await service.close();
});

/** A service logging every level into `lines`. */
async function start(dataDir: string, lines: string[]): Promise<RunningService> {
  const service = await startService({
    dataDir,
    origin: ORIGIN,
    host: '127.0.0.1',
    port: 0,
    passphrase: PASSPHRASE,
    scrypt: { N: 2 ** 10, r: 8, p: 1 },
    verifyThreads: 1,
    warn: () => undefined,
    logger: {
      level: 'trace',
      stream: {
        write: (line: string) => {
          lines.push(line);
        },
      },
    },
  });
  services.push(service);
  return service;
}

function records(lines: readonly string[]): Record<string, unknown>[] {
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

describe('access log', () => {
  it('writes one JSON line per request with method, route, status, duration and request id', async () => {
    const lines: string[] = [];
    const service = await start(path.join(tempDir(), 'data'), lines);
    const given = await fetch(`${service.url}/api/v1/log/checkpoint`, {
      headers: { 'x-request-id': 'trace-abc.123' },
    });
    expect(given.headers.get('x-request-id')).toBe('trace-abc.123');
    const generated = await fetch(`${service.url}/api/v1/registry/nope@1.0.0`, {
      headers: { 'x-request-id': 'not a "token"' },
    });
    expect(generated.status).toBe(404);
    const generatedId = generated.headers.get('x-request-id') ?? '';
    expect(generatedId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    const access = records(lines).filter((r) => r.msg === 'request');
    expect(access).toHaveLength(2);
    expect(access[0]).toMatchObject({
      level: 30,
      request_id: 'trace-abc.123',
      method: 'GET',
      route: '/api/v1/log/checkpoint',
      status: 200,
      duration_ms: expect.any(Number) as number,
    });
    expect(access[1]).toMatchObject({
      request_id: generatedId,
      method: 'GET',
      route: '/api/v1/registry/:registry_id',
      status: 404,
    });
  });

  it('echoes the request id on refusals before any route (rate limit)', async () => {
    const lines: string[] = [];
    const service = await startService({
      dataDir: path.join(tempDir(), 'data'),
      origin: ORIGIN,
      host: '127.0.0.1',
      port: 0,
      passphrase: PASSPHRASE,
      scrypt: { N: 2 ** 10, r: 8, p: 1 },
      verifyThreads: 1,
      rateLimitPerMinute: 1,
      warn: () => undefined,
      logger: { level: 'info', stream: { write: (line: string) => lines.push(line) } },
    });
    services.push(service);
    await fetch(`${service.url}/api/v1/registry/query`);
    const limited = await fetch(`${service.url}/api/v1/registry/query`, {
      headers: { 'x-request-id': 'limited-1' },
    });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('x-request-id')).toBe('limited-1');
    expect(records(lines).find((r) => r.request_id === 'limited-1')).toMatchObject({
      msg: 'request',
      status: 429,
    });
  });
});

describe('log of a whole scenario', () => {
  it('logs the sequencer batch and never a body, header, passphrase or key', async () => {
    const lines: string[] = [];
    const dataDir = path.join(tempDir(), 'data');
    const service = await start(dataDir, lines);
    const alice = await makeOwner('ed25519');
    const spec = alice.spec('zz_never_logged_node');
    const request = alice.request({ op: 'register', nodeSpec: spec }) as {
      payload: string;
      signatures: { sig: string }[];
    };
    const post = (body: string) =>
      fetch(`${service.url}/api/v1/registry/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: BEARER },
        body,
      });
    expect((await post(JSON.stringify(request))).status).toBe(200);
    // Refusals go through the error paths: a replay, a forged signature, bad JSON.
    expect((await post(JSON.stringify(request))).status).toBe(409);
    const forged = { ...request, signatures: [{ ...request.signatures[0], sig: 'AAAA' }] };
    expect((await post(JSON.stringify(forged))).status).toBeGreaterThanOrEqual(400);
    expect((await post('{"payload": "zz_never_logged_raw_body",')).status).toBe(400);
    await service.close();
    services.splice(0);

    const log = lines.join('');
    expect(records(lines).filter((r) => r.msg === 'sequencer batch committed')).toStrictEqual([
      expect.objectContaining({ writes: 1, duration_ms: expect.any(Number) as number }),
    ]);
    expect(records(lines).filter((r) => r.msg === 'request')).toHaveLength(4);

    const [ed25519, mlDsa44] = await Promise.all([
      openSecretKey(path.join(dataDir, 'keys/log-ed25519.json'), PASSPHRASE),
      openSecretKey(path.join(dataDir, 'keys/log-ml-dsa-44.json'), PASSPHRASE),
    ]);
    const secrets: Record<string, string> = {
      passphrase: PASSPHRASE,
      'authorization header': 'tok-9d8e7f6a5b4c',
      'request payload': request.payload.slice(0, 40),
      'request signature': (request.signatures[0]?.sig ?? '').slice(0, 40),
      'NodeSpec name from the body': 'zz_never_logged_node',
      'raw body': 'zz_never_logged_raw_body',
      'owner secret key (base64)': base64Encode(alice.secretKey).slice(0, 40),
      'owner secret key (hex)': hex(alice.secretKey).slice(0, 40),
      'log Ed25519 secret key (base64)': base64Encode(ed25519.secretKey).slice(0, 40),
      'log Ed25519 secret key (hex)': hex(ed25519.secretKey).slice(0, 40),
      'log ML-DSA-44 secret key (base64)': base64Encode(mlDsa44.secretKey).slice(0, 40),
      'log ML-DSA-44 secret key (hex)': hex(mlDsa44.secretKey).slice(0, 40),
    };
    for (const [what, secret] of Object.entries(secrets))
      expect(log.includes(secret), `the log contains the ${what}`).toBe(false);
  });
});

describe('matriz serve --log-level', () => {
  it('refuses a MATRIZ_LOG_LEVEL that is not a level, naming the variable', async () => {
    const work = tempDir();
    const io = captureIo({ cwd: work, env: { MATRIZ_LOG_LEVEL: 'loud' } });
    const code = await main(['serve', '--data-dir', path.join(work, 'data'), '--port', '0'], io);
    expect(code).toBe(2);
    expect(io.err()).toContain('MATRIZ_LOG_LEVEL="loud" is not a log level; use one of fatal');
  });

  it('refuses a --log-level that is not a level', async () => {
    const work = tempDir();
    const io = captureIo({ cwd: work, env: {} });
    const code = await main(['serve', '--log-level', 'loud', '--port', '0'], io);
    expect(code).toBe(2);
    expect(io.err()).toMatch(/--log-level.*loud/);
  });
});

describe('internal errors', () => {
  it('are logged with their stack and request id, while the answer says only internal-error', async () => {
    const lines: string[] = [];
    const { registry, store, sequencer } = await makeRegistry();
    // A fault below the HTTP layer: the store failing in a way no refusal describes.
    registry.getJson = () => Promise.reject(new Error('disk fault at /var/lib/matriz/secret-path'));
    const app = await buildServer({
      registry,
      logger: { level: 'info', stream: { write: (line: string) => lines.push(line) } },
    });
    try {
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      const response = await fetch(`${url}/api/v1/registry/some_node@1.0.0`, {
        headers: { 'x-request-id': 'fault-1' },
      });
      expect(response.status).toBe(500);
      const body = (await response.json()) as { type: string; detail: string };
      expect(body.type).toBe('urn:matriz:problem:internal-error');
      expect(JSON.stringify(body)).not.toContain('secret-path');
      const logged = records(lines).find((r) => r.msg === 'unexpected error');
      expect(logged).toMatchObject({ level: 50, request_id: 'fault-1' });
      expect(JSON.stringify(logged)).toContain('disk fault at /var/lib/matriz/secret-path');
      expect((logged?.err as { stack?: string } | undefined)?.stack).toMatch(/at /);
    } finally {
      await app.close();
      await sequencer.drain();
      await store.close();
    }
  });
});
