/**
 * "Dream exfiltration": what an attacker who reads the service's answers, metrics and logs, or
 * steals a key file or a backup, learns. No secret in any answer, the metrics or the server's
 * output; key files are encrypted and refused when others can read them; an export holds no
 * registry content in the clear.
 */
import { chmod, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { base64Encode } from '../../src/crypto/encoding.js';
import { decryptSecretKey } from '../../src/keystore/secret-key-file.js';
import { makeBackupRecipient } from '../support/backup-recipient.js';
import { captureIo } from '../support/cli.js';
import { DATA_DIR_ENV, DATA_DIR_PASSPHRASE } from '../support/data-dir-log.js';
import { makeOwner } from '../support/registry.js';
import { startTarget, type Target } from './harness.js';

let target: Target;
/** Every secret the server holds, in the encodings it could leak in. */
const secrets: string[] = [];

beforeAll(async () => {
  target = await startTarget();
  const alice = await makeOwner('ed25519');
  const answer = await target.post(
    '/api/v1/registry/register',
    alice.request({ op: 'register', nodeSpec: alice.spec('exfil_node') }),
  );
  expect(answer.status).toBe(200);
  const keys = path.join(target.dataDir, 'keys');
  for (const file of await readdir(keys)) {
    const value = JSON.parse(await readFile(path.join(keys, file), 'utf8')) as unknown;
    const { seed } = await decryptSecretKey(value, DATA_DIR_PASSPHRASE, file);
    secrets.push(base64Encode(seed), Buffer.from(seed).toString('hex'));
  }
  secrets.push(DATA_DIR_PASSPHRASE);
}, 60_000);

afterAll(async () => {
  await target.expectFsckClean();
  await target.stop();
});

describe('RT-EXFIL: what leaks', () => {
  it('RT-EXFIL-1: no secret in any read answer, the OpenAPI document, the metrics or the server output', async () => {
    expect(secrets.length).toBeGreaterThan(6);
    const routes = [
      '/api/v1/log/checkpoint',
      '/api/v1/log/entries/0',
      '/api/v1/log/entries/1',
      '/api/v1/log/keys',
      '/api/v1/trust/root',
      '/api/v1/registry/exfil_node@0.1.0',
      '/api/v1/registry?limit=50',
      '/metrics',
      '/healthz',
      '/documentation/json',
      '/api/v1/registry/nothing@1.0.0',
    ];
    let seen = '';
    for (const route of routes) seen += await (await fetch(`${target.url}${route}`)).text();
    seen += target.server.stderr();
    expect(seen.length).toBeGreaterThan(1000);
    for (const secret of secrets) expect(seen.includes(secret), 'a secret leaked').toBe(false);
  });

  it('RT-EXFIL-2: key files at rest are encrypted, 0600, and refused once others can read them', async () => {
    const keys = path.join(target.dataDir, 'keys');
    for (const file of await readdir(keys)) {
      const text = await readFile(path.join(keys, file), 'utf8');
      expect((await stat(path.join(keys, file))).mode & 0o777).toBe(0o600);
      expect(text).toContain('"aes-256-gcm"');
      for (const secret of secrets) expect(text.includes(secret)).toBe(false);
    }
    const copy = path.join(target.dataDir, 'stolen.key');
    await writeFile(copy, await readFile(path.join(keys, 'root-1.json')), { mode: 0o644 });
    await chmod(copy, 0o644);
    const io = captureIo({ cwd: target.dataDir, env: DATA_DIR_ENV });
    expect(await main(['keys', 'show', copy], io)).toBe(2);
    expect(io.err()).toMatch(/accessible by group or others/);
  });

  it('RT-EXFIL-3: an export is ciphertext: no node name, NodeSpec text or key in the file', async () => {
    const env = { ...DATA_DIR_ENV, MATRIZ_CONFIG_DIR: path.join(target.dataDir, 'client') };
    const run = async (args: string[]) => {
      const io = captureIo({ cwd: target.dataDir, env });
      return { code: await main(args, io), out: io.out(), err: io.err() };
    };
    await makeBackupRecipient(run, target.dataDir);
    const exported = await run([
      'export',
      '--data-dir',
      target.dataDir,
      '--to',
      'backup.pub.json',
      '--out',
      'backup.mtzx',
    ]);
    expect(exported.code, exported.err).toBe(0);
    const bytes = (await readFile(path.join(target.dataDir, 'backup.mtzx'))).toString('latin1');
    expect(bytes.length).toBeGreaterThan(10_000);
    for (const clear of ['exfil_node', 'memory_stored', 'capabilities_policy', ...secrets])
      expect(bytes.includes(clear), clear).toBe(false);
  });
});
