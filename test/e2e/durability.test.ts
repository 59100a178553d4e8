import { execFileSync } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../support/cli.js';
import { makeOwner, type Owner } from '../support/registry.js';
import { startServe } from '../support/serve-process.js';
import { tempDir } from '../support/tmp.js';

const PASSPHRASE = 'durability test passphrase';
const ROUNDS = 20;

async function fsckJson(
  dataDir: string,
): Promise<{ ok: boolean; size: number; problems: string[] }> {
  const io = captureIo({ env: {} });
  const code = await main(['fsck', '--data-dir', dataDir, '--json'], io);
  const report = JSON.parse(io.out()) as { ok: boolean; size: number; problems: string[] };
  expect(code).toBe(report.ok ? 0 : 1);
  return report;
}

/** Fires signed registrations until `stop`, returning those the server acknowledged. */
async function writeStream(
  url: string,
  origin: string,
  owner: Owner,
  round: number,
  stop: Promise<void>,
): Promise<string[]> {
  const acknowledged: string[] = [];
  let stopped = false;
  void stop.then(() => {
    stopped = true;
  });
  const worker = async (w: number): Promise<void> => {
    for (let i = 0; !stopped; i++) {
      const spec = owner.spec(`r${round}-w${w}-n${i}`);
      const body = owner.request({ op: 'register', nodeSpec: spec }, { origin });
      try {
        const response = await fetch(`${url}/api/v1/registry/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        if (response.status === 200)
          acknowledged.push(`${spec.metadata.name}@${spec.metadata.version}`);
        else await response.body?.cancel();
      } catch {
        return; // the server died mid-request: that write was never acknowledged
      }
    }
  };
  await Promise.all([0, 1, 2, 3].map(worker));
  return acknowledged;
}

describe('durability', () => {
  it(
    `kill -9 during a stream of writes, ${ROUNDS} times: no acknowledged write is lost and fsck is clean`,
    { timeout: 600_000 },
    async () => {
      const dataDir = path.join(tempDir(), 'data');
      const owner = await makeOwner('ed25519');
      const args = [
        '--data-dir',
        dataDir,
        '--origin',
        'registry.test/durability',
        '--key-scrypt-log-n',
        '10',
        '--rate-limit',
        '1000000',
      ];
      const all: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const server = await startServe(args, { MATRIZ_KEY_PASSPHRASE: PASSPHRASE });
        const killAfter = new Promise<void>((resolve) =>
          setTimeout(resolve, 150 + Math.floor(Math.random() * 350)),
        );
        const stream = writeStream(server.url, 'registry.test/durability', owner, round, killAfter);
        await killAfter;
        await server.stop('SIGKILL');
        all.push(...(await stream));

        const report = await fsckJson(dataDir);
        expect(report.problems).toStrictEqual([]);
        expect(report.size).toBeGreaterThanOrEqual(all.length);
      }
      expect(all.length).toBeGreaterThan(ROUNDS);
      // Every acknowledged write is in the registry, after all those crashes.
      const db = new Database(path.join(dataDir, 'registry.sqlite3'), { readonly: true });
      const stored = new Set(
        db.prepare('SELECT registry_id FROM entries').pluck().all() as string[],
      );
      db.close();
      expect(all.filter((id) => !stored.has(id))).toStrictEqual([]);
    },
  );
});

describe('matriz fsck', () => {
  it('finds a tampered entry and a tampered leaf', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const owner = await makeOwner('ed25519');
    const server = await startServe(
      ['--data-dir', dataDir, '--origin', 'registry.test/fsck', '--key-scrypt-log-n', '10'],
      {
        MATRIZ_KEY_PASSPHRASE: PASSPHRASE,
      },
    );
    for (const name of ['a', 'b', 'c']) {
      const response = await fetch(`${server.url}/api/v1/registry/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(
          owner.request(
            { op: 'register', nodeSpec: owner.spec(name) },
            { origin: 'registry.test/fsck' },
          ),
        ),
      });
      expect(response.status).toBe(200);
    }
    await server.stop();
    expect(await fsckJson(dataDir)).toMatchObject({ ok: true, size: 3 });

    const file = path.join(dataDir, 'registry.sqlite3');
    const sql = (statement: string): void => {
      execFileSync(
        process.execPath,
        [
          '-e',
          `const D=require('better-sqlite3');const d=new D(${JSON.stringify(file)});d.exec(${JSON.stringify(statement)});d.close()`,
        ],
        {
          cwd: path.resolve(import.meta.dirname, '../..'),
        },
      );
    };
    sql("UPDATE entries SET tier = 7 WHERE registry_id = 'b@0.1.0'");
    expect((await fsckJson(dataDir)).problems).toStrictEqual([
      'entry b@0.1.0 differs from the replay of the log',
    ]);
    sql("UPDATE entries SET tier = 2 WHERE registry_id = 'b@0.1.0'");
    // What queries answer is checked against the entry too.
    sql(
      "UPDATE entries SET served_json = REPLACE(served_json, '\"tier\":2', '\"tier\":3') WHERE registry_id = 'a@0.1.0'",
    );
    sql("UPDATE entry_terms SET term = 'l:core' WHERE registry_id = 'c@0.1.0' AND term LIKE 'l:%'");
    expect((await fsckJson(dataDir)).problems).toStrictEqual([
      "the stored answer of entry a@0.1.0 is not the entry's",
      "the query terms of entry c@0.1.0 are not the entry's",
    ]);
    sql(
      "UPDATE entries SET served_json = REPLACE(served_json, '\"tier\":3', '\"tier\":2') WHERE registry_id = 'a@0.1.0'",
    );
    sql(
      "UPDATE entry_terms SET term = 'l:candidate' WHERE registry_id = 'c@0.1.0' AND term = 'l:core'",
    );
    expect(await fsckJson(dataDir)).toMatchObject({ ok: true });
    sql(
      "UPDATE leaves SET data = CAST(REPLACE(CAST(data AS TEXT), 'c@0.1.0', 'x@0.1.0') AS BLOB) WHERE idx = 2",
    );
    const tampered = await fsckJson(dataDir);
    expect(tampered.ok).toBe(false);
    expect(tampered.problems).toEqual(
      expect.arrayContaining([
        'leaf 2 says registry id x@0.1.0, its request says c@0.1.0',
        'stored hash of subtree (level 0, index 2) does not match its leaves',
        'the root hash of the stored leaves is not the root hash in the signed checkpoint of size 3',
      ]),
    );
  });
});
