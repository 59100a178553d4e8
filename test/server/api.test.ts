import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { base64Decode } from '../../src/crypto/encoding.js';
import { openCheckpoint } from '../../src/log/checkpoint-signature.js';
import { leafHash } from '../../src/log/hash.js';
import { parseEd25519VerifierKey } from '../../src/log/note-keys.js';
import { verifyConsistency, verifyInclusion } from '../../src/log/proof.js';
import { buildServer } from '../../src/server/app.js';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import { dropSchema, POSTGRES_URL, postgresAvailable, uniqueSchema } from '../support/postgres.js';
import {
  makeOwner,
  makeRegistry,
  ORIGIN,
  type Owner,
  type TestRegistry,
} from '../support/registry.js';

const postgres = await postgresAvailable();
let t: TestRegistry;
let app: FastifyInstance;
let base: string;
let alice: Owner;

beforeEach(async () => {
  t = await makeRegistry();
  app = await buildServer({ registry: t.registry });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  alice = await makeOwner();
});

afterEach(async () => {
  await app.close();
});

async function post(
  path: string,
  body: unknown,
  headers: Record<string, string> = { 'content-type': 'application/json' },
) {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    body: (await response.json()) as Record<string, any>,
    headers: response.headers,
  };
}

async function get(path: string) {
  const response = await fetch(`${base}${path}`);
  return { status: response.status, type: response.headers.get('content-type') ?? '', response };
}

describe('POST /api/v1/registry/validate', () => {
  it('accepts a valid NodeSpec, bare or wrapped', async () => {
    const spec = alice.spec();
    expect((await post('/api/v1/registry/validate', spec)).body).toStrictEqual({
      valid: true,
      findings: [],
    });
    expect((await post('/api/v1/registry/validate', { node_spec: spec })).body).toStrictEqual({
      valid: true,
      findings: [],
    });
  });

  it('reports every error with its pointer, line and column in the request body', async () => {
    const spec = alice.spec() as any;
    spec.identity.tier = 9;
    const text = JSON.stringify({ node_spec: spec }, null, 2);
    const { status, body } = await post('/api/v1/registry/validate', text);
    expect(status).toBe(200);
    expect(body.valid).toBe(false);
    const line = text.split('\n').findIndex((l) => l.includes('"tier": 9')) + 1;
    expect(body.findings).toStrictEqual([
      {
        rule_id: 'nodespec-schema',
        severity: 'error',
        message: '`identity.tier` is 9; must be an integer from 0 to 7',
        pointer: '/node_spec/identity/tier',
        line,
        column: (text.split('\n')[line - 1] ?? '').indexOf('9') + 1,
      },
    ]);
  });

  it('bounds the answer to a small NodeSpec with thousands of errors (RT amplification): 100 findings, truncated, the count', async () => {
    const spec = alice.spec() as any;
    spec.interfaces.inputs = Array.from({ length: 20_000 }, () => ({}));
    const text = JSON.stringify(spec);
    expect(text.length).toBeLessThan(256 * 1024);
    const { status, body } = await post('/api/v1/registry/validate', text);
    expect(status).toBe(200);
    expect(body.valid).toBe(false);
    expect(body.truncated).toBe(true);
    expect(body.finding_count).toBeGreaterThanOrEqual(20_000);
    expect(body.findings).toHaveLength(100);
    expect(JSON.stringify(body).length).toBeLessThan(text.length);

    // The signed register path answers the same NodeSpec with a bounded problem too.
    const refused = await post(
      '/api/v1/registry/register',
      alice.request({ op: 'register', nodeSpec: spec }),
    );
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({
      type: 'urn:matriz:problem:schema-violation',
      truncated: true,
    });
    expect(refused.body.errors).toHaveLength(100);
    expect(refused.body.error_count).toBeGreaterThanOrEqual(20_000);
    expect(await t.store.treeSize()).toBe(0);
  });

  it('accepts application/json with charset=utf-8, and refuses another charset (415)', async () => {
    const spec = alice.spec();
    for (const type of ['application/json; charset=utf-8', 'application/json;charset="UTF-8"'])
      expect(
        (await post('/api/v1/registry/validate', spec, { 'content-type': type })).body,
      ).toMatchObject({
        valid: true,
      });
    const latin1 = await post('/api/v1/registry/validate', spec, {
      'content-type': 'application/json; charset=iso-8859-1',
    });
    expect(latin1.status).toBe(415);
  });

  it('runs the lint rules with ?lint=true', async () => {
    const spec = alice.spec();
    const { body } = await post('/api/v1/registry/validate?lint=true', spec);
    expect(body.findings.map((f: any) => f.rule_id)).toContain('NS008');
    expect(body.valid).toBe(true);
  });
});

