#!/usr/bin/env node
// The registry-smoke gate: start `matriz serve` on a free port with a fresh data directory,
// register an example NodeSpec with a fresh owner key, query it, verify the log, stop.
// Every step runs the real binary; any failure exits non-zero with the step's output.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin/matriz.js');
const work = mkdtempSync(path.join(os.tmpdir(), 'matriz-smoke-'));
const env = {
  ...process.env,
  MATRIZ_KEY_PASSPHRASE: randomBytes(16).toString('hex'),
  MATRIZ_CONFIG_DIR: path.join(work, 'config'),
};

const server = spawn(
  process.execPath,
  [
    bin,
    'serve',
    '--data-dir',
    path.join(work, 'data'),
    '--port',
    '0',
    '--origin',
    'smoke.local/registry',
    '--key-scrypt-log-n',
    '12',
  ],
  {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  },
);
let stderr = '';
const url = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`server did not start:\n${stderr}`)), 60_000);
  server.stderr.on('data', (chunk) => {
    stderr += chunk;
    const match = /serving log \S+ at (http:\/\/\S+)/.exec(stderr);
    if (match) {
      clearTimeout(timer);
      resolve(match[1]);
    }
  });
  server.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${stderr}`)));
});

function matriz(...args) {
  const output = execFileSync(process.execPath, [bin, ...args, '--server', url], {
    env,
    encoding: 'utf8',
  });
  process.stdout.write(output);
  return output;
}

let failed = false;
try {
  const registered = JSON.parse(
    matriz('register', path.join(root, 'examples/telemetry_probe.json'), '--set-owner', '--json'),
  );
  if (registered.verified !== true || registered.index !== 0)
    throw new Error(`unexpected register result ${JSON.stringify(registered)}`);
  const query = JSON.parse(matriz('query', '--signal', 'telemetry.batch', '--json'));
  if (query.entries.length !== 1 || query.entries[0].registry_id !== registered.registry_id)
    throw new Error('query did not return the registered entry');
  const verify = JSON.parse(matriz('verify', '--json'));
  if (verify.ok !== true || verify.size !== 1)
    throw new Error(`unexpected verify result ${JSON.stringify(verify)}`);
  console.log(
    `registry-smoke: PASS (${registered.registry_id} registered, found, log verified at size ${verify.size})`,
  );
} catch (error) {
  failed = true;
  console.error(`registry-smoke: FAIL: ${error.message}\n${stderr}`);
} finally {
  server.kill('SIGTERM');
  await new Promise((resolve) => server.on('exit', resolve));
  rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
