/**
 * Key compromise: once an owner key is revoked, nothing it signs changes the registry, while the
 * server runs and without a restart; its entries say so and the revocation role can take them
 * down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOperator } from '../support/data-dir-log.js';
import { makeOwner, type Owner } from '../support/registry.js';
import { expectProblem, startTarget, type Target } from './harness.js';
import { observe } from './observe.js';

const REGISTER = '/api/v1/registry/register';
let target: Target;
let mallory: Owner;

beforeAll(async () => {
  target = await startTarget();
  mallory = await makeOwner('ed25519');
  const registered = await target.post(
    REGISTER,
    mallory.request({ op: 'register', nodeSpec: mallory.spec('stolen', '1.0.0') }),
  );
  expect(registered.status).toBe(200);
  const operator = await openOperator(target.dataDir);
  try {
    await operator.revokeKey(mallory.key.keyid, 'laptop stolen');
  } finally {
    await operator.close();
  }
}, 60_000);

afterAll(async () => {
  await target.expectFsckClean();
  await target.stop();
});

describe('RT-KEY: key compromise', () => {
  it('RT-KEY-1: a registration signed by a revoked owner key is refused (revoked-key)', async () => {
    const size = await target.treeSize();
    expectProblem(
      await target.post(
        REGISTER,
        mallory.request({ op: 'register', nodeSpec: mallory.spec('after_revocation') }),
      ),
      403,
      'revoked-key',
    );
    expect(await target.treeSize()).toBe(size);
  });

  it("RT-KEY-2: the revoked key's entry says so, and the revocation role takes it down", async () => {
    const before = (await (await fetch(`${target.url}/api/v1/registry/stolen@1.0.0`)).json()) as {
      owner_revoked_at?: string;
      status: string;
    };
    observe(`entry ${before.status}, owner_revoked_at ${String(before.owner_revoked_at)}`);
    expect(before).toMatchObject({ status: 'active' });
    expect(before.owner_revoked_at).toMatch(/^\d{4}-/);
    const operator = await openOperator(target.dataDir);
    try {
      await operator.takeDown('stolen@1.0.0', 'key compromised');
    } finally {
      await operator.close();
    }
    const after = (await (await fetch(`${target.url}/api/v1/registry/stolen@1.0.0`)).json()) as {
      status: string;
    };
    observe(`after the takedown: ${after.status}`);
    expect(after.status).toBe('deregistered');
  });
});