describe('bad input gets a clear problem document and changes nothing', () => {
  it.each([
    ['malformed JSON', '{"a": ', 'application/json', 400, 'invalid-json'],
    ['duplicate keys', '{"a": 1, "a": 2}', 'application/json', 400, 'duplicate-key'],
    ['deep nesting', `${'['.repeat(70)}${']'.repeat(70)}`, 'application/json', 400, 'invalid-json'],
    [
      'a wrong content type',
      'a=1',
      'application/x-www-form-urlencoded',
      415,
      'unsupported-media-type',
    ],
    [
      'an oversize body',
      `{"x": "${'a'.repeat(300 * 1024)}"}`,
      'application/json',
      413,
      'body-too-large',
    ],
  ])('%s', async (_name, body, contentType, status, slug) => {
    const result = await post('/api/v1/registry/register', body, { 'content-type': contentType });
    expect(result.status).toBe(status);
    expect(result.type).toContain('application/problem+json');
    expect(result.body).toMatchObject({ type: `urn:matriz:problem:${slug}`, status });
    expect(typeof result.body.detail).toBe('string');
    expect(await t.store.treeSize()).toBe(0);
  });

  it('a duplicate key says where it is', async () => {
    const result = await post('/api/v1/registry/validate', '{\n  "a": 1,\n  "a": 2\n}');
    expect(result.body).toMatchObject({ line: 3, column: 3 });
    expect(result.body.detail).toContain('duplicate member name "a"');
  });

  it('unknown routes and bad parameters are problems too', async () => {
    const missing = await get('/api/v1/nothing');
    expect(missing.status).toBe(404);
    expect(missing.type).toContain('application/problem+json');
    const bad = await get('/api/v1/registry/query?limit=0');
    expect(bad.status).toBe(400);
    expect(await bad.response.json()).toMatchObject({
      type: 'urn:matriz:problem:invalid-parameter',
    });
  });
});

