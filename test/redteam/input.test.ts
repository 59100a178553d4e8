/**
 * Hostile input: JSON a parser might read two ways (duplicate member names, lone surrogates,
 * NUL bytes, huge numbers, deep nesting), algorithm confusion between the owner key and its
 * signature, key id collisions, the wrong content types, bad proof and checkpoint parameters, and
 * ids the registry could not give back. Each is refused with its documented problem, and the log
 * does not change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalize } from '../../src/json/canonicalize.js';
import { makeOwner, type Owner } from '../support/registry.js';
import { expectProblem, startTarget, type Target } from './harness.js';

const REGISTER = '/api/v1/registry/register';
let target: Target;
let alice: Owner;
let bob: Owner;

type Envelope = {
  payload: string;
  payloadType: string;
  signatures: { keyid: string; sig: string }[];
};

beforeAll(async () => {
  target = await startTarget();
  alice = await makeOwner('ed25519');
  bob = await makeOwner('ml-dsa-44');
}, 60_000);

afterAll(async () => {
  await target.expectFsckClean();
  await target.stop();
});

/** Posts `body` (a string sent as is) and asserts the refusal and an unchanged tree. */
async function refused(
  body: unknown,
  status: number,
  slug: string,
  headers: Record<string, string> = { 'content-type': 'application/json' },
) {
  const before = await target.treeSize();
  const answer = await target.post(REGISTER, body, headers);
  expectProblem(answer, status, slug);
  expect(await target.treeSize()).toBe(before);
  return answer;
}

/** A request whose payload is `text` (not canonicalised), signed by `owner`. */
function signedPayload(owner: Owner, name: string, edit: (payload: string) => string): Envelope {
  // Re-sign an edited payload with the owner's real key: the signature is valid, so what is
  // refused is the payload itself.
  const envelope = owner.request({ op: 'register', nodeSpec: owner.spec(name) }) as Envelope;
  const text = edit(Buffer.from(envelope.payload, 'base64').toString('utf8'));
  return owner.resign(envelope, new TextEncoder().encode(text));
}

