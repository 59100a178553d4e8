/**
 * Witness cosigning end to end on loopback: three real `matriz witness serve` processes, a real
 * `matriz serve` that asks them to cosign each checkpoint, clients with a 2-of-3 witness policy.
 * One witness is stopped (2 of 3 still cosign), then another (one cosignature: refused), then a
 * fork of the log (a copy of its data directory, same keys, another history) asks the same
 * witnesses: they refuse it (422), and a client with the policy refuses its checkpoint.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { parseNote } from '../../src/log/note.js';
import { captureIo } from '../support/cli.js';
import {
  createDataDir,
  DATA_DIR_PASSPHRASE,
  openWriter,
  registerMany,
} from '../support/data-dir-log.js';
import { makeOwner, ORIGIN, type Owner } from '../support/registry.js';
import { startServe, type ServeProcess } from '../support/serve-process.js';
import { tempDir } from '../support/tmp.js';

const BIN = path.resolve(import.meta.dirname, '../../bin/matriz.js');
const WITNESS_ENV = { MATRIZ_WITNESS_PASSPHRASE: 'witness passphrase for tests' };
const servers: ServeProcess[] = [];
const witnesses: ChildProcess[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
  for (const child of witnesses.splice(0)) child.kill('SIGTERM');
});

/** Starts `matriz witness serve` and waits for its URL. */
async function startWitness(
  dataDir: string,
  logs: string,
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [BIN, 'witness', 'serve', '--data-dir', dataDir, '--logs', logs, '--port', '0'],
    { env: { ...process.env, ...WITNESS_ENV }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  witnesses.push(child);
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /serving at (http:\/\/\S+)/.exec(stderr);
      if (match?.[1]) resolve(match[1]);
    });
    child.on('exit', (code) => {
      reject(new Error(`witness exited with ${String(code)}: ${stderr}`));
    });
  });
  return { url, child };
}

