import { afterAll, describe, expect, it } from 'vitest';
import { base64Encode } from '../../src/crypto/encoding.js';
import { RegistryProblem } from '../../src/registry/problems.js';
import { RequestBytes } from '../../src/registry/request-body.js';
import { VerifyPool } from '../../src/server/verify-pool.js';
import { makeOwner } from '../support/registry.js';

const pool = new VerifyPool(2);
afterAll(async () => {
  await pool.close();
});

describe('the verify pool', () => {
  it('decodes requests and checks owner signatures in worker threads', async () => {
    const alice = await makeOwner('ml-dsa-44');
    const good = alice.request({ op: 'register', nodeSpec: alice.spec() }) as {
      signatures: { keyid: string; sig: string }[];
    };
    const results = await Promise.all(Array.from({ length: 20 }, () => pool.decode(good)));
    for (const request of results) {
      expect(request).toMatchObject({
        op: 'register',
        registryId: 'memoria_adapter_v1@0.1.0',
        ownerId: alice.ownerId,
      });
      expect(request.owner.publicKey).toBeInstanceOf(Uint8Array);
      expect(request.canonicalEnvelope.startsWith('{"payload":')).toBe(true);
    }
    const bad = {
      ...good,
      signatures: good.signatures.map((s) => ({ ...s, sig: base64Encode(new Uint8Array(2420)) })),
    };
    await expect(pool.decode(bad)).rejects.toSatisfy(
      (error: unknown) =>
        error instanceof RegistryProblem &&
        error.slug === 'bad-signature' &&
        error.detail.includes('does not verify'),
    );
  });

  it('carries every problem detail back, schema errors included', async () => {
    const alice = await makeOwner('ed25519');
    const spec = alice.spec() as any;
    spec.identity.tier = 99;
    const problem = await pool
      .decode(alice.request({ op: 'register', nodeSpec: spec }))
      .catch((error: unknown) => error);
    expect(problem).toBeInstanceOf(RegistryProblem);
    expect((problem as RegistryProblem).extensions.errors).toStrictEqual([
      {
        pointer: '/node_spec/identity/tier',
        message: '`identity.tier` is 99; must be an integer from 0 to 7',
      },
    ]);
    await expect(pool.decode({ nonsense: true })).rejects.toMatchObject({ slug: 'bad-signature' });
  });
});

describe('the verify pool on raw bodies', () => {
  it('parses and checks a body sent as bytes, answering what decode answers', async () => {
    const alice = await makeOwner('ml-dsa-44');
    const envelope = alice.request({ op: 'register', nodeSpec: alice.spec() });
    const bytes = new TextEncoder().encode(JSON.stringify(envelope));
    const fromBytes = await pool.decodeBytes(new RequestBytes(bytes, 256 * 1024));
    // Moved to the worker, not copied.
    expect(bytes.byteLength).toBe(0);
    expect(fromBytes).toStrictEqual(await pool.decode(envelope));
  });

  it('carries parse refusals back with their position', async () => {
    const problem = await pool
      .decodeBytes(new RequestBytes(new TextEncoder().encode('{"a": 1, "a": 2}'), 1024))
      .catch((error: unknown) => error);
    expect(problem).toBeInstanceOf(RegistryProblem);
    expect(problem).toMatchObject({ slug: 'duplicate-key', extensions: { line: 1, column: 10 } });
  });
});
