/**
 * Scale-out on PostgreSQL (docs/operations.md, "Replicas"): three real `matriz serve` processes
 * on one database, signed writes spread over all three, the sequencer killed with SIGKILL twice
 * under load, and a sequencer frozen past its lease (SIGSTOP) that wakes up fenced.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { canonicalize } from '../../src/json/canonicalize.js';
import { parseCheckpoint } from '../../src/log/checkpoint.js';
import { parseNote } from '../../src/log/note.js';
import { parseLeaf } from '../../src/verify/leaf.js';
import { captureIo } from '../support/cli.js';
import { goInteropAvailable, runGoVerifier } from '../support/go-interop.js';
import { postgresAvailable, withScratchDatabase } from '../support/postgres.js';
import { makeOwner, type Owner } from '../support/registry.js';
import { startServe, type ServeProcess } from '../support/serve-process.js';
import { tempDir } from '../support/tmp.js';

const ORIGIN = 'registry.test/replicas';
const PASSPHRASE = 'replica test passphrase';
const LEASE_SECONDS = 1.5;
const servers: ServeProcess[] = [];
const children: ChildProcess[] = [];
const BIN = path.resolve(import.meta.dirname, '../../bin/matriz.js');

afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGTERM');
  for (const server of servers.splice(0)) {
    server.child.kill('SIGCONT');
    await server.stop('SIGKILL');
  }
});

function replicaArgs(dataDir: string, url: string, extra: string[] = []): string[] {
  return [
    '--data-dir',
    dataDir,
    '--database-url',
    url,
    '--origin',
    ORIGIN,
    '--key-scrypt-log-n',
    '10',
    '--rate-limit',
    '1000000',
    '--sequencer-lease',
    String(LEASE_SECONDS),
    '--write-timeout',
    '15',
    '--log-level',
    'warn',
    ...extra,
  ];
}

/** Three replicas: the first creates the data directory, the others get a copy of it. */
async function startReplicas(url: string): Promise<{ servers: ServeProcess[]; dirs: string[] }> {
  const base = tempDir();
  const dirs = ['r0', 'r1', 'r2'].map((name) => path.join(base, name));
  const env = { MATRIZ_LOG_PASSPHRASE: PASSPHRASE };
  const first = await startServe(replicaArgs(dirs[0] as string, url), env);
  servers.push(first);
  for (const dir of dirs.slice(1)) cpSync(dirs[0] as string, dir, { recursive: true });
  const rest = await Promise.all(
    dirs.slice(1).map((dir) => startServe(replicaArgs(dir, url), env)),
  );
  servers.push(...rest);
  return { servers: [first, ...rest], dirs };
}

async function role(server: ServeProcess): Promise<string | undefined> {
  try {
    const response = await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(1000) });
    return ((await response.json()) as { role?: string }).role;
  } catch {
    return undefined;
  }
}

function alive(server: ServeProcess): boolean {
  return server.child.exitCode === null && server.child.signalCode === null;
}

/** The replica holding the sequencer lease, waiting (at most 15 s) until one does. */
async function sequencerOf(replicas: readonly ServeProcess[]): Promise<ServeProcess> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    for (const server of replicas)
      if (alive(server) && (await role(server)) === 'sequencer') return server;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('no replica became the sequencer within 15 s');
}

interface Sent {
  readonly registryId: string;
  readonly body: unknown;
  /** The last answer: 200 with the result, a refusal (4xx), or undefined (never answered). */
  status?: number;
  /** Replicas it was sent to: more than one after a dead connection or a 503. */
  attempts?: number;
  result?: { index: number; registry_id: string; idempotent: boolean };
}

/**
 * Sends `body` to the replicas in turn from `start`, as a client would after a dead connection
 * or a 503: the same signed request again, to the next replica, until one answers otherwise.
 */
