/**
 * Ownership and entitlement: another owner's id, another owner's node name, a lane or tier the
 * owner may not claim. Each refused with its problem, nothing logged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOwner, type Owner } from '../support/registry.js';
import { expectProblem, startTarget, type Target } from './harness.js';

const REGISTER = '/api/v1/registry/register';
const JSON_TYPE = { 'content-type': 'application/json' };
let target: Target;
let alice: Owner;
let mallory: Owner;

beforeAll(async () => {
  target = await startTarget();
  alice = await makeOwner('ed25519');
  mallory = await makeOwner('ed25519');
  const first = await target.post(
    REGISTER,
    alice.request({ op: 'register', nodeSpec: alice.spec('owned', '1.0.0') }),
  );
  expect(first.status).toBe(200);
}, 60_000);

afterAll(async () => {
  await target.expectFsckClean();
  await target.stop();
});

async function unchanged(attack: () => Promise<void>) {
  const size = await target.treeSize();
  await attack();
  expect(await target.treeSize()).toBe(size);
}

describe('RT-OWN: ownership and entitlement', () => {
  it("RT-OWN-1: registering another owner's id with other content is a conflict", () =>
    unchanged(async () => {
      const spec = mallory.spec('owned', '1.0.0');
      spec.metadata.authors = ['mallory'];
      expectProblem(
        await target.post(REGISTER, mallory.request({ op: 'register', nodeSpec: spec })),
        409,
        'conflict',
      );
    }));

  it("RT-OWN-2: deregistering another owner's entry is not-owner", () =>
    unchanged(async () => {
      expectProblem(
        await target.post(
          '/api/v1/registry/owned@1.0.0',
          mallory.request({ op: 'deregister', registryId: 'owned@1.0.0' }),
          JSON_TYPE,
          'DELETE',
        ),
        403,
        'not-owner',
      );
    }));

  it("RT-OWN-3: squatting the next version of another owner's node is not-owner", () =>
    unchanged(async () => {
      expectProblem(
        await target.post(
          REGISTER,
          mallory.request({ op: 'register', nodeSpec: mallory.spec('owned', '1.0.1') }),
        ),
        403,
        'not-owner',
      );
    }));

  it('RT-OWN-4: a lane or tier beyond the open policy without an enrolment is not-entitled', () =>
    unchanged(async () => {
      for (const [lane, tier] of [
        ['core', 2],
        ['candidate', 7],
      ] as const) {
        const spec = mallory.spec(`escalate_${lane}_${tier}`);
        spec.identity.lane = lane;
        spec.identity.tier = tier;
        expectProblem(
          await target.post(REGISTER, mallory.request({ op: 'register', nodeSpec: spec })),
          403,
          'not-entitled',
        );
      }
    }));

  it('RT-OWN-5: provenance without glymph_enabled is refused (glymph-required)', () =>
    unchanged(async () => {
      const spec = mallory.spec('no_glymph');
      spec.provenance_manifest.glymph_enabled = false;
      expectProblem(
        await target.post(REGISTER, mallory.request({ op: 'register', nodeSpec: spec })),
        422,
        'glymph-required',
      );
    }));
});
