/**
 * `matriz serve --production` (or MATRIZ_ENV=production): each unsafe start is refused with its
 * own one-line message and exit 78 (EX_CONFIG), and a properly set-up registry starts.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { EXIT_PRODUCTION_REFUSED } from '../../src/operator/production.js';
import { startService, type RunningService } from '../../src/server/service.js';
import { captureIo } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const PASSPHRASE = 'production test passphrase';
const ORIGIN = 'registry.example.com/matriz';
const FAST = ['--key-scrypt-log-n', '10'];
const services: RunningService[] = [];

afterEach(async () => {
  for (const service of services.splice(0)) await service.close();
});

async function matriz(args: string[], env: Record<string, string>, cwd = tempDir()) {
  const io = captureIo({ cwd, env: { MATRIZ_CONFIG_DIR: path.join(cwd, 'config'), ...env } });
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

function serveProduction(dataDir: string, env: Record<string, string>, extra: string[] = []) {
  return matriz(
    ['serve', '--production', '--data-dir', dataDir, '--port', '0', ...FAST, ...extra],
    env,
  );
}

/** A data directory with log keys and a trust root, as an operator sets one up. */
async function preparedDataDir(): Promise<string> {
  const dataDir = path.join(tempDir(), 'data');
  const env = { MATRIZ_LOG_PASSPHRASE: PASSPHRASE };
  const first = await serveProduction(dataDir, env, ['--origin', ORIGIN]);
  expect(first.code).toBe(EXIT_PRODUCTION_REFUSED);
  expect(first.err).toContain('(no-trust-root)');
  const init = await matriz(['trust', 'init', '--data-dir', dataDir, ...FAST, '--json'], env);
  expect(init.code, init.err).toBe(0);
  return dataDir;
}

describe('matriz serve --production refuses', () => {
  it('a data directory open to group or others', async () => {
    const dataDir = path.join(tempDir(), 'data');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    const result = await serveProduction(dataDir, { MATRIZ_LOG_PASSPHRASE: PASSPHRASE }, [
      '--origin',
      ORIGIN,
    ]);
    expect(result.code).toBe(EXIT_PRODUCTION_REFUSED);
    expect(result.err).toBe(
      `matriz: refused in production mode (data-dir-readable): ${dataDir} is open to group or others (mode 0755); run chmod 700 ${dataDir} and check who could read it\n`,
    );
  });

  it('starting without a passphrase source (it would generate a passphrase file)', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const result = await serveProduction(dataDir, {}, ['--origin', ORIGIN]);
    expect(result.code).toBe(EXIT_PRODUCTION_REFUSED);
    expect(result.err).toBe(
      'matriz: refused in production mode (generated-passphrase): no key passphrase given and production never generates one: set MATRIZ_KEY_COMMAND (a secret store) or MATRIZ_LOG_PASSPHRASE\n',
    );
  });

  it('a passphrase file in the data directory', async () => {
    const dataDir = path.join(tempDir(), 'data');
    mkdirSync(dataDir, { mode: 0o700 });
    writeFileSync(path.join(dataDir, 'passphrase'), 'stored\n', { mode: 0o600 });
    const result = await serveProduction(dataDir, { MATRIZ_LOG_PASSPHRASE: PASSPHRASE }, [
      '--origin',
      ORIGIN,
    ]);
    expect(result.code).toBe(EXIT_PRODUCTION_REFUSED);
    expect(result.err).toMatch(
      /^matriz: refused in production mode \(passphrase-file\): \S+\/passphrase keeps the log key passphrase in plain text beside the keys; .* delete the file\n$/,
    );
  });

  it('the default origin, at first start (no --origin) and on a log started with one', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const env = { MATRIZ_LOG_PASSPHRASE: PASSPHRASE };
    const fresh = await serveProduction(dataDir, env);
    expect(fresh.code).toBe(EXIT_PRODUCTION_REFUSED);
    expect(fresh.err).toBe(
      'matriz: refused in production mode (default-origin): no --origin: give the log its public name at first start, e.g. --origin registry.example.com/matriz (it cannot change later)\n',
    );
    mkdirSync(dataDir, { mode: 0o700 });
    writeFileSync(
      path.join(dataDir, 'registry.json'),
      '{"created_at":"2026-01-01T00:00:00Z","origin":"matriz.local/0a1b2c3d4e5f"}\n',
      { mode: 0o600 },
    );
    const started = await serveProduction(dataDir, env);
    expect(started.code).toBe(EXIT_PRODUCTION_REFUSED);
    expect(started.err).toMatch(
      /^matriz: refused in production mode \(default-origin\): the log's origin matriz\.local\/0a1b2c3d4e5f is a generated default/,
    );
  });

  it('a log without a trust root, after creating the data directory and keys', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const result = await matriz(
      ['serve', '--data-dir', dataDir, '--port', '0', '--origin', ORIGIN, ...FAST],
      { MATRIZ_LOG_PASSPHRASE: PASSPHRASE, MATRIZ_ENV: 'production' },
    );
    expect(result.code).toBe(EXIT_PRODUCTION_REFUSED);
    expect(result.err).toBe(
      `matriz: refused in production mode (no-trust-root): the log has no trust root, so clients could only pin a key on first use: run matriz trust init --data-dir ${dataDir} (the data directory and log keys exist now), then start again\n`,
    );
  });
});

describe('production mode starts', () => {
  it('a registry with its own origin, a passphrase from the environment and a trust root', async () => {
    const dataDir = await preparedDataDir();
    const service = await startService({
      dataDir,
      host: '127.0.0.1',
      port: 0,
      env: { MATRIZ_LOG_PASSPHRASE: PASSPHRASE },
      production: true,
      verifyThreads: 1,
      warn: () => undefined,
    });
    services.push(service);
    expect(service.origin).toBe(ORIGIN);
    const checkpoint = await fetch(`${service.url}/api/v1/log/checkpoint`);
    expect(checkpoint.status).toBe(200);
    expect(await checkpoint.text()).toMatch(/^registry\.example\.com\/matriz\n1\n/);
  });
});
