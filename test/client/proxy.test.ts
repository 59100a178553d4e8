/**
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY: the `matriz` client commands and `RegistryClient` send
 * their requests through the proxy the environment names (Node.js 20's own fetch ignores these
 * variables), and straight to the server when NO_PROXY covers its host. The proxy is a real
 * one on loopback (node:http: CONNECT tunnels and absolute-URI forwarding) that counts what it
 * carried; the registry is a real `matriz serve`.
 */
import { spawn } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOwnerKey, RegistryClient, type NodeSpec } from '../../src/client/index.js';
import { proxySettings } from '../../src/client/proxy.js';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../support/cli.js';
import { example } from '../support/examples.js';
import { startServe, type ServeProcess } from '../support/serve-process.js';
import { tempDir } from '../support/tmp.js';

const BIN = path.resolve(import.meta.dirname, '../../bin/matriz.js');
const PASSPHRASE = 'an owner passphrase, long enough';

interface Proxy {
  readonly url: string;
  /** What the proxy carried: `CONNECT host:port` tunnels and `GET http://...` requests. */
  readonly carried: string[];
  close(): Promise<void>;
}

/** A forward proxy on 127.0.0.1: tunnels CONNECT requests, forwards absolute-URI requests. */
async function startProxy(): Promise<Proxy> {
  const carried: string[] = [];
  const server: Server = createServer((req, res) => {
    carried.push(`${req.method ?? ''} ${req.url ?? ''}`);
    const target = new URL(req.url ?? '');
    const upstream = request(target, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req, client, head) => {
    carried.push(`CONNECT ${req.url ?? ''}`);
    const [host = '', port = ''] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  // Tunnels leave the HTTP server's bookkeeping; closing destroys them too.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    carried,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** Runs the built `matriz` binary with exactly `env` (plus PATH). */
function matriz(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

let work: string;
let server: ServeProcess;
let proxy: Proxy;
let registryId: string;
/** The server's `host:port`, as a CONNECT request names it. */
let authority: string;

beforeAll(async () => {
  work = tempDir();
  server = await startServe(['--data-dir', path.join(work, 'data'), '--key-scrypt-log-n', '10'], {
    MATRIZ_LOG_PASSPHRASE: 'a log passphrase, long enough',
  });
  authority = new URL(server.url).host;
  proxy = await startProxy();
  const keyFile = path.join(work, 'owner.key');
  const io = captureIo({ cwd: work, env: { MATRIZ_OWNER_PASSPHRASE: PASSPHRASE } });
  const generated = await main(
    ['keys', 'generate', '--alg', 'ml-dsa-44', '--out', keyFile, '--scrypt-log-n', '10'],
    io,
  );
  expect(generated, io.err()).toBe(0);
  const owner = await openOwnerKey(keyFile, PASSPHRASE);
  const spec = example('telemetry_probe.json');
  spec.identity.owner_id = owner.ownerId;
  const client = new RegistryClient({ server: server.url, stateDir: path.join(work, 'direct') });
  registryId = (await client.register(spec as NodeSpec, owner)).registry_id;
  expect(proxy.carried).toEqual([]);
}, 60_000);

afterAll(async () => {
  await proxy.close();
  await server.stop();
});

describe('proxies from the environment', () => {
  it('matriz get goes through HTTP_PROXY', async () => {
    const before = proxy.carried.length;
    const result = await matriz(['get', registryId, '--server', server.url, '--json'], {
      HTTP_PROXY: proxy.url,
      MATRIZ_CONFIG_DIR: path.join(work, 'cli-proxied'),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ registry_id: registryId, verified: true });
    const carried = proxy.carried.slice(before);
    expect(carried.length).toBeGreaterThan(0);
    expect(carried.every((line) => line.includes(authority))).toBe(true);
  });

  it('matriz get goes straight to the server when NO_PROXY covers its host', async () => {
    const before = proxy.carried.length;
    const result = await matriz(['get', registryId, '--server', server.url, '--json'], {
      http_proxy: proxy.url,
      NO_PROXY: 'example.org,127.0.0.1',
      MATRIZ_CONFIG_DIR: path.join(work, 'cli-direct'),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ registry_id: registryId });
    expect(proxy.carried.slice(before)).toEqual([]);
  });

  it('RegistryClient goes through the proxy its env names, and not when NO_PROXY matches', async () => {
    const before = proxy.carried.length;
    const proxied = new RegistryClient({
      server: server.url,
      stateDir: path.join(work, 'client-proxied'),
      env: { HTTPS_PROXY: '', HTTP_PROXY: proxy.url },
    });
    expect((await proxied.get(registryId)).registry_id).toBe(registryId);
    const through = proxy.carried.length - before;
    expect(through).toBeGreaterThan(0);

    const direct = new RegistryClient({
      server: server.url,
      stateDir: path.join(work, 'client-direct'),
      env: { HTTP_PROXY: proxy.url, no_proxy: new URL(server.url).hostname },
    });
    expect((await direct.get(registryId)).registry_id).toBe(registryId);
    expect(proxy.carried.length - before).toBe(through);
  });

  it('a proxy that cannot be reached fails in one line that names the proxy, exit 5', async () => {
    const closed = await startProxy();
    await closed.close();
    const result = await matriz(['get', registryId, '--server', server.url], {
      HTTP_PROXY: closed.url,
      MATRIZ_CONFIG_DIR: path.join(work, 'cli-dead-proxy'),
    });
    expect(result.code).toBe(5);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(
      /^matriz: error: cannot reach the registry at http:\/\/127\.0\.0\.1:\d+ \(through the proxy in HTTPS_PROXY\/HTTP_PROXY: check it, or list the host in NO_PROXY\): /,
    );
  });

  it('reads lower-case names first, and uses no proxy when neither proxy variable is set', () => {
    expect(
      proxySettings({ HTTP_PROXY: 'http://upper:1', http_proxy: 'http://lower:1', NO_PROXY: 'a' }),
    ).toEqual({ httpProxy: 'http://lower:1', httpsProxy: '', noProxy: 'a' });
    expect(proxySettings({ NO_PROXY: '*', PATH: '/bin' })).toBeUndefined();
    expect(proxySettings({ HTTPS_PROXY: 'http://p:1' })).toEqual({
      httpProxy: '',
      httpsProxy: 'http://p:1',
      noProxy: '',
    });
  });
});
