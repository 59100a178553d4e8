/**
 * The idle timeout closes connections that send nothing, never one whose request is still being
 * answered: a slow answer (a busy machine, a large check) is bounded by the request timeout.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { RegistryProblem } from '../../src/registry/problems.js';
import { buildServer } from '../../src/server/app.js';
import { makeRegistry, type TestRegistry } from '../support/registry.js';

let t: TestRegistry;
let app: FastifyInstance;
let url: string;

beforeAll(async () => {
  t = await makeRegistry();
  // An answer that takes three idle timeouts to compute.
  t.registry.getJson = async (id: string) => {
    // A 32 MiB answer, far more than the socket buffers hold, for a client that never reads.
    if (id === 'huge_node@1.0.0')
      return Buffer.from(
        JSON.stringify({ registry_id: id, node_spec: { padding: 'x'.repeat(32 * 1024 * 1024) } }),
      );
    await new Promise((resolve) => setTimeout(resolve, 900));
    throw new RegistryProblem('not-found', 'slowly not found');
  };
  app = await buildServer({
    registry: t.registry,
    connections: { idleTimeoutMs: 300, requestTimeoutMs: 5_000 },
  });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app.close();
  await t.sequencer.drain();
  await t.store.close();
});

describe('connection limits', () => {
  it('answers a request that takes longer than the idle timeout', async () => {
    const response = await fetch(`${url}/api/v1/registry/slow_node@1.0.0`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { detail: string }).detail).toBe('slowly not found');
  });

  it('still closes a connection that sends nothing for the idle timeout', async () => {
    const { port } = new URL(url);
    const closedAfter = await new Promise<number>((resolve) => {
      const started = Date.now();
      const socket = net.connect(Number(port), '127.0.0.1');
      socket.on('error', () => undefined);
      socket.on('close', () => {
        resolve(Date.now() - started);
      });
    });
    expect(closedAfter).toBeLessThan(4_000);
  });

  it('closes a connection whose client stopped reading a large answer', async () => {
    const { port } = new URL(url);
    const received = await new Promise<number>((resolve) => {
      let bytes = 0;
      const socket = net.connect(Number(port), '127.0.0.1', () => {
        socket.write('GET /api/v1/registry/huge_node@1.0.0 HTTP/1.1\r\nHost: x\r\n\r\n');
        socket.pause(); // not reading: the server's writes stall
        // Read again well after the idle timeout: a server that gave up has closed by then.
        setTimeout(() => socket.resume(), 2_000);
      });
      socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        resolve(bytes);
      });
    });
    expect(received).toBeLessThan(32 * 1024 * 1024);
  }, 15_000);
});