async function register(server: ServeProcess, owner: Owner, name: string): Promise<void> {
  const response = await fetch(`${server.url}/api/v1/registry/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(
      owner.request({ op: 'register', nodeSpec: owner.spec(name, '1.0.0') }, { origin: ORIGIN }),
    ),
  });
  expect(response.status).toBe(200);
}

/** The published checkpoint's size and the names of its signature lines, once `ready` holds. */
async function publishedWhen(
  server: ServeProcess,
  ready: (size: number, signers: string[]) => boolean,
): Promise<{ size: number; signers: string[]; note: string }> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const note = await (await fetch(`${server.url}/checkpoint`)).text();
    const parsed = parseNote(note);
    const size = Number(parsed.text.split('\n')[1]);
    const signers = parsed.signatures.map((s) => s.name);
    if (ready(size, signers)) return { size, signers, note };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the published checkpoint never got there');
}

describe('witness cosigning', () => {
  it(
    'three witnesses cosign, 2 of 3 suffice when one stops, and a fork of the log is refused by the witnesses and by the client',
    { timeout: 180_000 },
    async () => {
      const work = tempDir();
      const dataDir = path.join(work, 'data');
      const logEnv = { MATRIZ_KEY_PASSPHRASE: DATA_DIR_PASSPHRASE };
      await createDataDir(dataDir, ORIGIN);
      const owner = await makeOwner('ed25519');
      const writer = await openWriter(dataDir, ORIGIN);
      await registerMany(writer.registry, owner, ORIGIN, 10, 'base');
      await writer.close();
      // The fork: the same data directory (same keys and origin), from here on another history.
      const forkDir = path.join(work, 'fork');
      cpSync(dataDir, forkDir, { recursive: true });

      // The witnesses know the log by its keys document.
      const plain = await startServe(['--data-dir', dataDir], logEnv);
      const keys = await (await fetch(`${plain.url}/api/v1/log/keys`)).json();
      await plain.stop();
      const logs = path.join(work, 'logs.json');
      writeFileSync(logs, JSON.stringify({ logs: [keys] }));
      const entries = [];
      for (const name of ['w1', 'w2', 'w3']) {
        const dir = path.join(work, name);
        const io = captureIo({ cwd: work, env: WITNESS_ENV });
        const code = await main(
          [
            'witness',
            'init',
            '--data-dir',
            dir,
            '--name',
            `witness.test/${name}`,
            '--key-scrypt-log-n',
            '10',
            // w2 cosigns with ML-DSA-44, the post-quantum cosignature type; w1 and w3 Ed25519.
            '--algorithm',
            name === 'w2' ? 'ml-dsa-44' : 'ed25519',
          ],
          io,
        );
        expect(code, io.err()).toBe(0);
        const vkey = io.out().trim();
        expect(vkey).toMatch(new RegExp(`^witness\\.test/${name}\\+[0-9a-f]{8}\\+`));
        const witness = await startWitness(dir, logs);
        entries.push({ vkey, url: witness.url, child: witness.child });
      }
      const policy = path.join(work, 'policy.json');
      writeFileSync(
        policy,
        JSON.stringify({
          threshold: 2,
          witnesses: entries.map(({ vkey, url }) => ({ vkey, url })),
        }),
      );
      const all3 = path.join(work, 'all3.json');
      writeFileSync(
        all3,
        JSON.stringify({ threshold: 3, witnesses: entries.map(({ vkey }) => ({ vkey })) }),
      );

      const server = await startServe(['--data-dir', dataDir, '--witness-policy', policy], logEnv);
      servers.push(server);
      for (let i = 0; i < 3; i++) await register(server, owner, `witnessed_${i}`);
      const cosigned = await publishedWhen(
        server,
        (size, signers) =>
          size === 13 && signers.filter((s) => s.startsWith('witness.test/')).length === 3,
      );
      expect(cosigned.signers).toEqual(
        expect.arrayContaining(['witness.test/w1', 'witness.test/w2', 'witness.test/w3', ORIGIN]),
      );
      const client = path.join(work, 'client');
      const matriz = async (args: string[], configDir = client) => {
        const io = captureIo({ cwd: work, env: { MATRIZ_CONFIG_DIR: configDir } });
        const code = await main(args, io);
        return { code, out: io.out(), err: io.err() };
      };
      const verified = await matriz([
        'verify',
        '--server',
        server.url,
        '--witness-policy',
        policy,
        '--json',
      ]);
      expect(verified.code, verified.err).toBe(0);

      // One witness stops: the next checkpoints carry two cosignatures, enough for 2 of 3.
      entries[2]?.child.kill('SIGTERM');
      await register(server, owner, 'after_stop');
      const two = await publishedWhen(server, (size) => size === 14);
      expect(two.signers.filter((s) => s.startsWith('witness.test/')).sort()).toEqual([
        'witness.test/w1',
        'witness.test/w2',
      ]);
      expect(
        (await matriz(['verify', '--server', server.url, '--witness-policy', policy])).code,
      ).toBe(0);
      const strict = await matriz(['verify', '--server', server.url, '--witness-policy', all3]);
      expect(strict.code).toBe(3);
      expect(strict.err).toMatch(
        /^matriz: verification failed: witness policy: the checkpoint of size 14 is cosigned by 2 of the witnesses the policy names \(witness\.test\/w1, witness\.test\/w2\); it requires 3\n$/,
      );
      // A second witness stops: one cosignature is not enough for 2 of 3.
      entries[1]?.child.kill('SIGTERM');
      await register(server, owner, 'after_second_stop');
      const one = await publishedWhen(server, (size) => size === 15);
      expect(one.signers.filter((s) => s.startsWith('witness.test/'))).toEqual(['witness.test/w1']);
      const below = await matriz(['verify', '--server', server.url, '--witness-policy', policy]);
      expect(below.code).toBe(3);
      expect(below.err).toMatch(
        /witness policy: the checkpoint of size 15 is cosigned by 1 of the witnesses the policy names \(witness\.test\/w1\); it requires 2/,
      );
      await server.stop();
      servers.splice(0);

      // The fork grows past the witnessed tree with other entries, and asks the same witnesses.
      const fork = await startServe(['--data-dir', forkDir, '--witness-policy', policy], logEnv);
      servers.push(fork);
      const mallory = await makeOwner('ed25519');
      for (let i = 0; i < 7; i++) await register(fork, mallory, `forked_${i}`);
      const forked = await publishedWhen(fork, (size) => size === 17);
      // The witnesses refused it: no cosignature, and the fork's log says why.
      expect(forked.signers).toEqual([ORIGIN, ORIGIN]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(fork.stdout()).toContain(
        '"witness":"witness.test/w1","reason":"422: the checkpoint of size 17 is not consistent with the checkpoint of size 15 this witness cosigned","msg":"witness did not cosign"',
      );
      // Asked directly with the proof from the size it cosigned, a witness answers 422.
      const proof = (await (
        await fetch(`${fork.url}/api/v1/log/proof/consistency?from=15&to=17`)
      ).json()) as { hashes: string[] };
      const direct = await fetch(`${entries[0]?.url ?? ''}/add-checkpoint`, {
        method: 'POST',
        body: `old 15\n${proof.hashes.map((h) => `${h}\n`).join('')}\n${forked.note}`,
      });
      expect(direct.status).toBe(422);
      // And an old size it has not got: 409 with its own size.
      const stale = await fetch(`${entries[0]?.url ?? ''}/add-checkpoint`, {
        method: 'POST',
        body: `old 0\n\n${forked.note}`,
      });
      expect(stale.status).toBe(409);
      expect(stale.headers.get('content-type')).toBe('text/x.tlog.size');
      expect(await stale.text()).toBe('15\n');

      // A client with the policy refuses the fork even on first contact (nothing pinned)...
      const fresh = await matriz(
        ['verify', '--server', fork.url, '--witness-policy', policy],
        path.join(work, 'fresh-client'),
      );
      expect(fresh.code).toBe(3);
      expect(fresh.err).toMatch(
        /witness policy: the checkpoint of size 17 is cosigned by 0 of the witnesses/,
      );
      // ...and the client that saw the witnessed log detects the fork by itself too.
      const pinned = await matriz(['verify', '--server', fork.url]);
      expect(pinned.code).toBe(4);
    },
  );
});
