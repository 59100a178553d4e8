/**
 * `matriz/client` as a node author uses it: a script outside this repository that imports only
 * 'matriz/client' (the built package, linked into its node_modules) registers, gets, queries page
 * by page and verifies against a real `matriz serve` on loopback. Then the client's own checks:
 * an entry changed in transit is refused, and 429/503 are retried after `Retry-After`.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  openOwnerKey,
  RegistryClient,
  RegistryRequestError,
  VerificationError,
} from '../../src/client/index.js';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../support/cli.js';
import { EXAMPLES_DIR } from '../support/examples.js';
import { startServe, type ServeProcess } from '../support/serve-process.js';
import { tempDir } from '../support/tmp.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PASSPHRASE = 'an owner passphrase, long enough';

const SCRIPT = `
import { readFile } from 'node:fs/promises';
import { RegistryClient, openOwnerKey, RegistryRequestError } from 'matriz/client';

const client = new RegistryClient({ server: process.env.SERVER, stateDir: process.env.STATE });
const owner = await openOwnerKey(process.env.KEY, process.env.MATRIZ_OWNER_PASSPHRASE);
const spec = JSON.parse(await readFile(process.env.SPEC, 'utf8'));
spec.identity.owner_id = owner.ownerId;
const first = await client.register(spec, owner);
const second = await client.register(
  { ...spec, metadata: { ...spec.metadata, version: '9.9.9' } },
  owner,
);
const entry = await client.get(first.registry_id);
const pages = [];
for await (const page of client.query({ signal: 'telemetry.batch', limit: 1 })) pages.push(page);
const status = await client.verify();
let refused;
try {
  await client.register({ ...spec, identity: { ...spec.identity, lane: 'core', tier: 5 } }, owner);
} catch (error) {
  refused = error instanceof RegistryRequestError ? error.problem.type : String(error);
}
console.log(JSON.stringify({ first, second, entry, pages, status, refused }));
`;

let work: string;
let server: ServeProcess;
let keyFile: string;

beforeEach(async () => {
  work = tempDir();
  keyFile = path.join(work, 'owner.key');
  const io = captureIo({ cwd: work, env: { MATRIZ_OWNER_PASSPHRASE: PASSPHRASE } });
  const generated = await main(
    ['keys', 'generate', '--alg', 'ml-dsa-44', '--out', keyFile, '--scrypt-log-n', '10'],
    io,
  );
  expect(generated, io.err()).toBe(0);
  server = await startServe(['--data-dir', path.join(work, 'data'), '--key-scrypt-log-n', '10'], {
    MATRIZ_LOG_PASSPHRASE: 'a log passphrase, long enough',
  });
});

afterEach(async () => {
  await server.stop();
});

function runScript(directory: string, env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['tool.mjs'], {
      cwd: directory,
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

describe("a node author's script using only 'matriz/client'", () => {
  it('registers, gets, queries page by page and verifies against a real server', async () => {
    const tool = path.join(work, 'tool');
    mkdirSync(path.join(tool, 'node_modules'), { recursive: true });
    symlinkSync(ROOT, path.join(tool, 'node_modules', 'matriz'), 'dir');
    writeFileSync(path.join(tool, 'tool.mjs'), SCRIPT);
    const result = await runScript(tool, {
      SERVER: server.url,
      STATE: path.join(work, 'state'),
      KEY: keyFile,
      SPEC: path.join(EXAMPLES_DIR, 'telemetry_probe.json'),
      MATRIZ_OWNER_PASSPHRASE: PASSPHRASE,
    });
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout) as {
      first: { registry_id: string; index: number; verified: boolean; checkpoint_size: number };
      second: { registry_id: string; index: number };
      entry: { registry_id: string; log_index: number; verified: boolean; owner_id: string };
      pages: {
        entries: { registry_id: string; verified: boolean }[];
        next_cursor: string | null;
      }[];
      status: { size: number; consistent_with_size: number | null; keys_pinned_now: boolean };
      refused: string;
    };
    expect(out.first).toMatchObject({ index: 0, verified: true, checkpoint_size: 1 });
    expect(out.second).toMatchObject({ index: 1, registry_id: 'telemetry-probe@9.9.9' });
    expect(out.entry).toMatchObject({
      registry_id: out.first.registry_id,
      log_index: 0,
      verified: true,
    });
    expect(out.pages).toHaveLength(2);
    expect(out.pages.flatMap((page) => page.entries.map((e) => e.registry_id)).sort()).toEqual(
      [out.first.registry_id, out.second.registry_id].sort(),
    );
    expect(out.pages.every((page) => page.entries.every((e) => e.verified))).toBe(true);
    expect(out.pages.at(-1)?.next_cursor).toBeNull();
    expect(out.status).toMatchObject({
      size: 2,
      consistent_with_size: null,
      keys_pinned_now: true,
    });
    expect(out.refused).toBe('urn:matriz:problem:not-entitled');
  });
});

/** The test owner's key and the telemetry_probe example NodeSpec, owned by it. */
async function ownerAndSpec() {
  const owner = await openOwnerKey(keyFile, PASSPHRASE);
  const spec = JSON.parse(
    readFileSync(path.join(EXAMPLES_DIR, 'telemetry_probe.json'), 'utf8'),
  ) as Parameters<RegistryClient['register']>[0];
  spec.identity.owner_id = owner.ownerId;
  return { owner, spec };
}

