/**
 * RT-FUZZ (HTTP): a bounded fuzz run against a real `matriz serve`. Random and mutated requests
 * (methods, paths with traversal, odd characters and percent-encoding, query parameters,
 * content-type variants, bodies from mutated signed write requests) reach every route. No answer
 * is a 5xx; every 4xx is `application/problem+json` with a problem type docs/api.md lists and its
 * status; and nothing changes: the tree size and root hash, and fsck is clean at the end.
 */
import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64Encode } from '../../src/crypto/encoding.js';
import { PROBLEMS } from '../../src/registry/problems.js';
import { peekCheckpoint } from '../../src/verify/index.js';
import { makeOwner, type Owner } from '../support/registry.js';
import { fuzzParameters, fuzzTimeout, mutatedFrom } from './fuzz.js';
import { startTarget, type Target } from './harness.js';
import { observe } from './observe.js';

let target: Target;
let alice: Owner;
const encoder = new TextEncoder();
/** The one entry the target holds, so that reads by id, index and version find something. */
const registered = 'fuzz_http@0.1.0';
let agent: http.Agent;

/** The problem slugs docs/api.md documents (its "Problems" section), each with its status. */
function documentedSlugs(): Set<string> {
  const api = readFileSync(path.resolve(import.meta.dirname, '../../docs/api.md'), 'utf8');
  const section = api.slice(api.indexOf('## Problems'), api.indexOf('## Signed write requests'));
  return new Set([...section.matchAll(/`([a-z]+(?:-[a-z]+)*)`/g)].map((m) => m[1] ?? ''));
}

interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: Uint8Array;
}

interface Answer {
  readonly status: number;
  readonly type: string;
  readonly text: string;
  readonly json: unknown;
}

/** Sends the request with its raw path (no URL normalisation, unlike fetch). */
function send(request: FuzzRequest): Promise<Answer | { refusedByClient: string }> {
  const { hostname, port } = new URL(target.url);
  return new Promise((resolve, reject) => {
    let outgoing: http.ClientRequest;
    try {
      outgoing = http.request(
        {
          host: hostname,
          port,
          method: request.method,
          path: request.path,
          headers: {
            ...request.headers,
            ...(request.body ? { 'content-length': String(request.body.length) } : {}),
          },
          agent,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
            resolve({
              status: response.statusCode ?? 0,
              type: response.headers['content-type'] ?? '',
              text,
              json,
            });
          });
        },
      );
    } catch (error) {
      // Node's client refuses to send some paths and headers at all (unescaped characters).
      resolve({ refusedByClient: (error as Error).message });
      return;
    }
    outgoing.on('error', reject);
    outgoing.setTimeout(20_000, () => outgoing.destroy(new Error('no answer in 20 s')));
    outgoing.end(request.body);
  });
}

/**
 * `send`, retried when the answer is `503 overloaded` (documented, with Retry-After): on a busy
 * 2-core machine the server's event-loop guard may shed load, right after start-up especially.
 * A client is told to retry; a fuzz case does too, up to three times, and counts it.
 */
