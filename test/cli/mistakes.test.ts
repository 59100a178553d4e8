/**
 * The mistakes a new user makes, each through the real binary (`node bin/matriz.js`, built by
 * `npm run build`): one line on stderr saying what happened and what to do, the documented exit
 * code (docs/cli.md, "Exit codes"), no stack trace unless asked for, and no hang.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLES_DIR } from '../support/examples.js';
import { startServe } from '../support/serve-process.js';
import { tempDir } from '../support/tmp.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/matriz.js');
const OWNER_PASSPHRASE = 'the owner passphrase, long enough';
const LOG_PASSPHRASE = 'the log passphrase, long enough';
/** Ends a run that hangs, so that a hang fails the test with its output instead of a timeout. */
const HANG_GUARD_MS = 60_000;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly hung: boolean;
}

/** Runs the real binary with only the variables given (plus PATH and HOME). */
function matriz(args: string[], env: Record<string, string> = {}, cwd = ROOT): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let hung = false;
    const guard = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, HANG_GUARD_MS);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr, hung });
    });
  });
}

/** The stderr lines that are not warnings. */
function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line !== '' && !line.startsWith('matriz: warning:'));
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

/** A port nothing listens on: listened on, then closed again. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let work: string;
let config: string;
let ownerKey: string;
let dataDir: string;
let busyPort: number;
let unreachable: string;
const foreign: Record<'html' | 'json404' | 'slow', string> = { html: '', json404: '', slow: '' };
const servers: net.Server[] = [];
const sockets: net.Socket[] = [];

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'matriz-mistakes-'));
  config = path.join(work, 'config');
  ownerKey = path.join(work, 'owner.key');
  const generated = await matriz(
    ['keys', 'generate', '--alg', 'ml-dsa-44', '--out', ownerKey, '--scrypt-log-n', '10'],
    { MATRIZ_OWNER_PASSPHRASE: OWNER_PASSPHRASE },
  );
  expect(generated.code, generated.stderr).toBe(0);
  // A data directory whose log keys are encrypted under LOG_PASSPHRASE.
  dataDir = path.join(work, 'data');
  const first = await startServe(['--data-dir', dataDir, '--key-scrypt-log-n', '10'], {
    MATRIZ_LOG_PASSPHRASE: LOG_PASSPHRASE,
    MATRIZ_KEY_PASSPHRASE: undefined,
  });
  await first.stop();

  const html = http.createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><p>hello</p>');
  });
  const json404 = http.createServer((_request, response) => {
    response
      .writeHead(404, { 'content-type': 'application/json' })
      .end('{"error":"Not Found","statusCode":404}');
  });
  // Accepts the connection and never answers.
  const slow = net.createServer((socket) => sockets.push(socket));
  const busy = net.createServer();
  servers.push(html, json404, slow, busy);
  foreign.html = `http://127.0.0.1:${await listen(html)}`;
  foreign.json404 = `http://127.0.0.1:${await listen(json404)}`;
  foreign.slow = `http://127.0.0.1:${await listen(slow)}`;
  busyPort = await listen(busy);
  unreachable = `http://127.0.0.1:${await closedPort()}`;
}, 120_000);

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  for (const server of servers) {
    if (server instanceof http.Server) server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  rmSync(work, { recursive: true, force: true });
});

interface Mistake {
  readonly name: string;
  readonly run: () => Promise<Run>;
  readonly exit: number;
  readonly message: RegExp;
}

const spec = path.join(EXAMPLES_DIR, 'telemetry_probe.json');
const clientEnv = (): Record<string, string> => ({
  MATRIZ_CONFIG_DIR: config,
  MATRIZ_OWNER_PASSPHRASE: OWNER_PASSPHRASE,
});

const MISTAKES: Mistake[] = [
  {
    name: 'a --key file that does not exist',
    run: () =>
      matriz(
        ['register', spec, '--key', path.join(work, 'missing.key'), '--server', unreachable],
        clientEnv(),
      ),
    exit: 2,
    message:
      /^matriz: error: owner key \S+missing\.key: no such file; create it with `matriz keys generate/,
  },
  {
    name: 'the wrong passphrase for the owner key',
    run: () =>
      matriz(['register', spec, '--key', ownerKey, '--server', unreachable], {
        ...clientEnv(),
        MATRIZ_OWNER_PASSPHRASE: 'not the owner passphrase',
      }),
    exit: 2,
    message:
      /^matriz: error: the owner key \S+owner\.key does not open with the passphrase from MATRIZ_OWNER_PASSPHRASE: wrong passphrase/,
  },
  {
    name: "the owner's passphrase given for the log keys (serve)",
    run: () =>
      matriz(['serve', '--data-dir', dataDir, '--port', '0'], {
        MATRIZ_LOG_PASSPHRASE: OWNER_PASSPHRASE,
      }),
    exit: 2,
    message:
      /^matriz: error: the log-(ed25519|ml-dsa-44) key \S+log-(ed25519|ml-dsa-44)\.json does not open with the passphrase from MATRIZ_LOG_PASSPHRASE: wrong passphrase; the log's keys open with MATRIZ_KEY_COMMAND, MATRIZ_LOG_PASSPHRASE or /,
  },
  {
    name: 'the wrong passphrase for the log keys (an operator command)',
    run: () =>
      matriz(['trust', 'init', '--data-dir', dataDir, '--key-scrypt-log-n', '10'], {
        MATRIZ_LOG_PASSPHRASE: 'not the log passphrase',
      }),
    exit: 2,
    message:
      /^matriz: error: the log-(ed25519|ml-dsa-44) key \S+ does not open with the passphrase from MATRIZ_LOG_PASSPHRASE: wrong passphrase/,
  },
  {
    name: 'a server that is not running',
    run: () => matriz(['query', '--server', unreachable], clientEnv()),
    exit: 5,
    message:
      /^matriz: error: cannot reach the registry at http:\/\/127\.0\.0\.1:\d+: connection refused \(ECONNREFUSED\); is the server running/,
  },
  {
    name: 'a server that answers with HTML',
    run: () => matriz(['verify', '--server', foreign.html], clientEnv()),
    exit: 5,
    message:
      /^matriz: error: http:\/\/127\.0\.0\.1:\d+ does not look like a MATRIZ registry: GET \/api\/v1\/log\/keys: it answered with an HTML page, not JSON; check the URL/,
  },
  {
    name: 'a server that answers with a JSON 404',
    run: () => matriz(['get', 'x@1.0.0', '--server', foreign.json404], clientEnv()),
    exit: 5,
    message:
      /^matriz: error: http:\/\/127\.0\.0\.1:\d+ does not look like a MATRIZ registry: GET \/api\/v1\/\S+: it answered 404 with application\/json, not a MATRIZ problem document/,
  },
  {
    name: 'a server that does not answer within --timeout',
    run: () => matriz(['query', '--server', foreign.slow, '--timeout', '0.5'], clientEnv()),
    exit: 5,
    message:
      /^matriz: error: no answer from the registry at http:\/\/127\.0\.0\.1:\d+ within 0\.5 s; retry later or allow more time \(--timeout or MATRIZ_TIMEOUT\)$/,
  },
  {
    name: 'a server that does not answer within MATRIZ_TIMEOUT',
    run: () =>
      matriz(['verify'], { ...clientEnv(), MATRIZ_SERVER: foreign.slow, MATRIZ_TIMEOUT: '0.5' }),
    exit: 5,
    message:
      /^matriz: error: no answer from the registry at http:\/\/127\.0\.0\.1:\d+ within 0\.5 s/,
  },
  {
    name: 'serve on a port that is in use',
    run: () =>
      matriz(['serve', '--data-dir', dataDir, '--port', String(busyPort)], {
        MATRIZ_LOG_PASSPHRASE: LOG_PASSPHRASE,
      }),
    exit: 2,
    message:
      /^matriz: error: cannot listen on 127\.0\.0\.1:\d+: the address is in use \(another server on that port\?\); stop it or pick another --port$/,
  },
  {
    name: 'serve with a data directory that cannot be used',
    run: () => {
      const file = path.join(work, 'not-a-directory');
      writeFileSync(file, 'a file, not a directory\n');
      return matriz(['serve', '--data-dir', file, '--port', '0'], {
        MATRIZ_LOG_PASSPHRASE: LOG_PASSPHRASE,
      });
    },
    exit: 2,
    message:
      /^matriz: error: cannot use the data directory \S+not-a-directory: ENOTDIR: not a directory, mkdir '\S+'; check --data-dir and its permissions$/,
  },
];

describe('a new user’s mistakes, through the real binary', () => {
  for (const mistake of MISTAKES) {
    it(`${mistake.name}: one line, exit ${mistake.exit}, no stack trace`, async () => {
      const result = await mistake.run();
      expect(result.hung, result.stderr).toBe(false);
      const lines = errorLines(result.stderr);
      expect(lines, result.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(mistake.message);
      expect(result.stderr).not.toMatch(/^\s+at /m);
      expect(result.stderr).not.toMatch(/internal error/);
      expect(result.code).toBe(mistake.exit);
    });
  }

  it('prints the stack trace with --debug or MATRIZ_DEBUG=1', async () => {
    const args = ['register', spec, '--key', path.join(work, 'missing.key')];
    const flag = await matriz([...args, '--debug'], clientEnv());
    const variable = await matriz(args, { ...clientEnv(), MATRIZ_DEBUG: '1' });
    for (const result of [flag, variable]) {
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^matriz: error: owner key \S+ no such file/);
      expect(result.stderr).toMatch(/^KeyStoreError: owner key/m);
      expect(result.stderr).toMatch(/^\s+at /m);
    }
  });
});

describe('npm start', () => {
  it('stops the server when its own PID gets SIGTERM', { timeout: 120_000 }, async () => {
    const data = path.join(tempDir(), 'data');
    const npm = spawn(
      'npm',
      ['start', '--silent', '--', '--port', '0', '--data-dir', data, '--key-scrypt-log-n', '10'],
      {
        cwd: ROOT,
        env: { ...process.env, MATRIZ_LOG_PASSPHRASE: LOG_PASSPHRASE },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    const exited = new Promise<void>((resolve) =>
      npm.on('close', () => {
        resolve();
      }),
    );
    const url = await new Promise<string>((resolve, reject) => {
      npm.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /serving log \S+ at (http:\/\/\S+)/.exec(stderr);
        if (match?.[1]) resolve(match[1]);
      });
      void exited.then(() => {
        reject(new Error(`npm start exited:\n${stderr}`));
      });
    });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    npm.kill('SIGTERM');
    await exited;
    expect(stderr).toContain('matriz: stopping: finishing queued writes');
    // The server was npm's child: once npm has exited, nothing listens on its port any more.
    await expect(fetch(`${url}/healthz`)).rejects.toThrow(/fetch failed/);
  });
});
