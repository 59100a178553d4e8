/**
 * The red-team cases' target: a real `matriz serve` on loopback over a fresh data directory with
 * a trust root, and what every case checks after its attack: the tree did not grow, and fsck of
 * the data directory is clean. Cases are named `RT-<category>-<n>: <attack>` (docs/security.md).
 */
import net from 'node:net';
import path from 'node:path';
import { expect } from 'vitest';
import { main } from '../../src/cli/main.js';
import { peekCheckpoint } from '../../src/verify/index.js';
import { captureIo } from '../support/cli.js';
import {
  createDataDir,
  DATA_DIR_ENV,
  DATA_DIR_PASSPHRASE,
  openOperator,
} from '../support/data-dir-log.js';
import { ORIGIN } from '../support/registry.js';
import { startServe, type ServeProcess } from '../support/serve-process.js';
import { tempDir } from '../support/tmp.js';
import { describeAnswer, observe } from './observe.js';

export interface Target {
  readonly url: string;
  readonly dataDir: string;
  readonly server: ServeProcess;
  /** POSTs `body` (JSON-encoded unless a string) and returns status and parsed answer. */
  post(
    route: string,
    body: unknown,
    headers?: Record<string, string>,
    method?: string,
  ): Promise<{ status: number; body: any; type: string }>;
  treeSize(): Promise<number>;
  /** Runs `matriz fsck` on the data directory; fails the case unless it is clean. */
  expectFsckClean(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the target. The log origin is the test owners' ORIGIN, so their requests are for it. */
export async function startTarget(
  extraArgs: string[] = [],
  options: { rootExpires?: Date } = {},
): Promise<Target> {
  const dataDir = path.join(tempDir(), 'data');
  await createDataDir(dataDir, ORIGIN);
  const operator = await openOperator(dataDir);
  await operator.trustInit(options.rootExpires ? { expires: options.rootExpires } : {});
  await operator.close();
  const server = await startServe(['--data-dir', dataDir, ...extraArgs], {
    MATRIZ_KEY_PASSPHRASE: DATA_DIR_PASSPHRASE,
  });
  const url = server.url;
  return {
    url,
    dataDir,
    server,
    post: async (
      route,
      body,
      headers = { 'content-type': 'application/json' },
      method = 'POST',
    ) => {
      const where = `${method} ${route.split('?')[0] ?? route}`;
      const response = await fetch(`${url}${route}`, {
        method,
        headers,
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }).catch((error: unknown) => {
        const cause = (error as { cause?: { message?: string } }).cause?.message;
        observe(`${where}: no answer (${cause ?? String(error)})`);
        throw error;
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: kept as text for the assertion to show
      }
      const answer = {
        status: response.status,
        body: parsed,
        type: response.headers.get('content-type') ?? '',
      };
      observe(`${where}: ${describeAnswer(answer)}`);
      return answer;
    },
    treeSize: async () => {
      const response = await fetch(`${url}/api/v1/log/checkpoint`);
      if (response.status === 404) return 0;
      if (response.status !== 200)
        throw new Error(`GET /api/v1/log/checkpoint answered ${response.status}`);
      return peekCheckpoint(await response.text()).size;
    },
    expectFsckClean: async () => {
      const io = captureIo({ cwd: dataDir, env: DATA_DIR_ENV });
      const code = await main(['fsck', '--data-dir', dataDir], io);
      observe(`fsck exit ${code}`);
      expect(code, io.out() + io.err()).toBe(0);
    },
    stop: async () => {
      await server.stop();
    },
  };
}

/** Asserts a refusal: status and problem type, as RFC 9457 problem+json. */
export function expectProblem(
  answer: { status: number; body: any; type: string },
  status: number,
  slug: string,
): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  expect(answer.type).toMatch(/^application\/problem\+json/);
  expect(answer.body.type).toBe(`urn:matriz:problem:${slug}`);
}

/**
 * Opens a raw TCP connection to the target, lets `send` write what it likes, and resolves with
 * everything the server sent once it closes the connection (fails after 15 s).
 */
export function rawConnection(
  target: Pick<Target, 'url'>,
  send: (socket: net.Socket) => void,
): Promise<{ closedAfterMs: number; received: string }> {
  const { hostname, port } = new URL(target.url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let received = '';
    const socket = net.connect(Number(port), hostname, () => {
      send(socket);
    });
    socket.on('data', (chunk) => (received += chunk.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      resolve({ closedAfterMs: Date.now() - started, received });
    });
    setTimeout(() => {
      socket.destroy();
      reject(new Error('the server kept the connection open for 15 s'));
    }, 15_000).unref();
  });
}

/** The problem document of a raw HTTP answer (the JSON after the blank line). */
export function rawProblem(received: string): { status: number; type: string; body: any } {
  const [head = '', body = ''] = received.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
  const type = /^content-type: (.*)$/im.exec(head)?.[1] ?? '';
  return { status, type, body: JSON.parse(body) };
}