async function sendPatiently(request: FuzzRequest): Promise<Answer | { refusedByClient: string }> {
  for (let attempt = 1; ; attempt++) {
    const answer = await send(request);
    const overloaded =
      'status' in answer &&
      answer.status === 503 &&
      (answer.json as { type?: unknown } | undefined)?.type === 'urn:matriz:problem:overloaded';
    if (!overloaded || attempt > 3) return answer;
    overloadedRetries++;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
let overloadedRetries = 0;

async function treeHead(): Promise<string> {
  const response = await fetch(`${target.url}/api/v1/log/checkpoint`);
  const checkpoint = peekCheckpoint(await response.text());
  return `${checkpoint.size} ${base64Encode(checkpoint.rootHash)}`;
}

beforeAll(async () => {
  target = await startTarget(['--rate-limit', '1000000']);
  agent = new http.Agent({ keepAlive: false });
  alice = await makeOwner('ed25519');
  const answer = await sendPatiently({
    method: 'POST',
    path: '/api/v1/registry/register',
    headers: { 'content-type': 'application/json' },
    body: encoder.encode(
      JSON.stringify(alice.request({ op: 'register', nodeSpec: alice.spec('fuzz_http') })),
    ),
  });
  expect('status' in answer && answer.status, JSON.stringify(answer)).toBe(200);
}, 60_000);

afterAll(async () => {
  agent.destroy();
  await target.expectFsckClean();
  await target.stop();
});

/** Path segments an attacker tries where an id, index or version belongs. */
const oddSegments = [
  '..',
  '%2e%2e',
  '%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
  '..%2f..%2f',
  '%00',
  '%zz',
  '%',
  '%c0%af',
  '%ed%a0%80',
  '%EF%BB%BF',
  '%F0%9F%98%80',
  '\u00e9',
  '%20',
  '+',
  '-1',
  '0',
  '1e3',
  '9007199254740993',
  '99999999999999999999999',
  '0x10',
  'NaN',
  'a'.repeat(300),
  'x@',
  '@1',
  'a@b@c',
  '%40',
  '~',
  '*',
  'null',
  '[]',
  '{}',
];

const ROUTES = [
  '/api/v1/registry/validate',
  '/api/v1/registry/register',
  '/api/v1/registry/query',
  '/api/v1/registry/{id}',
  '/api/v1/log/checkpoint',
  '/api/v1/log/entries/{index}',
  '/api/v1/log/proof/inclusion',
  '/api/v1/log/proof/consistency',
  '/api/v1/log/keys',
  '/api/v1/trust/root',
  '/api/v1/trust/root/{version}',
  '/api/v1/trust/revocations',
  '/api/v1/openapi.json',
  '/healthz',
  '/readyz',
  '/metrics',
  '/',
  '/api',
  '/api/v1/../../etc/passwd',
  '//api/v1/log/checkpoint',
  '/api/v1/log/checkpoint/',
  '/API/V1/LOG/CHECKPOINT',
];

const QUERY_KEYS = [
  'limit',
  'cursor',
  'lane',
  'owner',
  'signal',
  'capability',
  'index',
  'size',
  'from',
  'to',
  '__proto__',
  'constructor',
  'a[b]',
  '',
];

const queryValue = fc.oneof(
  fc.constantFrom(...oddSegments),
  fc.integer({ min: -2, max: 600 }).map(String),
  fc.constantFrom('candidate', 'core', registered, '', '1', '2'),
);

const query = fc
  .array(fc.tuple(fc.constantFrom(...QUERY_KEYS), queryValue), { maxLength: 4 })
  .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`));

const segment = (real: () => string) =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constant(null).map(real) },
    { weight: 3, arbitrary: fc.constantFrom(...oddSegments) },
  );

const fuzzPath = fc
  .tuple(
    fc.constantFrom(...ROUTES),
    segment(() => registered),
    segment(() => '0'),
    segment(() => '1'),
    query,
  )
  .map(([route, id, index, version, q]) =>
    route.replace('{id}', id).replace('{index}', index).replace('{version}', version).concat(q),
  );

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json;charset="UTF-8"',
  'application/json; charset=utf-16',
  'application/vnd.matriz.request+json',
  'application/problem+json',
  'application/jsonx',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  '',
  '*/*',
  'application/json, text/plain',
];

let samples: Uint8Array[] = [];

const body = fc.oneof(
  { weight: 6, arbitrary: fc.constant(null).chain(() => mutatedFrom(samples)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
);

const anyRequest: fc.Arbitrary<FuzzRequest> = fc
  .tuple(
    fc.constantFrom('GET', 'GET', 'POST', 'POST', 'DELETE', 'PUT', 'PATCH', 'HEAD', 'OPTIONS'),
    fuzzPath,
    fc.option(fc.constantFrom(...CONTENT_TYPES), { nil: undefined }),
    fc.option(body, { nil: undefined }),
    fc.constantFrom<Record<string, string>>(
      {},
      { accept: 'text/html' },
      { origin: 'https://evil.example' },
      { origin: 'null', 'access-control-request-method': 'DELETE' },
      { host: 'evil.example' },
      { 'x-forwarded-for': '10.0.0.1, 127.0.0.1' },
      { 'content-encoding': 'gzip' },
      { expect: '100-continue' },
      { range: 'bytes=0-1' },
      { 'x-http-method-override': 'DELETE' },
      {
        'transfer-encoding': 'chunked',
      },
    ),
  )
  .map(([method, requestPath, contentType, requestBody, extra]) => {
    const withBody = requestBody !== undefined && method !== 'GET' && method !== 'HEAD';
    const headers: Record<string, string> = { ...extra };
    if (contentType !== undefined) headers['content-type'] = contentType;
    // Either a Content-Length (send() sets it) or chunked, never both: CL+TE is the lead's case.
    if (withBody) delete headers['transfer-encoding'];
    return { method, path: requestPath, headers, ...(withBody ? { body: requestBody } : {}) };
  });

/** Valid JSON that is not a valid request: one member of a signed request replaced or removed. */
const reshaped: fc.Arbitrary<Uint8Array> = fc
  .tuple(
    fc.nat(),
    fc.constantFrom(
      'payload',
      'payloadType',
      'signatures',
      'signatures/0/sig',
      'signatures/0/keyid',
      'extra',
    ),
    fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined }),
  )
  .map(([which, member, value]) => {
    const request = JSON.parse(new TextDecoder().decode(samples[which % 2])) as Record<string, any>;
    const [name = '', index, field] = member.split('/');
    const holder = field === undefined ? request : request[name][Number(index)];
    const key = field ?? name;
    // JSON.stringify drops an undefined member: that is the "removed" variant.
    holder[key] = value;
    return encoder.encode(JSON.stringify(request));
  });

/** Write-shaped requests: a mutated signed request to a write route, as JSON. */
const writeRequest: fc.Arbitrary<FuzzRequest> = fc
  .tuple(
    fc.constantFrom<[string, string]>(
      ['POST', '/api/v1/registry/register'],
      ['POST', '/api/v1/registry/validate'],
      ['DELETE', '/api/v1/registry/ghost_node@1.0.0'],
      ['DELETE', `/api/v1/registry/${registered}`],
    ),
    fc.constantFrom('application/json', 'application/json; charset=utf-8'),
    fc.oneof(
      fc.constant(null).chain(() => mutatedFrom(samples)),
      fc.constant(null).chain(() => reshaped),
    ),
  )
  .map(([[method, requestPath], contentType, requestBody]) => ({
    method,
    path: requestPath,
    headers: { 'content-type': contentType },
    body: requestBody,
  }));

const fuzzRequest = fc.oneof(anyRequest, writeRequest);

describe('RT-FUZZ: HTTP', () => {
  it(
    'RT-FUZZ-19: random and mutated requests to every route get no 5xx, only documented problem+json refusals, and change nothing',
    async () => {
      samples = [
        // The registered NodeSpec again: a mutation that keeps it valid is an idempotent write.
        alice.request({ op: 'register', nodeSpec: alice.spec('fuzz_http') }),
        alice.request({ op: 'deregister', registryId: 'ghost_node@1.0.0' }),
        alice.spec('fuzz_http_three'),
      ].map((value) => encoder.encode(JSON.stringify(value)));
      const slugs = documentedSlugs();
      const before = await treeHead();
      const statuses = new Map<string, number>();
      const count = (tally: Map<string, number>, key: string) =>
        tally.set(key, (tally.get(key) ?? 0) + 1);
      let refusedByClient = 0;
      await fc.assert(
        fc.asyncProperty(fuzzRequest, async (request) => {
          const answer = await sendPatiently(request);
          if ('refusedByClient' in answer) {
            refusedByClient++;
            return;
          }
          const where = `${request.method} ${request.path} (${request.headers['content-type'] ?? 'no content type'}): ${answer.status} ${answer.text.slice(0, 300)}`;
          expect(answer.status, where).toBeLessThan(500);
          // A write that was refused, or accepted as a repeat of the logged one, logged nothing.
          if (request.method === 'POST' || request.method === 'DELETE')
            expect(await treeHead(), where).toBe(before);
          if (answer.status < 400) {
            count(statuses, String(answer.status));
            return;
          }
          if (request.method === 'HEAD') {
            // No body to read, but the type says what it would have been.
            expect(answer.type, where).toMatch(/^application\/problem\+json/);
            count(statuses, `${answer.status} (HEAD)`);
            return;
          }
          expect(answer.type, where).toMatch(/^application\/problem\+json/);
          const problem = answer.json as { type?: string; status?: number };
          const slug = (problem.type ?? '').replace(/^urn:matriz:problem:/, '');
          expect(slugs, where).toContain(slug);
          expect(problem.status, where).toBe(answer.status);
          expect(PROBLEMS[slug as keyof typeof PROBLEMS].status, where).toBe(answer.status);
          count(statuses, `${answer.status} ${slug}`);
        }),
        fuzzParameters(400),
      );
      // Nothing a fuzzed request did was logged.
      expect(await treeHead()).toBe(before);
      const tally = (map: Map<string, number>) =>
        [...map]
          .sort((a, b) => b[1] - a[1])
          .map(([key, n]) => `${key} ×${n}`)
          .join(', ');
      observe(`${tally(statuses)}; ${refusedByClient} not sendable`);
      observe(`${overloadedRetries} retried after 503 overloaded; tree head unchanged (${before})`);
      // Reads answered, and mutated writes reached the request parser behind the body parser.
      expect([...statuses.keys()]).toEqual(expect.arrayContaining(['200', '401 bad-signature']));
    },
    fuzzTimeout(120_000),
  );
});
