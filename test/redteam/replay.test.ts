/** Replay: a request the registry accepted once, or one outside its freshness window, changes nothing. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOwner, makeRegistry, refusal, type Owner } from '../support/registry.js';
import { expectProblem, startTarget, type Target } from './harness.js';

const REGISTER = '/api/v1/registry/register';
const DEREGISTER = '/api/v1/registry/replay_one@0.1.0';
const JSON_TYPE = { 'content-type': 'application/json' };
let target: Target;
let alice: Owner;

beforeAll(async () => {
  target = await startTarget();
  alice = await makeOwner('ed25519');
}, 60_000);

afterAll(async () => {
  await target.expectFsckClean();
  await target.stop();
});

describe('RT-REPLAY: replayed and stale requests', () => {
  it('RT-REPLAY-1: a resent registration is refused (replayed-nonce) and logs nothing twice', async () => {
    const body = alice.request({ op: 'register', nodeSpec: alice.spec('replay_one') });
    expect((await target.post(REGISTER, body)).status).toBe(200);
    const size = await target.treeSize();
    expectProblem(await target.post(REGISTER, body), 409, 'replayed-nonce');
    expect(await target.treeSize()).toBe(size);
  });

  it('RT-REPLAY-2: a resent deregistration is refused as well', async () => {
    const body = alice.request({ op: 'deregister', registryId: 'replay_one@0.1.0' });
    expect((await target.post(DEREGISTER, body, JSON_TYPE, 'DELETE')).status).toBe(200);
    const size = await target.treeSize();
    const again = await target.post(DEREGISTER, body, JSON_TYPE, 'DELETE');
    expect(again.status).toBe(409);
    expect(await target.treeSize()).toBe(size);
  });

  it('RT-REPLAY-3: a request issued an hour ago, or an hour ahead, is stale', async () => {
    const size = await target.treeSize();
    for (const now of [Date.now() - 3_600_000, Date.now() + 3_600_000]) {
      const body = alice.request({ op: 'register', nodeSpec: alice.spec('replay_stale') }, { now });
      expectProblem(await target.post(REGISTER, body), 401, 'stale-request');
    }
    expect(await target.treeSize()).toBe(size);
  });

  it('RT-REPLAY-4: a request signed for another log is refused (wrong-origin)', async () => {
    const size = await target.treeSize();
    const body = alice.request(
      { op: 'register', nodeSpec: alice.spec('replay_origin') },
      { origin: 'another.example/matriz' },
    );
    expectProblem(await target.post(REGISTER, body), 400, 'wrong-origin');
    expect(await target.treeSize()).toBe(size);
  });

  it('RT-REPLAY-5: a replay at the last instant of the freshness window is refused (replayed-nonce), one a millisecond later is stale', async () => {
    // The clock is the case: an in-process registry whose clock the case sets. Before the fix the
    // nonce expired one second before the request went stale, and the window let 0.999 s extra in.
    const issuedAt = Date.UTC(2026, 11, 5, 12, 0, 0);
    let now = issuedAt - 300_000; // issued at the far edge of the future window: accepted
    const { registry, store, sequencer } = await makeRegistry({ clock: () => now });
    try {
      const body = alice.request(
        { op: 'register', nodeSpec: alice.spec('replay_edge') },
        { now: issuedAt },
      );
      await registry.register(body);
      const size = await store.treeSize();
      for (const at of [issuedAt, issuedAt + 299_999, issuedAt + 300_000]) {
        now = at;
        expect(
          (await refusal(registry.register(body))).slug,
          `at issued_at + ${at - issuedAt} ms`,
        ).toBe('replayed-nonce');
      }
      for (const at of [issuedAt + 300_001, issuedAt + 300_999]) {
        now = at;
        expect(
          (await refusal(registry.register(body))).slug,
          `at issued_at + ${at - issuedAt} ms`,
        ).toBe('stale-request');
      }
      expect(await store.treeSize()).toBe(size);
    } finally {
      await sequencer.drain();
      await store.close();
    }
  });
});