describe('RT-INPUT: hostile input', () => {
  it('RT-INPUT-1: a body with a duplicate member name is refused (duplicate-key, with line and column)', async () => {
    const body = JSON.stringify(alice.request({ op: 'register', nodeSpec: alice.spec('dup') }));
    const answer = await refused(
      body.replace('{"payload"', '{"payloadType":"text/plain","payload"'),
      400,
      'duplicate-key',
    );
    expect(answer.body).toMatchObject({ line: 1 });
    expect(typeof answer.body.column).toBe('number');
  });

  it('RT-INPUT-2: a signed payload with a duplicate member names no key (bad-signature); so does one with a lone surrogate', async () => {
    await refused(
      signedPayload(alice, 'dup_payload', (p) =>
        p.replace('{"issued_at"', '{"op":"deregister","issued_at"'),
      ),
      401,
      'bad-signature',
    );
    // I-JSON: the strict parser refuses the escape before any key is looked for.
    const answer = await refused(
      signedPayload(alice, 'surrogate', (p) => p.replace('"surrogate"', '"surrogate\\ud800"')),
      401,
      'bad-signature',
    );
    expect(answer.body.detail).toMatch(/lone UTF-16 surrogate/);
  });

  it('RT-INPUT-3: a NUL or a control character in a canonical, signed NodeSpec name fails the schema (schema-violation)', async () => {
    for (const [name, escaped] of [
      ['nul_name', 'nul_name\\u0000'],
      ['esc_name', 'esc_name\\u001b[31m'],
    ] as const) {
      const answer = await refused(
        signedPayload(alice, name, (p) => p.replace(`"${name}"`, `"${escaped}"`)),
        422,
        'schema-violation',
      );
      expect(JSON.stringify(answer.body.errors)).toContain('/node_spec/metadata/name');
    }
  });

  it('RT-INPUT-4: huge numbers are refused, never rounded into another value', async () => {
    // 1e400 parses to Infinity and 2.0000000000000000001 to 2: neither is the text that was signed.
    for (const tier of ['1e400', '2.0000000000000000001', '-0']) {
      const answer = await target.post(
        REGISTER,
        signedPayload(alice, 'huge_number', (p) => p.replace('"tier":2', `"tier":${tier}`)),
      );
      expect([400, 401, 422], tier).toContain(answer.status);
      expect(answer.type).toMatch(/^application\/problem\+json/);
    }
    // Outside the payload too: a number no double holds exactly is not JSON this server reads.
    const body = JSON.stringify(alice.request({ op: 'register', nodeSpec: alice.spec('exp') }));
    const answer = await refused(
      body.replace('{"payload"', `{"n":1${'0'.repeat(400)},"payload"`),
      400,
      'invalid-json',
    );
    expect(answer.body.detail).toBeTruthy();
  });

  it('RT-INPUT-5: 10,000 levels of nesting are refused without exhausting the stack', async () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const answer = await target.post(REGISTER, deep);
    expect([400, 401, 413]).toContain(answer.status);
    expect(answer.type).toMatch(/^application\/problem\+json/);
    const nested = await target.post(REGISTER, `{"payload":${deep}}`);
    expect([400, 401]).toContain(nested.status);
    expect((await fetch(`${target.url}/healthz`)).status).toBe(200);
  });

  it('RT-INPUT-6: algorithm confusion: an Ed25519 signature presented for an ML-DSA-44 owner key (same key id) is refused', async () => {
    const envelope = bob.request({ op: 'register', nodeSpec: bob.spec('confused') }) as Envelope;
    const keyid = envelope.signatures[0]?.keyid ?? '';
    const ed = alice.request({ op: 'register', nodeSpec: alice.spec('confused') }) as Envelope;
    await refused(
      { ...envelope, signatures: [{ keyid, sig: ed.signatures[0]?.sig ?? '' }] },
      401,
      'bad-signature',
    );
    // And the payload claiming an Ed25519 key with ML-DSA-44 key bytes names no usable key.
    const payload = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'));
    payload.owner_public_key.alg = 'ed25519';
    await refused(
      bob.resign(envelope, new TextEncoder().encode(canonicalize(payload))),
      401,
      'bad-signature',
    );
  });

  it("RT-INPUT-7: a key id collision: the attacker's signature labelled with the owner's key id verifies under nothing", async () => {
    const mallory = await makeOwner('ed25519');
    const genuine = alice.request({ op: 'register', nodeSpec: alice.spec('collide') }) as Envelope;
    const forged = mallory.request({ op: 'register', nodeSpec: alice.spec('collide') }) as Envelope;
    await refused(
      {
        ...genuine,
        signatures: [
          { keyid: genuine.signatures[0]?.keyid ?? '', sig: forged.signatures[0]?.sig ?? '' },
        ],
      },
      401,
      'bad-signature',
    );
  });

  it('RT-INPUT-8: wrong content types are 415 unsupported-media-type; none of them is parsed', async () => {
    const body = JSON.stringify(alice.request({ op: 'register', nodeSpec: alice.spec('ctype') }));
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json-seq',
      'application/jsonx',
    ])
      await refused(body, 415, 'unsupported-media-type', { 'content-type': type });
  });

  it('RT-INPUT-9: bad proof and checkpoint parameters are 400 invalid-parameter or 404, never 500', async () => {
    const size = await target.treeSize();
    const routes: [string, number][] = [
      ['/api/v1/log/proof/inclusion?index=-1&size=1', 400],
      ['/api/v1/log/proof/inclusion?index=0&size=0', 400],
      ['/api/v1/log/proof/inclusion?index=1e3&size=1', 400],
      ['/api/v1/log/proof/inclusion?index=0&size=99999999999999999999', 400],
      ['/api/v1/log/proof/inclusion?index=0', 400],
      ['/api/v1/log/proof/inclusion?index=0&size=1&index=1', 400],
      ['/api/v1/log/proof/consistency?from=0&to=1', 400],
      ['/api/v1/log/proof/consistency?from=abc&to=1', 400],
      [`/api/v1/log/proof/consistency?from=1&to=${size + 100}`, 400],
      ['/api/v1/log/proof/consistency?from=2&to=1', 400],
      [`/api/v1/log/proof/inclusion?index=0&size=${size + 100}`, 400],
      [`/api/v1/log/proof/inclusion?index=${size}&size=${size}`, 400],
      ['/api/v1/log/entries/-1', 400],
      ['/api/v1/log/entries/0x10', 400],
      ['/api/v1/log/entries/00', 400],
      ['/api/v1/log/entries/1e0', 400],
      ['/api/v1/log/proof/consistency?from=01&to=1', 400],
      [`/api/v1/log/entries/${Number.MAX_SAFE_INTEGER + 2}`, 404],
      ['/api/v1/log/entries/999999', 404],
      ['/api/v1/registry/query?limit=0', 400],
      ['/api/v1/registry/query?limit=501', 400],
      ['/api/v1/registry/query?capability=nocolon', 400],
    ];
    for (const [route, status] of routes) {
      const response = await fetch(`${target.url}${route}`);
      expect(response.status, route).toBe(status);
      expect(response.headers.get('content-type'), route).toMatch(/^application\/problem\+json/);
    }
    expect(await target.treeSize()).toBe(size);
  });

  it('RT-INPUT-10: versions a deregistration could not name (1.0.0_rc1, "2 beta") are refused at registration, so every entry can be taken down', async () => {
    for (const version of ['1.0.0_rc1', '2 beta', '1.0.0/..', '']) {
      const answer = await refused(
        alice.request({ op: 'register', nodeSpec: alice.spec('undeletable', version) }),
        422,
        'schema-violation',
      );
      expect(JSON.stringify(answer.body.errors)).toContain('/node_spec/metadata/version');
    }
    const ok = await target.post(
      REGISTER,
      alice.request({ op: 'register', nodeSpec: alice.spec('deletable', '1.0.0-rc.1+build.5') }),
    );
    expect(ok.status).toBe(200);
    const gone = await target.post(
      '/api/v1/registry/deletable@1.0.0-rc.1+build.5',
      alice.request({ op: 'deregister', registryId: 'deletable@1.0.0-rc.1+build.5' }),
      { 'content-type': 'application/json' },
      'DELETE',
    );
    expect(gone.status, JSON.stringify(gone.body)).toBe(200);
  });
});