describe('the write and read paths over HTTP', () => {
  it('registers, reads back, queries, proves and deregisters', async () => {
    const register = await post(
      '/api/v1/registry/register',
      alice.request({ op: 'register', nodeSpec: alice.spec() }),
    );
    expect(register.status).toBe(200);
    expect(register.body).toMatchObject({ registry_id: 'memoria_adapter_v1@0.1.0', index: 0 });

    const keys = (await (await get('/api/v1/log/keys')).response.json()) as Record<string, any>;
    expect(keys.origin).toBe(ORIGIN);
    const { publicKey } = parseEd25519VerifierKey(keys.ed25519_vkey);
    expect(publicKey).toStrictEqual(t.keys.verifier.ed25519PublicKey);

    const checkpoint = await get('/api/v1/log/checkpoint');
    expect(checkpoint.type).toContain('text/plain');
    const opened = openCheckpoint(await checkpoint.response.text(), t.keys.verifier, ORIGIN);
    if (!opened.ok) throw new Error(opened.message);

    const leaf = await get('/api/v1/log/entries/0');
    expect(leaf.type).toBe('application/octet-stream');
    const leafBytes = new Uint8Array(await leaf.response.arrayBuffer());
    const proof = (await (
      await get(`/api/v1/log/proof/inclusion?index=0&size=${opened.checkpoint.size}`)
    ).response.json()) as { hashes: string[] };
    expect(
      verifyInclusion(
        0,
        opened.checkpoint.size,
        leafHash(leafBytes),
        proof.hashes.map((h) => base64Decode(h)),
        opened.checkpoint.rootHash,
      ),
    ).toBe(true);

    const entry = (await (
      await get('/api/v1/registry/memoria_adapter_v1@0.1.0')
    ).response.json()) as Record<string, any>;
    expect(entry).toMatchObject({ status: 'active', owner_id: alice.ownerId, log_index: 0 });
    const query = (await (
      await get('/api/v1/registry/query?signal=memory_stored')
    ).response.json()) as Record<string, any>;
    expect(query.entries.map((e: any) => e.registry_id)).toStrictEqual([
      'memoria_adapter_v1@0.1.0',
    ]);
    // A page is assembled from stored text: each entry exactly as GET answers it.
    expect(query.entries[0]).toStrictEqual(entry);
    const summaryPage = await get(
      '/api/v1/registry/query?capability=read:memory/episodic/x&view=summary',
    );
    expect(summaryPage.type).toContain('application/json');
    expect(await summaryPage.response.json()).toStrictEqual({
      entries: [
        {
          registry_id: 'memoria_adapter_v1@0.1.0',
          owner_id: alice.ownerId,
          lane: entry.lane,
          tier: entry.tier,
          version: '0.1.0',
          signals: [
            ...new Set([
              ...entry.node_spec.interfaces.signals.emits.map((s: any) => s.name),
              ...(entry.node_spec.interfaces.signals.subscribes ?? []).map((s: any) => s.signal),
            ]),
          ].sort(),
          capabilities: entry.node_spec.identity.capabilities_policy.allow,
        },
      ],
      next_cursor: null,
    });
    for (const bad of ['view=everything', `capability=read:${'a/'.repeat(10)}b`]) {
      const refused = await get(`/api/v1/registry/query?${bad}`);
      expect(refused.status, bad).toBe(400);
      expect(((await refused.response.json()) as { type: string }).type).toBe(
        'urn:matriz:problem:invalid-parameter',
      );
    }

    const response = await fetch(`${base}/api/v1/registry/memoria_adapter_v1@0.1.0`, {
      method: 'DELETE',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(
        alice.request({ op: 'deregister', registryId: 'memoria_adapter_v1@0.1.0' }),
      ),
    });
    expect(response.status).toBe(200);
    const consistency = (await (
      await get('/api/v1/log/proof/consistency?from=1&to=2')
    ).response.json()) as { hashes: string[] };
    const latest = openCheckpoint(
      await (await get('/api/v1/log/checkpoint')).response.text(),
      t.keys.verifier,
    );
    if (!latest.ok) throw new Error(latest.message);
    expect(
      verifyConsistency(
        1,
        2,
        opened.checkpoint.rootHash,
        latest.checkpoint.rootHash,
        consistency.hashes.map((h) => base64Decode(h)),
      ),
    ).toBe(true);
    expect((await get('/api/v1/registry/memoria_adapter_v1@0.1.0')).status).toBe(200);
    expect(
      (await (await get('/api/v1/registry/query?signal=memory_stored')).response.json()) as object,
    ).toMatchObject({ entries: [] });
  });

  it('answers a refused write with its problem type and leaves the tree alone', async () => {
    const body = alice.request({ op: 'register', nodeSpec: alice.spec() });
    expect((await post('/api/v1/registry/register', body)).status).toBe(200);
    const replay = await post('/api/v1/registry/register', body);
    expect(replay.status).toBe(409);
    expect(replay.body.type).toBe('urn:matriz:problem:replayed-nonce');
    expect(await t.store.treeSize()).toBe(1);
  });

  it('serves an OpenAPI document listing every route', async () => {
    const doc = (await (await get('/api/v1/openapi.json')).response.json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/registry/validate',
        '/api/v1/registry/register',
        '/api/v1/registry/query',
        '/api/v1/registry/{registry_id}',
        '/api/v1/log/checkpoint',
        '/api/v1/log/entries/{index}',
        '/api/v1/log/proof/inclusion',
        '/api/v1/log/proof/consistency',
        '/api/v1/log/keys',
      ]),
    );
  });

  it('exposes health, readiness and Prometheus metrics', async () => {
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/readyz')).status).toBe(200);
    await post('/api/v1/registry/validate', { node_type: 1 });
    const text = await (await get('/metrics')).response.text();
    for (const name of [
      'http_requests_total',
      'http_request_duration_seconds',
      'nodespec_validation_failures_total 1',
      'registry_refusals_total',
    ]) {
      expect(text).toContain(name);
    }
  });
});