async function send(replicas: readonly ServeProcess[], sent: Sent, start: number): Promise<void> {
  for (let attempt = 0; attempt < 60; attempt++) {
    const server = replicas[(start + attempt) % replicas.length] as ServeProcess;
    if (!alive(server)) {
      // Not a busy loop when every replica is dead.
      if (!replicas.some(alive)) return;
      continue;
    }
    sent.attempts = (sent.attempts ?? 0) + 1;
    try {
      const response = await fetch(`${server.url}/api/v1/registry/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(sent.body),
        signal: AbortSignal.timeout(20_000),
      });
      sent.status = response.status;
      if (response.status === 200) {
        sent.result = (await response.json()) as Sent['result'];
        return;
      }
      await response.body?.cancel();
      if (response.status < 500) return;
    } catch {
      // The replica died mid-request: this attempt has no answer; try the next.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function matriz(args: string[], configDir: string) {
  const io = captureIo({ env: { MATRIZ_CONFIG_DIR: configDir } });
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

async function checkpointOf(server: ServeProcess): Promise<string> {
  return (await fetch(`${server.url}/api/v1/log/checkpoint`)).text();
}

describe.runIf(await postgresAvailable())('replicas on PostgreSQL', () => {
  it(
    'three replicas under load, the sequencer killed -9 twice: every 200 is logged once, refusals are not, fsck is clean, a pinned client and Go see one consistent log',
    { timeout: 300_000 },
    async () => {
      await withScratchDatabase('matriz_replicas', async (url) => {
        const { servers: replicas, dirs } = await startReplicas(url);
        expect(await role(replicas[0] as ServeProcess)).toBe('sequencer');
        expect(await role(replicas[1] as ServeProcess)).toBe('frontend');
        const owners: Owner[] = await Promise.all([
          makeOwner('ed25519'),
          makeOwner('ed25519'),
          makeOwner('ml-dsa-44'),
          makeOwner('ed25519'),
        ]);
        const holder = owners[0] as Owner;
        const taken: Sent = {
          registryId: 'taken_node@0.1.0',
          body: holder.request(
            { op: 'register', nodeSpec: holder.spec('taken_node') },
            { origin: ORIGIN },
          ),
        };
        await send(replicas, taken, 1);
        expect(taken.status).toBe(200);

        // A client pins the log before the run.
        const configDir = path.join(tempDir(), 'client');
        const pinned = await matriz(
          ['verify', '--server', (replicas[2] as ServeProcess).url, '--json'],
          configDir,
        );
        expect(pinned.code, pinned.err).toBe(0);
        const checkpoints = [await checkpointOf(replicas[2] as ServeProcess)];

        const all: Sent[] = [];
        let stopped = false;
        const worker = async (w: number): Promise<void> => {
          const owner = owners[w] as Owner;
          for (let i = 0; !stopped; i++) {
            // Every seventh write claims a node name another owner holds: refused (not-owner).
            const refused = i % 7 === 3 && owner !== holder;
            const name = refused ? 'taken_node' : `w${w}_node_${i}`;
            const version = refused ? `0.${w}.${i}` : '0.1.0';
            const sent: Sent = {
              registryId: `${name}@${version}`,
              body: owner.request(
                { op: 'register', nodeSpec: owner.spec(name, version) },
                { origin: ORIGIN },
              ),
            };
            all.push(sent);
            await send(replicas, sent, w + i);
          }
        };
        const load = Promise.all(owners.map((_, w) => worker(w)));
        const killed: ServeProcess[] = [];
        for (const round of [1, 2]) {
          await new Promise((resolve) => setTimeout(resolve, 2000));
          const leader = await sequencerOf(replicas);
          leader.child.kill('SIGKILL');
          killed.push(leader);
          const next = await sequencerOf(replicas.filter((r) => r !== leader && alive(r)));
          expect(next, `failover ${round}`).not.toBe(leader);
          // The pinned client follows the log through the failover, at the new sequencer.
          const followed = await matriz(['verify', '--server', next.url, '--json'], configDir);
          expect(followed.code, followed.err).toBe(0);
          checkpoints.push(await checkpointOf(next));
        }
        await new Promise((resolve) => setTimeout(resolve, 2000));
        stopped = true;
        await load;
        const survivor = replicas.find(alive) as ServeProcess;
        expect(killed).toHaveLength(2);
        expect(replicas.filter(alive)).toHaveLength(1);

        const acknowledged = all.filter((s) => s.status === 200);
        const refusedSent = all.filter(
          (s) => s.status !== undefined && s.status >= 400 && s.status < 500,
        );
        // Sent again after a dead connection or a 503, every write got its answer.
        expect(all.filter((s) => s.status !== 200 && s.status !== 403)).toEqual([]);
        expect(acknowledged.length).toBeGreaterThan(30);
        expect(refusedSent.length).toBeGreaterThan(0);
        expect(refusedSent.every((s) => s.status === 403)).toBe(true);

        const final = await checkpointOf(survivor);
        checkpoints.push(final);
        const size = parseCheckpoint(parseNote(final).text).size;
        const leaves: ReturnType<typeof parseLeaf>[] = [];
        for (let index = 0; index < size; index++) {
          const response = await fetch(`${survivor.url}/api/v1/log/entries/${index}`);
          leaves.push(parseLeaf(new Uint8Array(await response.arrayBuffer())));
        }
        const logged = new Map<string, number[]>();
        leaves.forEach((leaf, index) => {
          if (leaf.kind !== 'write') return;
          logged.set(leaf.registryId, [...(logged.get(leaf.registryId) ?? []), index]);
        });
        // Every acknowledged write is in the log exactly once, at the index it was told, with
        // the very request that was sent.
        for (const sent of [taken, ...acknowledged]) {
          expect(logged.get(sent.registryId), sent.registryId).toEqual([sent.result?.index]);
          const leaf = leaves[sent.result?.index ?? -1];
          expect(leaf?.kind === 'write' && canonicalize(leaf.envelope)).toBe(
            canonicalize(sent.body),
          );
        }
        // Refused writes are not, and no registry id is logged twice.
        for (const sent of refusedSent) expect(logged.has(sent.registryId)).toBe(false);
        for (const [id, indexes] of logged) expect(indexes, id).toHaveLength(1);

        const fsck = await matriz(
          ['fsck', '--data-dir', dirs[0] as string, '--database-url', url, '--json'],
          configDir,
        );
        expect(fsck.code, fsck.out + fsck.err).toBe(0);
        expect(JSON.parse(fsck.out)).toMatchObject({ ok: true, size });

        const after = await matriz(['verify', '--server', survivor.url, '--json'], configDir);
        expect(after.code, after.err).toBe(0);

        if (goInteropAvailable()) {
          // Go's sumdb/tlog: each checkpoint seen (pinned, after each failover, final) is
          // consistent with the one before, by proofs from the surviving replica.
          const keys = (await (await fetch(`${survivor.url}/api/v1/log/keys`)).json()) as {
            ed25519_vkey: string;
          };
          const trees = checkpoints.map((note) => parseCheckpoint(parseNote(note).text));
          const consistency = [];
          for (let i = 1; i < trees.length; i++) {
            const from = trees[i - 1] as (typeof trees)[0];
            const to = trees[i] as (typeof trees)[0];
            if (from.size === to.size) continue;
            const proof = (await (
              await fetch(
                `${survivor.url}/api/v1/log/proof/consistency?from=${from.size}&to=${to.size}`,
              )
            ).json()) as { hashes: string[] };
            consistency.push({
              from: from.size,
              to: to.size,
              from_root: Buffer.from(from.rootHash).toString('base64'),
              to_root: Buffer.from(to.rootHash).toString('base64'),
              proof: proof.hashes,
            });
          }
          expect(consistency.length).toBeGreaterThan(1);
          const go = runGoVerifier({ vkey: keys.ed25519_vkey, note: final, consistency });
          expect(go.note_error).toBe('ok');
          expect(go.consistency).toEqual(consistency.map(() => 'ok'));
        }
      });
    },
  );

  it(
    'a sequencer frozen past its lease (SIGSTOP) is deposed; woken up (SIGCONT) it is fenced and appends nothing',
    { timeout: 120_000 },
    async () => {
      await withScratchDatabase('matriz_fenced', async (url) => {
        const { servers: replicas, dirs } = await startReplicas(url);
        const [first, second] = replicas as [ServeProcess, ServeProcess];
        expect(await role(first)).toBe('sequencer');
        const owner = await makeOwner('ed25519');
        const write = (name: string): Sent => ({
          registryId: `${name}@0.1.0`,
          body: owner.request({ op: 'register', nodeSpec: owner.spec(name) }, { origin: ORIGIN }),
        });
        const before = write('before_freeze');
        await send(replicas, before, 1);
        expect(before.status).toBe(200);

        first.child.kill('SIGSTOP');
        const next = await sequencerOf([second, replicas[2] as ServeProcess]);
        // Writes go on through the others while the old sequencer is frozen.
        const during = write('during_freeze');
        await send([next], during, 0);
        expect(during.status).toBe(200);
        const size = parseCheckpoint(parseNote(await checkpointOf(next)).text).size;

        // Woken up, it still believes it holds the lease until its first renewal fails.
        first.child.kill('SIGCONT');
        const deadline = Date.now() + 10_000;
        while ((await role(first)) !== 'frontend' && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 100));
        expect(await role(first)).toBe('frontend');
        // It serves writes again, as a frontend: the sequencer integrates them.
        const after = write('after_wakeup');
        await send([first], after, 0);
        expect(after.status).toBe(200);
        expect(after.result?.index).toBe(size);
        const metrics = await (await fetch(`${next.url}/metrics`)).text();
        expect(metrics).toMatch(/^registry_failovers_total 1$/m);
        expect(metrics).toMatch(/^registry_sequencer_leader 1$/m);
        expect(await (await fetch(`${first.url}/metrics`)).text()).toMatch(
          /^registry_sequencer_leader 0$/m,
        );
        const fsck = await matriz(
          ['fsck', '--data-dir', dirs[0] as string, '--database-url', url, '--json'],
          tempDir(),
        );
        expect(JSON.parse(fsck.out)).toMatchObject({ ok: true, size: size + 1 });
      });
    },
  );

  it(
    "every replica's PostgreSQL connections killed three times under load: no process dies, every write is answered, logged once, fsck is clean",
    { timeout: 180_000 },
    async () => {
      await withScratchDatabase('matriz_cut', async (url) => {
        const { servers: replicas, dirs } = await startReplicas(url);
        const owners = await Promise.all([makeOwner('ed25519'), makeOwner('ed25519')]);
        const all: Sent[] = [];
        let stopped = false;
        const worker = async (w: number): Promise<void> => {
          const owner = owners[w] as Owner;
          for (let i = 0; !stopped; i++) {
            const sent: Sent = {
              registryId: `cut${w}_node_${i}@0.1.0`,
              body: owner.request(
                { op: 'register', nodeSpec: owner.spec(`cut${w}_node_${i}`) },
                { origin: ORIGIN },
              ),
            };
            all.push(sent);
            await send(replicas, sent, w + i);
          }
        };
        const load = Promise.all(owners.map((_, w) => worker(w)));
        const database = new URL(url).pathname.slice(1);
        const admin = new pg.Client({ connectionString: url });
        await admin.connect();
        let terminated = 0;
        try {
          for (let round = 0; round < 3; round++) {
            await new Promise((resolve) => setTimeout(resolve, 1500));
            // Every connection of every replica: pools, LISTEN, transactions in flight.
            const { rows } = await admin.query<{ ok: boolean }>(
              'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
              [database],
            );
            terminated += rows.filter((row) => row.ok).length;
          }
          await new Promise((resolve) => setTimeout(resolve, 2000));
        } finally {
          stopped = true;
          await load;
          await admin.end();
        }
        expect(terminated).toBeGreaterThan(6);
        // No replica died of it, one of them sequences, and they serve again.
        for (const replica of replicas)
          expect(alive(replica), `${replica.stderr()}\n${replica.stdout().slice(-3000)}`).toBe(
            true,
          );
        const leader = await sequencerOf(replicas);
        const acknowledged = all.filter((sent) => sent.status === 200);
        expect(all.filter((sent) => sent.status !== 200)).toEqual([]);
        expect(acknowledged.length).toBeGreaterThan(20);
        const size = parseCheckpoint(parseNote(await checkpointOf(leader)).text).size;
        const indexes = new Set(acknowledged.map((sent) => sent.result?.index));
        expect(indexes.size).toBe(acknowledged.length);
        expect(size).toBe(acknowledged.length);
        for (const sent of acknowledged.slice(-5)) {
          const got = await fetch(`${replicas[1]?.url}/api/v1/registry/${sent.registryId}`);
          expect(got.status, sent.registryId).toBe(200);
        }
        const fsck = await matriz(
          ['fsck', '--data-dir', dirs[0] as string, '--database-url', url, '--json'],
          tempDir(),
        );
        expect(fsck.code, fsck.out + fsck.err).toBe(0);
        expect(JSON.parse(fsck.out)).toMatchObject({ ok: true, size });
      });
    },
  );

  it(
    'with witnesses, every replica serves the checkpoint the sequencer got cosigned, also after a failover',
    { timeout: 120_000 },
    async () => {
      await withScratchDatabase('matriz_witnessed', async (url) => {
        const work = tempDir();
        const env = { MATRIZ_LOG_PASSPHRASE: PASSPHRASE };
        const dirs = ['r0', 'r1'].map((name) => path.join(work, name));
        // The log's keys, for the witness's list of logs it follows.
        const setup = await startServe(replicaArgs(dirs[0] as string, url), env);
        const keys = await (await fetch(`${setup.url}/api/v1/log/keys`)).json();
        await setup.stop();
        cpSync(dirs[0] as string, dirs[1] as string, { recursive: true });
        const logs = path.join(work, 'logs.json');
        writeFileSync(logs, JSON.stringify({ logs: [keys] }));
        const witnessDir = path.join(work, 'witness');
        const witnessEnv = { MATRIZ_WITNESS_PASSPHRASE: 'witness passphrase for tests' };
        const init = captureIo({ cwd: work, env: witnessEnv });
        expect(
          await main(
            [
              'witness',
              'init',
              '--data-dir',
              witnessDir,
              '--name',
              'witness.test/w',
              '--key-scrypt-log-n',
              '10',
            ],
            init,
          ),
          init.err(),
        ).toBe(0);
        const witnessChild = spawn(
          process.execPath,
          [BIN, 'witness', 'serve', '--data-dir', witnessDir, '--logs', logs, '--port', '0'],
          { env: { ...process.env, ...witnessEnv }, stdio: ['ignore', 'ignore', 'pipe'] },
        );
        children.push(witnessChild);
        const witnessUrl = await new Promise<string>((resolve, reject) => {
          let stderr = '';
          witnessChild.stderr.on('data', (chunk: Buffer) => {
            stderr += chunk.toString();
            const match = /serving at (http:\/\/\S+)/.exec(stderr);
            if (match?.[1]) resolve(match[1]);
          });
          witnessChild.on('exit', (code) => {
            reject(new Error(`witness exited with ${String(code)}: ${stderr}`));
          });
        });
        const policy = path.join(work, 'policy.json');
        writeFileSync(
          policy,
          JSON.stringify({
            threshold: 1,
            witnesses: [{ vkey: init.out().trim(), url: witnessUrl }],
          }),
        );
        const replicas = [];
        for (const dir of dirs) {
          const replica = await startServe(
            replicaArgs(dir, url, ['--witness-policy', policy]),
            env,
          );
          servers.push(replica);
          replicas.push(replica);
        }
        const [first, second] = replicas as [ServeProcess, ServeProcess];
        const owner = await makeOwner('ed25519');
        const cosignedOn = async (server: ServeProcess, size: number): Promise<string> => {
          for (let attempt = 0; attempt < 200; attempt++) {
            const note = await checkpointOf(server);
            const parsed = parseNote(note);
            if (
              parseCheckpoint(parsed.text).size === size &&
              parsed.signatures.some((line) => line.name === 'witness.test/w')
            )
              return note;
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
          throw new Error(`${server.url} never served a cosigned checkpoint of size ${size}`);
        };
        for (const [i, name] of ['cosigned_a', 'cosigned_b'].entries()) {
          const sent: Sent = {
            registryId: `${name}@0.1.0`,
            body: owner.request({ op: 'register', nodeSpec: owner.spec(name) }, { origin: ORIGIN }),
          };
          await send(replicas, sent, i);
          expect(sent.status).toBe(200);
        }
        // The frontend serves the very note the sequencer published, cosignature included.
        const leader = await sequencerOf(replicas);
        const frontend = leader === first ? second : first;
        const published = await cosignedOn(leader, 2);
        expect(await cosignedOn(frontend, 2)).toBe(published);
        // The sequencer dies; the other takes over and its checkpoints are cosigned too.
        leader.child.kill('SIGKILL');
        expect(await sequencerOf([frontend])).toBe(frontend);
        const late: Sent = {
          registryId: 'cosigned_c@0.1.0',
          body: owner.request(
            { op: 'register', nodeSpec: owner.spec('cosigned_c') },
            { origin: ORIGIN },
          ),
        };
        await send([frontend], late, 0);
        expect(late.status).toBe(200);
        await cosignedOn(frontend, 3);
      });
    },
  );
});
