/**
 * Malformed HTTP and odd paths: what Node's parser and Fastify's router refuse before any route
 * runs is a problem document like every other refusal (not the framework's own JSON), and changes
 * nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOwner, type Owner } from '../support/registry.js';
import { expectProblem, rawConnection, rawProblem, startTarget, type Target } from './harness.js';

const REGISTER = '/api/v1/registry/register';
let target: Target;
let alice: Owner;

beforeAll(async () => {
  target = await startTarget();
  alice = await makeOwner('ed25519');
  const answer = await target.post(
    REGISTER,
    alice.request({ op: 'register', nodeSpec: alice.spec('http_node') }),
  );
  expect(answer.status).toBe(200);
}, 60_000);

afterAll(async () => {
  await target.expectFsckClean();
  await target.stop();
});

async function get(route: string, method = 'GET') {
  const response = await fetch(`${target.url}${route}`, { method });
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    body: JSON.parse(text) as unknown,
  };
}

/** Writes `request` on a raw connection and returns the problem the server answered. */
async function raw(request: string) {
  const { received } = await rawConnection(target, (socket) => {
    socket.write(request);
  });
  return rawProblem(received);
}

describe('RT-HTTP: malformed HTTP and odd paths', () => {
  it('RT-HTTP-1: a path that is not valid percent-encoding is 400 invalid-parameter, as a problem', async () => {
    const size = await target.treeSize();
    for (const route of [
      '/api/v1/registry/%E0%A4%A',
      '/api/v1/log/entries/%ZZ',
      '/api/v1/registry/http_node%C0%AF@0.1.0',
    ])
      expectProblem(await get(route), 400, 'invalid-parameter');
    expectProblem(await get('/api/v1/registry/%E0%A4%A', 'DELETE'), 400, 'invalid-parameter');
    expect(await target.treeSize()).toBe(size);
  });

  it('RT-HTTP-2: a path segment of 2,000 characters is 414 uri-too-long, while the longest valid id is looked up', async () => {
    expectProblem(await get(`/api/v1/registry/${'a'.repeat(2000)}@1.0.0`), 414, 'uri-too-long');
    const longest = `${'n'.repeat(128)}@${'1'.repeat(64)}`;
    expectProblem(await get(`/api/v1/registry/${longest}`), 404, 'not-found');
  });

  it('RT-HTTP-3: Content-Length together with Transfer-Encoding (request smuggling) is 400 malformed-http, nothing logged', async () => {
    const size = await target.treeSize();
    const body = JSON.stringify(
      alice.request({ op: 'register', nodeSpec: alice.spec('http_smuggled') }),
    );
    const answer = await raw(
      `POST ${REGISTER} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nTransfer-Encoding: chunked\r\n\r\n` +
        `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`,
    );
    expectProblem(answer, 400, 'malformed-http');
    expect(answer.body.detail).toMatch(/not well-formed HTTP/);
    expect(await target.treeSize()).toBe(size);
  });

  it('RT-HTTP-4: a negative or doubled Content-Length is 400 malformed-http', async () => {
    for (const lengths of ['Content-Length: -1\r\n', 'Content-Length: 2\r\nContent-Length: 3\r\n'])
      expectProblem(
        await raw(`POST ${REGISTER} HTTP/1.1\r\nHost: x\r\n${lengths}\r\n{}`),
        400,
        'malformed-http',
      );
  });

  it('RT-HTTP-5: 64 KiB of headers is 431 headers-too-large', async () => {
    const answer = await raw(
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
    );
    expectProblem(answer, 431, 'headers-too-large');
  });

  it('RT-HTTP-6: path traversal and odd characters in ids find nothing and read no file', async () => {
    for (const route of [
      '/api/v1/registry/..%2F..%2F..%2Fetc%2Fpasswd',
      '/api/v1/registry/%2e%2e%2fregistry.sqlite3',
      '/api/v1/registry/http_node@0.1.0%00',
      '/api/v1/registry/http_node%E2%80%AE@0.1.0',
      '/api/v1/registry/http_node@0.1.0%0A%1B%5B31m',
    ]) {
      const answer = await get(route);
      expect([400, 404], route).toContain(answer.status);
      expect(answer.type).toMatch(/^application\/problem\+json/);
      expect(JSON.stringify(answer.body)).not.toMatch(/root:|SQLite format/);
    }
    const traversal = await fetch(`${target.url}/api/v1/../../etc/passwd`);
    expect(await traversal.text()).not.toContain('root:');
  });
});
