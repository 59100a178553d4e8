/**
 * The web-facing options of the server: CORS for an allow-list of origins (default none) and
 * trusting a reverse proxy's X-Forwarded-For so that each real client has its own rate limit.
 */
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { buildServer, type ServerOptions } from '../../src/server/app.js';
import { captureIo } from '../support/cli.js';
import { makeRegistry } from '../support/registry.js';

const APP = 'https://app.example';
let app: FastifyInstance | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function serve(options: Omit<ServerOptions, 'registry'> = {}): Promise<string> {
  const t = await makeRegistry();
  app = await buildServer({ registry: t.registry, ...options });
  return app.listen({ host: '127.0.0.1', port: 0 });
}

function preflight(base: string, origin: string) {
  return fetch(`${base}/api/v1/registry/register`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type',
    },
  });
}

describe('CORS', () => {
  it('allows no origin by default: preflight is a 404 problem, answers carry no CORS header', async () => {
    const base = await serve();
    const answer = await preflight(base, APP);
    expect(answer.status).toBe(404);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const keys = await fetch(`${base}/api/v1/log/keys`, { headers: { origin: APP } });
    expect(keys.status).toBe(200);
    expect(keys.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers the preflight of an allowed origin and lets it read answers and problems', async () => {
    const base = await serve({ corsOrigins: [APP] });
    const answer = await preflight(base, APP);
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-origin')).toBe(APP);
    expect(answer.headers.get('access-control-allow-methods')).toBe('GET, POST, DELETE');
    expect(answer.headers.get('access-control-allow-headers')).toBe('content-type');

    const keys = await fetch(`${base}/api/v1/log/keys`, { headers: { origin: APP } });
    expect(keys.headers.get('access-control-allow-origin')).toBe(APP);
    expect(keys.headers.get('vary')).toMatch(/Origin/);
    const missing = await fetch(`${base}/api/v1/registry/nope@1.0.0`, { headers: { origin: APP } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('access-control-allow-origin')).toBe(APP);
    expect(missing.headers.get('access-control-expose-headers')).toContain('retry-after');

    const other = 'https://evil.example';
    expect((await preflight(base, other)).status).toBe(404);
    const read = await fetch(`${base}/api/v1/log/keys`, { headers: { origin: other } });
    expect(read.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows any origin with *', async () => {
    const base = await serve({ corsOrigins: ['*'] });
    const answer = await preflight(base, 'https://anyone.example');
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('refuses a --cors-origin that is not an origin', async () => {
    const io = captureIo();
    expect(await main(['serve', '--cors-origin', 'https://app.example/path'], io)).toBe(2);
    expect(io.err()).toContain(
      '--cors-origin must be an origin like https://app.example (scheme, host, optional port, no path) or *, got "https://app.example/path"',
    );
  });
});

describe('--trust-proxy', () => {
  const from = (base: string, client: string) =>
    fetch(`${base}/api/v1/log/keys`, { headers: { 'x-forwarded-for': client } });

  it('gives each client behind the proxy its own rate limit', async () => {
    const base = await serve({ rateLimitPerMinute: 2, trustProxy: '127.0.0.1' });
    expect((await from(base, '203.0.113.1')).status).toBe(200);
    expect((await from(base, '203.0.113.1')).status).toBe(200);
    expect((await from(base, '203.0.113.1')).status).toBe(429);
    expect((await from(base, '203.0.113.2')).status).toBe(200);
  });

  it('without it, every client behind the proxy shares the proxy’s limit', async () => {
    const base = await serve({ rateLimitPerMinute: 2 });
    expect((await from(base, '203.0.113.1')).status).toBe(200);
    expect((await from(base, '203.0.113.1')).status).toBe(200);
    expect((await from(base, '203.0.113.2')).status).toBe(429);
  });
});
