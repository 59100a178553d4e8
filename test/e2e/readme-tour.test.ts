/**
 * README.md's five-minute tour, run as written: its shell block, command by command in one shell
 * (`set -e`), against a real `matriz serve` started with no passphrase in its environment (as
 * `npm start` is), in a directory holding a copy of `examples/`. Only two substitutions: the
 * built binary for `npx matriz`, and the test server's URL for the default one (MATRIZ_SERVER for
 * the client commands, the URL in the `curl` line), so the test runs beside other servers.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServe, type ServeProcess } from '../support/serve-process.js';
import { tempDir } from '../support/tmp.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/matriz.js');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The first ```sh block after the "Five-minute tour" heading. */
function tourScript(): string {
  const tour = README.slice(README.indexOf('## Five-minute tour'));
  const block = /```sh\n([\s\S]*?)```/.exec(tour);
  if (!block?.[1]) throw new Error('README.md has no shell block in its five-minute tour');
  return block[1];
}

function bash(script: string, cwd: string, env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn('bash', ['-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

let server: ServeProcess | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe('README.md five-minute tour', () => {
  it('needs no env -u', () => {
    expect(tourScript()).not.toContain('env -u');
    expect(tourScript()).not.toContain('MATRIZ_KEY_PASSPHRASE');
  });

  it('runs its commands in order, each succeeding', { timeout: 300_000 }, async () => {
    const work = tempDir();
    const home = path.join(work, 'home');
    mkdirSync(home);
    cpSync(path.join(ROOT, 'examples'), path.join(work, 'examples'), { recursive: true });
    // As `npm start` would: no passphrase variable, so the data directory gets its own file.
    server = await startServe(['--data-dir', path.join(work, 'data')], {
      MATRIZ_KEY_PASSPHRASE: undefined,
      MATRIZ_LOG_PASSPHRASE: undefined,
      MATRIZ_OWNER_PASSPHRASE: undefined,
      MATRIZ_KEY_COMMAND: undefined,
    });
    const script = tourScript()
      .replaceAll('npx matriz ', `node ${BIN} `)
      .replaceAll('http://127.0.0.1:8080', server.url);
    const result = await bash(`set -euo pipefail -x\n${script}`, work, {
      PATH: process.env.PATH ?? '',
      HOME: home,
      MATRIZ_SERVER: server.url,
    });
    expect(
      result.stderr
        .split('\n')
        .filter((line) => line.startsWith('+ '))
        .at(-1),
    ).toMatch(/^\+ curl/);
    expect(result.code, result.stderr).toBe(0);

    // "Open http://127.0.0.1:8080/ for the web explorer": the page and its bundle are served.
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script type="module" src="explorer/app.js">');
    expect((await fetch(`${server.url}/explorer/app.js`)).status).toBe(200);

    // What the tour promises along the way.
    expect(result.stdout).toMatch(/registered telemetry-probe@\S+ at log index 0; verified/);
    expect(result.stdout).toMatch(
      /registered memoria_adapter_v1@0\.1\.0 at log index \d+; verified/,
    );
    expect(result.stdout).toContain('trusted through trust root v2');
    expect(result.stdout).toMatch(/^— .*\n/m); // the signed note's signature lines
    expect(result.stderr).not.toContain('wrong passphrase');
    expect(result.stderr).not.toContain('deprecated');
    // --write-owner rewrote the copies, in canonical form, with the owner key's id.
    const ownerId = (
      JSON.parse(readFileSync(path.join(work, 'owner.pub.json'), 'utf8')) as { keyid: string }
    ).keyid;
    for (const file of ['my_probe.json', 'my_adapter.json']) {
      const text = readFileSync(path.join(work, file), 'utf8');
      expect((JSON.parse(text) as { identity: { owner_id: string } }).identity.owner_id).toBe(
        `GLYMPH:${ownerId}`,
      );
      const check = await bash(`node ${BIN} nodespec fmt --check ${file}`, work, {
        PATH: process.env.PATH ?? '',
      });
      expect(check.code, check.stdout + check.stderr).toBe(0);
    }
  });
});
