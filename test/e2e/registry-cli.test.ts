import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { base64Decode, base64Encode } from '../../src/crypto/encoding.js';
import { captureIo } from '../support/cli.js';
import { EXAMPLES_DIR } from '../support/examples.js';
import { startServe, type ServeProcess } from '../support/serve-process.js';
import { tempDir } from '../support/tmp.js';

const PASSPHRASE = 'correct horse battery staple';
let work: string;
let env: Record<string, string>;
const servers: ServeProcess[] = [];

beforeEach(() => {
  work = tempDir();
  env = { MATRIZ_CONFIG_DIR: path.join(work, 'config'), MATRIZ_OWNER_PASSPHRASE: PASSPHRASE };
});

afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
});

async function matriz(args: string[]) {
  const io = captureIo({ cwd: work, env });
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

async function serve(
  args: string[],
  extraEnv: Record<string, string | undefined> = {},
): Promise<ServeProcess> {
  const server = await startServe(args, { MATRIZ_LOG_PASSPHRASE: PASSPHRASE, ...extraEnv });
  servers.push(server);
  return server;
}

/** An owner key and a policy enrolling it for the reference examples' lanes and tiers. */
async function enrolledOwner(): Promise<{ keyFile: string; policyFile: string; ownerId: string }> {
  const keyFile = path.join(work, 'owner.key');
  expect(
    (
      await matriz([
        'keys',
        'generate',
        '--alg',
        'ml-dsa-44',
        '--out',
        keyFile,
        '--scrypt-log-n',
        '12',
      ])
    ).code,
  ).toBe(0);
  const shown = await matriz(['keys', 'show', keyFile, '--json']);
  const ownerId = (JSON.parse(shown.out) as { owner_id: string }).owner_id;
  const policyFile = path.join(work, 'policy.json');
  writeFileSync(
    policyFile,
    JSON.stringify({ owners: { [ownerId]: { lanes: ['core', 'lukhas'], max_tier: 5 } } }),
  );
  return { keyFile, policyFile, ownerId };
}

describe('matriz serve + the client commands, as a new user would run them', () => {
  it(
    'serves, registers a reference example, queries it, verifies the log, and refuses replays and tampering',
    { timeout: 120_000 },
    async () => {
      const owner = await enrolledOwner();
      const dataDir = path.join(work, 'data');
      const server = await serve([
        '--data-dir',
        dataDir,
        '--policy',
        owner.policyFile,
        '--origin',
        'registry.test/e2e',
      ]);
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      expect(statSync(path.join(dataDir, 'keys', 'log-ml-dsa-44.json')).mode & 0o777).toBe(0o600);
      expect(readFileSync(path.join(dataDir, 'keys', 'log-ed25519.json'), 'utf8')).toContain(
        '"aes-256-gcm"',
      );

      const example = path.join(EXAMPLES_DIR, 'memory_adapter.json');
      const refused = await matriz([
        'register',
        example,
        '--server',
        server.url,
        '--key',
        owner.keyFile,
      ]);
      expect(refused.code).toBe(2);
      expect(refused.err).toContain(
        'rerun with --write-owner to rewrite it in the file, or --set-owner to sign with your id and leave the file as it is',
      );
      const before = readFileSync(example, 'utf8');

      const saved = path.join(work, 'request.json');
      const registered = await matriz([
        'register',
        example,
        '--set-owner',
        '--server',
        server.url,
        '--key',
        owner.keyFile,
        '--save-request',
        saved,
        '--json',
      ]);
      expect(registered.code).toBe(0);
      expect(JSON.parse(registered.out)).toMatchObject({
        registry_id: 'memoria_adapter_v1@0.1.0',
        index: 0,
        verified: true,
      });
      expect(registered.err).toContain('pinned the keys of log registry.test/e2e');
      // --set-owner signs with the key's id and leaves the file as it is.
      expect(readFileSync(example, 'utf8')).toBe(before);
      expect(registered.err).toContain(
        `registered with identity.owner_id ${owner.ownerId}; ${example} still says`,
      );

      const query = await matriz(['query', '--signal', 'memory_stored', '--server', server.url]);
      expect(query.code).toBe(0);
      expect(query.out).toContain(`memoria_adapter_v1@0.1.0\tcore\ttier 3\t${owner.ownerId}`);
      const byName = await matriz(['query', '--name', 'memoria_', '--server', server.url]);
      expect(byName.code).toBe(0);
      expect(byName.out).toContain('memoria_adapter_v1@0.1.0\tcore');
      expect(
        (await matriz(['query', '--name', 'memoria_adapter_v2', '--server', server.url])).out,
      ).toContain('0 entries');

      const verify = await matriz(['verify', '--server', server.url]);
      expect(verify.code).toBe(0);
      expect(verify.out).toContain('ok: log registry.test/e2e at size 1');

      const resend = await fetch(`${server.url}/api/v1/registry/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: readFileSync(saved, 'utf8'),
      });
      expect(resend.status).toBe(409);
      expect(await resend.json()).toMatchObject({ type: 'urn:matriz:problem:replayed-nonce' });

      const envelope = JSON.parse(readFileSync(saved, 'utf8')) as { payload: string };
      const payload = base64Decode(envelope.payload);
      const at = payload.length - 3;
      payload[at] = (payload[at] ?? 0) ^ 1;
      const tampered = await fetch(`${server.url}/api/v1/registry/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...envelope, payload: base64Encode(payload) }),
      });
      expect(tampered.status).toBe(401);
      expect(await tampered.json()).toMatchObject({ type: 'urn:matriz:problem:bad-signature' });

      const again = await matriz(['verify', '--server', server.url, '--json']);
      expect(JSON.parse(again.out)).toMatchObject({ ok: true, size: 1, consistent_with_size: 1 });

      const get = await matriz([
        'get',
        'memoria_adapter_v1@0.1.0',
        '--server',
        server.url,
        '--json',
      ]);
      expect(JSON.parse(get.out)).toMatchObject({ status: 'active', owner_id: owner.ownerId });
      const gone = await matriz([
        'deregister',
        'memoria_adapter_v1@0.1.0',
        '--server',
        server.url,
        '--key',
        owner.keyFile,
      ]);
      expect(gone.code).toBe(0);
      expect(gone.out).toContain('deregistered memoria_adapter_v1@0.1.0 at log index 1');
      expect(
        (await matriz(['query', '--signal', 'memory_stored', '--server', server.url])).out,
      ).toContain('0 entries');
    },
  );

  it(
    'creates an owner key in the config directory on first use, and a passphrase file when none is set',
    { timeout: 120_000 },
    async () => {
      const dataDir = path.join(work, 'data');
      const server = await serve(['--data-dir', dataDir], {
        MATRIZ_LOG_PASSPHRASE: undefined,
        MATRIZ_KEY_PASSPHRASE: undefined,
      });
      expect(server.stderr()).toContain('MATRIZ_LOG_PASSPHRASE is not set');
      expect(statSync(path.join(dataDir, 'passphrase')).mode & 0o777).toBe(0o600);
      const spec = JSON.parse(
        readFileSync(path.join(EXAMPLES_DIR, 'telemetry_probe.json'), 'utf8'),
      ) as Record<string, any>;
      writeFileSync(path.join(work, 'probe.json'), JSON.stringify(spec));
      const result = await matriz([
        'register',
        'probe.json',
        '--set-owner',
        '--server',
        server.url,
      ]);
      expect(result.code).toBe(0);
      expect(result.err).toMatch(/created owner key .*owner\.key \(owner_id GLYMPH:[0-9a-f]{64}\)/);
      expect(statSync(path.join(work, 'config', 'owner.key')).mode & 0o777).toBe(0o600);
      const refused = await matriz([
        'register',
        path.join(EXAMPLES_DIR, 'dream_processor.json'),
        '--set-owner',
        '--server',
        server.url,
      ]);
      expect(refused.code).toBe(1);
      expect(refused.err).toContain('not-entitled');
    },
  );

  it(
    'detects a log that rolled back or forked (exit 4) and keeps both checkpoints as evidence',
    { timeout: 180_000 },
    async () => {
      const owner = await enrolledOwner();
      const dataDir = path.join(work, 'data');
      const first = await serve(['--data-dir', dataDir, '--policy', owner.policyFile]);
      const spec = (name: string) => {
        const s = JSON.parse(
          readFileSync(path.join(EXAMPLES_DIR, 'memory_adapter.json'), 'utf8'),
        ) as Record<string, any>;
        s.metadata.name = name;
        s.identity.owner_id = owner.ownerId;
        writeFileSync(path.join(work, `${name}.json`), JSON.stringify(s));
        return `${name}.json`;
      };
      expect(
        (await matriz(['register', spec('one'), '--server', first.url, '--key', owner.keyFile]))
          .code,
      ).toBe(0);
      await first.stop();
      // A copy of the log at size 1, served later: the same keys, history that diverges.
      const copy = path.join(work, 'copy');
      const { cpSync } = await import('node:fs');
      cpSync(dataDir, copy, { recursive: true });
      const original = await serve(['--data-dir', dataDir, '--policy', owner.policyFile]);
      expect(
        (await matriz(['register', spec('two'), '--server', original.url, '--key', owner.keyFile]))
          .code,
      ).toBe(0);
      await original.stop();

      const rolledBack = await serve(['--data-dir', copy, '--policy', owner.policyFile]);
      const rollback = await matriz(['verify', '--server', rolledBack.url]);
      expect(rollback.code).toBe(4);
      expect(rollback.err).toContain('rolled back from size 2 to 1');
      // The copy grows differently to the same size: a fork.
      const forkEnv = { ...env, MATRIZ_CONFIG_DIR: path.join(work, 'other-client') };
      const io = captureIo({ cwd: work, env: forkEnv });
      expect(
        await main(
          ['register', spec('three'), '--server', rolledBack.url, '--key', owner.keyFile],
          io,
        ),
      ).toBe(0);
      const fork = await matriz(['verify', '--server', rolledBack.url]);
      expect(fork.code).toBe(4);
      const evidence = /evidence: (\S+)\)/.exec(fork.err)?.[1] ?? '';
      const saved = JSON.parse(readFileSync(evidence, 'utf8')) as {
        previous_checkpoint: string;
        new_checkpoint: string;
      };
      expect(saved.previous_checkpoint).not.toBe(saved.new_checkpoint);
      expect(saved.previous_checkpoint.split('\n')[1]).toBe('2');
      expect(saved.new_checkpoint.split('\n')[1]).toBe('2');
    },
  );
});
