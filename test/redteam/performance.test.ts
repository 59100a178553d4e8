/**
 * Performance attacks: a flood is answered with 429, an oversized body with 413, a small document
 * built to produce thousands of findings with a bounded answer; the service stays up and the log
 * does not change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOwner, type Owner } from '../support/registry.js';
import { expectProblem, rawConnection, startTarget, type Target } from './harness.js';
import { observe } from './observe.js';

let target: Target;
let alice: Owner;

beforeAll(async () => {
  target = await startTarget([
    '--rate-limit',
    '60',
    '--request-timeout',
    '2',
    '--idle-timeout',
    '2',
  ]);
  alice = await makeOwner('ed25519');
}, 60_000);

afterAll(async () => {
  await target.expectFsckClean();
  await target.stop();
});

describe('RT-PERF: floods and oversized input', () => {
  it('RT-PERF-1: a body over the limit is refused (413 body-too-large) before it is parsed', async () => {
    const size = await target.treeSize();
    const huge = `{"payload":"${'A'.repeat(300 * 1024)}","payloadType":"x","signatures":[]}`;
    expectProblem(await target.post('/api/v1/registry/register', huge), 413, 'body-too-large');
    expect(await target.treeSize()).toBe(size);
  });

  it('RT-PERF-2: a 60 KB NodeSpec of 20,000 empty inputs gets a bounded answer, not 10 MB', async () => {
    const spec = alice.spec('amplify') as any;
    spec.interfaces.inputs = Array.from({ length: 20_000 }, () => ({}));
    const text = JSON.stringify(spec);
    const answer = await target.post('/api/v1/registry/validate', text);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ valid: false, truncated: true });
    expect(answer.body.findings).toHaveLength(100);
    expect(JSON.stringify(answer.body).length).toBeLessThan(text.length);
  });

  it('RT-PERF-4: a connection that never sends a request is closed (idle timeout, here 2 s)', async () => {
    const { received, closedAfterMs } = await rawConnection(target, () => undefined);
    observe(`closed after ${(closedAfterMs / 1000).toFixed(1)} s, ${received.length} bytes sent`);
    expect(received).toBe('');
  }, 20_000);

  it('RT-PERF-5: a body sent one byte at a time is cut off at the request timeout (408), nothing logged', async () => {
    const size = await target.treeSize();
    const { received } = await rawConnection(target, (socket) => {
      socket.write(
        'POST /api/v1/registry/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n',
      );
      const drip = setInterval(() => {
        if (socket.destroyed) clearInterval(drip);
        else socket.write('{');
      }, 300);
      socket.on('close', () => {
        clearInterval(drip);
      });
    });
    observe(received.split('\r\n')[0] ?? '');
    expect(received).toMatch(/^HTTP\/1\.1 408/);
    expect(received).toContain('application/problem+json');
    expect(received).toContain('urn:matriz:problem:request-timeout');
    expect(await target.treeSize()).toBe(size);
  }, 20_000);

  it('RT-PERF-7: a 240 KB NodeSpec of 80,000 empty inputs is checked off the event loop: health answers first', async () => {
    const spec = alice.spec('heavy') as any;
    spec.interfaces.inputs = Array.from({ length: 80_000 }, () => ({}));
    const text = JSON.stringify(spec);
    expect(text.length).toBeLessThan(256 * 1024);
    const order: string[] = [];
    const heavy = target.post('/api/v1/registry/validate', text).then((answer) => {
      order.push('validate');
      return answer;
    });
    // Let the request reach the server before health is asked.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const health = await fetch(`${target.url}/healthz`);
    order.push('health');
    expect(health.status).toBeLessThan(500);
    const answer = await heavy;
    observe(`answered in the order ${order.join(', ')}`);
    expect(answer.body).toMatchObject({ valid: false, truncated: true });
    expect(order).toEqual(['health', 'validate']);
  });

  // Last: the flood spends this client's rate limit.
  it('RT-PERF-6: a flood from one client is answered 429 rate-limited, and the service stays up', async () => {
    const answers = await Promise.all(
      Array.from({ length: 80 }, () => fetch(`${target.url}/api/v1/log/checkpoint`)),
    );
    const statuses = answers.map((a) => a.status);
    const tally = new Map<number, number>();
    for (const status of statuses) tally.set(status, (tally.get(status) ?? 0) + 1);
    observe([...tally].map(([status, n]) => `${status} ×${n}`).join(', '));
    expect(statuses).toContain(429);
    const limited = answers.find((a) => a.status === 429);
    expect(limited?.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await limited?.json()) as { type: string }).type).toBe(
      'urn:matriz:problem:rate-limited',
    );
    // Refused, not failed: no answer of the flood is a server error.
    expect(statuses.filter((status) => status >= 500)).toEqual([]);
    expect(target.server.child.exitCode).toBeNull();
  });
});