describe.each(['SQLite', 'PostgreSQL'] as const)(
  'GET /api/v1/registry/query?name= on %s',
  (backend) => {
    it.runIf(backend === 'SQLite' || postgres)(
      'lists every version of the node names starting with the prefix, with the other filters, page by page',
      { timeout: 60_000 },
      async () => {
        let registry = t;
        let url = base;
        const cleanup: (() => Promise<unknown>)[] = [];
        if (backend === 'PostgreSQL') {
          const schema = uniqueSchema();
          cleanup.push(() => dropSchema(schema));
          const store = await openPostgresStore({ connectionString: POSTGRES_URL, schema });
          cleanup.push(() => store.close());
          registry = await makeRegistry({ store });
          const server = await buildServer({ registry: registry.registry });
          cleanup.push(() => server.close());
          url = await server.listen({ host: '127.0.0.1', port: 0 });
        }
        try {
          const bob = await makeOwner();
          const quiet = alice.spec('memory_adapter', '0.2.0');
          quiet.interfaces.signals = { emits: [{ name: 'other' }], subscribes: [] };
          await Promise.all(
            [
              ...[
                alice.spec('memory', '1.0.0'),
                alice.spec('memory_adapter', '0.1.0'),
                quiet,
                alice.spec('memory_adapter', '1.0.0'),
                alice.spec('memory_adapter_v2', '0.1.0'),
                alice.spec('memory_adaptes', '1.0.0'),
              ].map((nodeSpec) => alice.request({ op: 'register', nodeSpec })),
              bob.request({ op: 'register', nodeSpec: bob.spec('memory_adapters', '1.0.0') }),
            ].map((body) => registry.registry.register(body)),
          );
          await registry.registry.deregister(
            'memory_adapter@1.0.0',
            alice.request({ op: 'deregister', registryId: 'memory_adapter@1.0.0' }),
          );
          const query = async (search: string) => {
            const response = await fetch(`${url}/api/v1/registry/query?${search}`);
            return {
              status: response.status,
              body: (await response.json()) as {
                entries: { registry_id: string }[];
                next_cursor: string | null;
                type?: string;
                detail?: string;
              },
            };
          };
          const ids = async (search: string) => {
            const { status, body } = await query(search);
            expect(status, search).toBe(200);
            return { ids: body.entries.map((e) => e.registry_id), next: body.next_cursor };
          };
          const versions = [
            'memory_adapter@0.1.0',
            'memory_adapter@0.2.0',
            'memory_adapter_v2@0.1.0',
            'memory_adapters@1.0.0',
          ];
          // Active entries only, of every name that starts with the prefix.
          expect(await ids('name=memory_adapter')).toStrictEqual({ ids: versions, next: null });
          expect((await ids('name=memory_adapter_v')).ids).toStrictEqual([
            'memory_adapter_v2@0.1.0',
          ]);
          expect(await ids('name=memory_adapterz')).toStrictEqual({ ids: [], next: null });
          expect(await ids('name=zzz')).toStrictEqual({ ids: [], next: null });
          expect((await ids('name=m&view=summary')).ids).toStrictEqual([
            'memory@1.0.0',
            ...versions,
            'memory_adaptes@1.0.0',
          ]);
          // AND with the other filters.
          expect((await ids('name=memory_adapter&signal=memory_stored')).ids).toStrictEqual([
            'memory_adapter@0.1.0',
            'memory_adapter_v2@0.1.0',
            'memory_adapters@1.0.0',
          ]);
          expect((await ids('name=memory_adapter&signal=other&lane=candidate')).ids).toStrictEqual([
            'memory_adapter@0.2.0',
          ]);
          expect((await ids('name=memory_adapter&lane=core')).ids).toStrictEqual([]);
          expect(
            (await ids(`name=memory_adapter&owner=${encodeURIComponent(bob.ownerId)}`)).ids,
          ).toStrictEqual(['memory_adapters@1.0.0']);
          // Page by page: each matching entry once, in order, and no cursor after the last.
          for (const filter of ['', '&lane=candidate&signal=memory_stored'])
            for (const limit of [1, 2, 3]) {
              const seen: string[] = [];
              let cursor: string | null = null;
              do {
                const page: { ids: string[]; next: string | null } = await ids(
                  `name=memory_adapter${filter}&limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
                );
                expect(page.ids.length).toBeLessThanOrEqual(limit);
                seen.push(...page.ids);
                cursor = page.next;
              } while (cursor !== null);
              expect(seen, `${filter} limit ${limit}`).toStrictEqual(
                filter === '' ? versions : versions.filter((id) => id !== 'memory_adapter@0.2.0'),
              );
            }
          // A cursor past the prefix's range: nothing, and no cursor; one before it: the range.
          expect(await ids('name=memory_adapter&cursor=memory_adapters%401.0.0')).toStrictEqual({
            ids: [],
            next: null,
          });
          expect(await ids('name=memory_adapter&cursor=n')).toStrictEqual({ ids: [], next: null });
          expect((await ids('name=memory_adapter&cursor=memory%401.0.0')).ids).toStrictEqual(
            versions,
          );
          // 128 characters is a name; anything else is refused.
          expect(await ids(`name=${'a'.repeat(128)}`)).toStrictEqual({ ids: [], next: null });
          for (const bad of [
            '',
            'a'.repeat(129),
            '../x',
            'memory_adapter@0.1.0',
            'memory adapter',
            'mémoire',
            'a/b',
            'a%b',
          ]) {
            const refused = await query(`name=${encodeURIComponent(bad)}`);
            expect(refused.status, bad).toBe(400);
            expect(refused.body.type, bad).toBe('urn:matriz:problem:invalid-parameter');
            expect(refused.body.detail, bad).toContain('name');
          }
          const twice = await query('name=memory&name=memory_adapter');
          expect(twice.status).toBe(400);
          expect(twice.body.type).toBe('urn:matriz:problem:invalid-parameter');
        } finally {
          for (const step of cleanup.reverse()) await step();
        }
      },
    );
  },
);

describe('protection', () => {
  it('rate-limits a client with 429 rate-limited and Retry-After', async () => {
    const limited = await buildServer({ registry: t.registry, rateLimitPerMinute: 3 });
    const url = await limited.listen({ host: '127.0.0.1', port: 0 });
    try {
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 5; i++) {
        last = await fetch(`${url}/api/v1/registry/query`);
        statuses.push(last.status);
      }
      expect(statuses).toStrictEqual([200, 200, 200, 429, 429]);
      expect(last?.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await last?.json()).toMatchObject({
        type: 'urn:matriz:problem:rate-limited',
        status: 429,
      });
    } finally {
      await limited.close();
    }
  });
});

describe('GET /api/v1/registry/versions/{name}', () => {
  it('lists every version of exactly that node, deregistered ones too, in registration order', async () => {
    for (const [name, version] of [
      ['memory_adapter', '0.10.0'],
      ['memory_adapter', '0.9.0'],
      ['memory_adapter_v2', '1.0.0'],
      ['memory_adapter', '1.0.0'],
    ] as const) {
      const written = await post(
        '/api/v1/registry/register',
        alice.request({ op: 'register', nodeSpec: alice.spec(name, version) }),
      );
      expect(written.status, written.body.detail).toBe(200);
    }
    const gone = await fetch(`${base}/api/v1/registry/memory_adapter@0.9.0`, {
      method: 'DELETE',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alice.request({ op: 'deregister', registryId: 'memory_adapter@0.9.0' })),
    });
    expect(gone.status).toBe(200);

    const listed = await get('/api/v1/registry/versions/memory_adapter');
    expect(listed.status).toBe(200);
    const body = (await listed.response.json()) as { name: string; versions: any[] };
    expect(body.name).toBe('memory_adapter');
    // Registration order (log index), not registry id order (0.10.0 < 0.9.0 as strings).
    expect(body.versions.map((v) => [v.registry_id, v.status, v.log_index])).toStrictEqual([
      ['memory_adapter@0.10.0', 'active', 0],
      ['memory_adapter@0.9.0', 'deregistered', 1],
      ['memory_adapter@1.0.0', 'active', 3],
    ]);
    expect(body.versions[1]).toMatchObject({
      owner_id: alice.ownerId,
      lane: 'candidate',
      tier: 2,
      deregistered_log_index: 4,
    });
    expect(body).not.toHaveProperty('truncated');

    const none = await get('/api/v1/registry/versions/no_such_node');
    expect(none.status).toBe(200);
    expect(await none.response.json()).toStrictEqual({ name: 'no_such_node', versions: [] });
    for (const bad of ['a%20b', 'a@1.0.0', 'a'.repeat(129), '%C3%A9']) {
      const refused = await get(`/api/v1/registry/versions/${bad}`);
      expect(refused.status, bad).toBe(400);
      const problem = (await refused.response.json()) as { type: string; detail: string };
      expect(problem.type, bad).toBe('urn:matriz:problem:invalid-parameter');
      expect(problem.detail, bad).toMatch(/name/);
    }
  });
});
