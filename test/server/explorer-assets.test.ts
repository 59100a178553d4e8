/**
 * How `matriz serve` serves the web explorer (src/server/explorer.ts): only the files of the
 * built directory, read at start-up, with a strict CSP and ETags; `/` a clear 404 problem when the
 * explorer is not built or turned off. The pages themselves: test/browser/explorer.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type ServerOptions } from '../../src/server/app.js';
import { EXPLORER_CSP, loadExplorerAssets } from '../../src/server/explorer.js';
import { makeRegistry } from '../support/registry.js';

let app: FastifyInstance | undefined;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'matriz-explorer-assets-'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>x</title>');
  writeFileSync(path.join(dir, 'app.js'), 'console.log(1);');
  writeFileSync(path.join(dir, 'app.css'), 'body{}');
  mkdirSync(path.join(dir, 'nested'));
  writeFileSync(path.join(dir, 'nested', 'secret.txt'), 'not served');
  writeFileSync(path.join(dir, 'nested', 'outside.txt'), 'not served');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function serve(explorer: ServerOptions['explorer']): Promise<string> {
  const t = await makeRegistry();
  app = await buildServer({
    registry: t.registry,
    ...(explorer === undefined ? {} : { explorer }),
  });
  return app.listen({ host: '127.0.0.1', port: 0 });
}

describe('the explorer routes', () => {
  it('serves index.html at / and the bundle under /explorer/, with a strict CSP and ETags', async () => {
    const base = await serve(loadExplorerAssets(dir));
    const index = await fetch(`${base}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('content-security-policy')).toBe(EXPLORER_CSP);
    expect(EXPLORER_CSP).toMatch(/default-src 'none'.*script-src 'self'/);
    expect(EXPLORER_CSP).not.toMatch(/unsafe|\*/);
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await index.text()).toBe('<!doctype html><title>x</title>');

    const script = await fetch(`${base}/explorer/app.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const etag = script.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"[\w-]{27}"$/);
    const again = await fetch(`${base}/explorer/app.js`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect((await fetch(`${base}/explorer/app.css`)).headers.get('content-type')).toBe(
      'text/css; charset=utf-8',
    );
  });

  it('serves nothing but the built files: no directories, no traversal, no other path', async () => {
    const base = await serve(loadExplorerAssets(dir));
    for (const probe of [
      '/explorer/index.html',
      '/explorer/nested',
      '/explorer/nested%2Fsecret.txt',
      '/explorer/..%2Fnested%2Foutside.txt',
      '/explorer/../explorer/nested/outside.txt',
      '/explorer/',
      '/index.html',
    ]) {
      const answer = await fetch(`${base}${probe}`);
      expect(answer.status, probe).toBe(404);
      expect(answer.headers.get('content-type'), probe).toMatch(/^application\/problem\+json/);
    }
  });

  it('answers / with a 404 problem that says why when the explorer is not built or turned off', async () => {
    expect(loadExplorerAssets(path.join(dir, 'missing'))).toBeUndefined();
    let base = await serve('not-built');
    const missing = await fetch(`${base}/`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { detail: string }).detail).toBe(
      'no route GET /: the web explorer is not built (npm run build)',
    );
    await app?.close();
    base = await serve('off');
    const off = await fetch(`${base}/explorer/app.js`);
    expect(off.status).toBe(404);
    expect(((await off.json()) as { detail: string }).detail).toBe('no route GET /explorer/app.js');
    // The API is unchanged either way.
    expect((await fetch(`${base}/api/v1/log/keys`)).status).toBe(200);
  });
});