describe('RegistryClient checks', () => {
  it('takes a write answered with an older checkpoint than one already seen (concurrent writes), and still refuses a shrinking latest checkpoint', async () => {
    const { owner, spec } = await ownerAndSpec();
    const client = new RegistryClient({ server: server.url, stateDir: path.join(work, 'c') });
    const first = await client.register(spec, owner);
    expect(first.checkpoint_size).toBe(1);
    const older = first.checkpoint;
    await client.register({ ...spec, metadata: { ...spec.metadata, version: '9.9.8' } }, owner);
    const log = await client.session();
    // As when two writes of this client are answered out of order: a prefix, taken, not kept.
    expect((await log.advance(older, { witnessed: false, latest: false })).size).toBe(1);
    expect((await client.verify()).size).toBe(2);
    // The log's latest checkpoint smaller than one seen: a rollback, as before.
    await expect(log.advance(older)).rejects.toThrow(/rolled back from size 2 to 1/);
  });

  it('refuses an entry whose NodeSpec was changed in transit', async () => {
    const { owner, spec } = await ownerAndSpec();
    const honest = new RegistryClient({ server: server.url, stateDir: path.join(work, 'a') });
    const written = await honest.register(spec, owner);
    expect((await honest.get(written.registry_id)).verified).toBe(true);

    const tampering: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (
        !(input instanceof Request ? input.url : input.toString()).includes(
          '/api/v1/registry/telemetry',
        )
      )
        return response;
      const entry = (await response.json()) as { node_spec: { metadata: { summary?: string } } };
      entry.node_spec.metadata.summary = 'changed on the way';
      return new Response(JSON.stringify(entry), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    };
    const client = new RegistryClient({
      server: server.url,
      stateDir: path.join(work, 'b'),
      fetch: tampering,
    });
    const refusal = await client.get(written.registry_id).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(VerificationError);
    expect((refusal as Error).message).toBe(
      `${written.registry_id}: the NodeSpec of ${written.registry_id} is not the one logged at index 0`,
    );
  });

  it('retries 503 and 429 after Retry-After, and gives up on a wait longer than allowed', async () => {
    const { owner, spec } = await ownerAndSpec();
    await new RegistryClient({ server: server.url, stateDir: path.join(work, 'e') }).register(
      spec,
      owner,
    );
    const waits: number[] = [];
    let busy = 2;
    const flaky: typeof fetch = async (input, init) => {
      if (busy > 0) {
        busy -= 1;
        return new Response(
          JSON.stringify({
            type: 'urn:matriz:problem:overloaded',
            title: 'overloaded',
            status: busy === 1 ? 503 : 429,
            detail: 'retry later',
          }),
          {
            status: busy === 1 ? 503 : 429,
            headers: { 'content-type': 'application/problem+json', 'retry-after': '2' },
          },
        );
      }
      return fetch(input, init);
    };
    const client = new RegistryClient({
      server: server.url,
      stateDir: path.join(work, 'c'),
      fetch: flaky,
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });
    expect((await client.verify()).size).toBe(1);
    expect(waits).toEqual([2000, 2000]);

    const impatient = new RegistryClient({
      server: server.url,
      stateDir: path.join(work, 'd'),
      maxRetryWaitMs: 1000,
      fetch: () =>
        Promise.resolve(
          new Response(
            JSON.stringify({
              type: 'urn:matriz:problem:rate-limited',
              title: 'rate limited',
              status: 429,
              detail: 'slow down',
            }),
            {
              status: 429,
              headers: { 'content-type': 'application/problem+json', 'retry-after': '60' },
            },
          ),
        ),
      sleep: () => Promise.reject(new Error('must not wait')),
    });
    const refusal = await impatient.verify().catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(RegistryRequestError);
    expect((refusal as RegistryRequestError).status).toBe(429);
  });
});
