import { mkdtempSync, rmSync } from 'node:fs';
import { cp, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restoreLog } from '../../src/backup/restore.js';
import { exportLog } from '../../src/backup/export.js';
import { main } from '../../src/cli/main.js';
import { loadSignatureSuite } from '../../src/crypto/suites.js';
import { openRecipientKey } from '../../src/keystore/recipient-key-file.js';
import { readDataDirPublic } from '../../src/operator/data-dir.js';
import { fsck } from '../../src/registry/fsck.js';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { captureIo } from '../support/cli.js';
import {
  buildLogWithHistory,
  createDataDir,
  DATA_DIR_ENV,
  openStorage,
  openWriter,
  registerMany,
} from '../support/data-dir-log.js';
import { dropSchema, POSTGRES_URL, postgresAvailable, uniqueSchema } from '../support/postgres.js';
import { makeOwner } from '../support/registry.js';

const RECIPIENT_PASSPHRASE = 'recipient passphrase for tests';
const ENV = { ...DATA_DIR_ENV };
const RECIPIENT_ENV = { MATRIZ_KEY_PASSPHRASE: RECIPIENT_PASSPHRASE };
const postgres = await postgresAvailable();

let work = '';
const logA = () => path.join(work, 'log-a');
const logB = () => path.join(work, 'log-b');
const ORIGIN_A = 'backup.test/a';
const ORIGIN_B = 'backup.test/b';

async function cli(args: string[], env: Record<string, string> = ENV) {
  const io = captureIo({ cwd: work, env });
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

/** An x-wing recipient key pair made with the CLI: secret key file and public key JSON. */
async function recipient(name: string): Promise<{ key: string; pub: string }> {
  const key = path.join(work, `${name}.key`);
  const pub = path.join(work, `${name}.pub.json`);
  const made = await cli(
    ['keys', 'generate', '--alg', 'x-wing', '--out', key, '--scrypt-log-n', '10'],
    RECIPIENT_ENV,
  );
  expect(made.code, made.err).toBe(0);
  const exported = await cli(['keys', 'export-public', key]);
  expect(exported.code, exported.err).toBe(0);
  await writeFile(pub, exported.out);
  return { key, pub };
}

async function fsckDataDir(dataDir: string) {
  const dir = await readDataDirPublic(dataDir);
  const store = openSqliteStore({ path: dir.databaseFile, readonly: true });
  try {
    return await fsck({
      store,
      verifier: {
        name: dir.origin,
        ed25519PublicKey: dir.ed25519PublicKey,
        mlDsa44PublicKey: dir.mlDsa44PublicKey,
        ed25519: await loadSignatureSuite('ed25519'),
        mlDsa44: await loadSignatureSuite('ml-dsa-44'),
      },
      loadSuite: (algorithm) => loadSignatureSuite(algorithm),
    });
  } finally {
    await store.close();
  }
}

async function latestCheckpoint(databaseFile: string): Promise<string | undefined> {
  const store = openSqliteStore({ path: databaseFile, readonly: true });
  try {
    return (await store.latestCheckpoint())?.note;
  } finally {
    await store.close();
  }
}

/** Everything under a directory, for "the target is untouched". */
async function listing(directory: string): Promise<string[]> {
  return (await readdir(directory, { recursive: true })).sort();
}

let alice: { key: string; pub: string };
let bob: { key: string; pub: string };
let exportA = '';
let exportB = '';

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'matriz-backup-'));
  await buildLogWithHistory(logA(), ORIGIN_A, 300);
  await buildLogWithHistory(logB(), ORIGIN_B, 6);
  alice = await recipient('alice');
  bob = await recipient('bob');
  exportA = path.join(work, 'a.mtzx');
  exportB = path.join(work, 'b.mtzx');
  const a = await cli(['export', '--data-dir', logA(), '--to', alice.pub, '--out', exportA]);
  expect(a.code, a.err).toBe(0);
  const b = await cli(['export', '--data-dir', logB(), '--to', alice.pub, '--out', exportB]);
  expect(b.code, b.err).toBe(0);
}, 240_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('matriz export and restore', () => {
  it('round-trips a log with a trust root, a rotation and a revocation into a new SQLite data directory: same checkpoint, fsck clean', async () => {
    const target = path.join(work, 'restored-sqlite');
    const restored = await cli(
      ['restore', '--in', exportA, '--key', alice.key, '--data-dir', target, '--json'],
      RECIPIENT_ENV,
    );
    expect(restored.code, restored.err).toBe(0);
    const summary = JSON.parse(restored.out) as { tree_size: number; entries: number };
    expect(summary.entries).toBe(302);
    expect(await latestCheckpoint(path.join(target, 'registry.sqlite3'))).toBe(
      await latestCheckpoint(path.join(logA(), 'registry.sqlite3')),
    );
    // The log keys come from their own backup, as the runbook says.
    await cp(path.join(logA(), 'keys'), path.join(target, 'keys'), { recursive: true });
    const report = await fsckDataDir(target);
    expect(report.problems).toEqual([]);
    expect(report.size).toBe(summary.tree_size);
    const again = await cli(['fsck', '--data-dir', target]);
    expect(again.code, again.out).toBe(0);
  });

  it('restores into a data directory that holds only the restored keys/', async () => {
    const target = path.join(work, 'restored-with-keys');
    await cp(path.join(logA(), 'keys'), path.join(target, 'keys'), { recursive: true });
    const restored = await cli(
      ['restore', '--in', exportA, '--key', alice.key, '--data-dir', target],
      RECIPIENT_ENV,
    );
    expect(restored.code, restored.err).toBe(0);
    expect((await fsckDataDir(target)).ok).toBe(true);
  });

  it.runIf(postgres)(
    'round-trips SQLite to PostgreSQL in one transaction: same checkpoint, fsck clean',
    async () => {
      const schema = uniqueSchema();
      try {
        const key = await openRecipientKey(alice.key, RECIPIENT_PASSPHRASE);
        const summary = await restoreLog({
          file: exportA,
          recipient: key,
          target: { kind: 'postgres', databaseUrl: POSTGRES_URL, schema },
        });
        const store = await openPostgresStore({ connectionString: POSTGRES_URL, schema });
        try {
          expect((await store.latestCheckpoint())?.note).toBe(
            await latestCheckpoint(path.join(logA(), 'registry.sqlite3')),
          );
          expect(await store.treeSize()).toBe(summary.treeSize);
          const dir = await readDataDirPublic(logA());
          const report = await fsck({
            store,
            verifier: {
              name: dir.origin,
              ed25519PublicKey: dir.ed25519PublicKey,
              mlDsa44PublicKey: dir.mlDsa44PublicKey,
              ed25519: await loadSignatureSuite('ed25519'),
              mlDsa44: await loadSignatureSuite('ml-dsa-44'),
            },
            loadSuite: (algorithm) => loadSignatureSuite(algorithm),
          });
          expect(report.problems).toEqual([]);
          // A second restore into the same schema is refused, never merged.
          await expect(
            restoreLog({
              file: exportA,
              recipient: key,
              target: { kind: 'postgres', databaseUrl: POSTGRES_URL, schema },
            }),
          ).rejects.toMatchObject({ code: 'target-not-empty' });
          expect(await store.treeSize()).toBe(summary.treeSize);

          // And back: an export read from PostgreSQL (REPEATABLE READ) restores to the same log.
          const fromPostgres = path.join(work, 'from-postgres.mtzx');
          await exportLog({
            dataDir: logA(),
            databaseUrl: POSTGRES_URL,
            schema,
            recipients: [key],
            out: fromPostgres,
            env: ENV,
            warn: () => undefined,
          });
          const back = path.join(work, 'from-postgres');
          const again = await restoreLog({
            file: fromPostgres,
            recipient: key,
            target: { kind: 'sqlite', dataDir: back },
          });
          expect(again.rootHash).toBe(summary.rootHash);
          expect(await latestCheckpoint(path.join(back, 'registry.sqlite3'))).toBe(
            await latestCheckpoint(path.join(logA(), 'registry.sqlite3')),
          );
        } finally {
          await store.close();
        }
      } finally {
        await dropSchema(schema);
      }
    },
  );

  /** Restores `file` into a fresh directory with `key`; expects refusal; the target stays absent. */
  async function refused(file: string, key = alice.key, extra: string[] = []) {
    const parent = mkdtempSync(path.join(work, 'target-'));
    const target = path.join(parent, 'data');
    const result = await cli(
      ['restore', '--in', file, '--key', key, '--data-dir', target, ...extra],
      RECIPIENT_ENV,
    );
    expect(result.code).toBe(1);
    expect(await readdir(parent)).toEqual([]);
    expect(result.err.trim().split('\n')).toHaveLength(1);
    return result.err;
  }

  async function flipped(name: string, at: (size: number, headerEnd: number) => number) {
    const bytes = new Uint8Array(await readFile(exportA));
    const headerEnd = 15 + 4 + new DataView(bytes.buffer).getUint32(15);
    const copy = path.join(work, name);
    const offset = at(bytes.length, headerEnd);
    bytes[offset] = (bytes[offset] ?? 0) ^ 0x01;
    await writeFile(copy, bytes);
    return copy;
  }

  it('refuses a flipped byte in the header, in a chunk, or in the trailer, each with its own message, writing nothing', async () => {
    const header = await refused(await flipped('header.mtzx', () => 40));
    const chunk = await refused(await flipped('chunk.mtzx', (_, headerEnd) => headerEnd + 70_000));
    const trailer = await refused(await flipped('trailer.mtzx', (size) => size - 200));
    expect(header).toMatch(/refused: header-modified: .*header was modified/);
    expect(chunk).toMatch(/refused: body-damaged: .*encrypted body is damaged/);
    expect(trailer).toMatch(/refused: trailer-damaged: .*trailer \(signature\) is damaged/);
  });

  it('refuses a truncated file', async () => {
    const copy = path.join(work, 'truncated.mtzx');
    await cp(exportA, copy);
    await truncate(copy, (await stat(copy)).size - 1000);
    expect(await refused(copy)).toMatch(/refused: truncated: .*truncated or not a matriz export/);
  });

  it('refuses a recipient key the export is not sealed to', async () => {
    expect(await refused(exportA, bob.key)).toMatch(
      /refused: not-a-recipient: this export is not sealed to key/,
    );
  });

  it('refuses an export of another log given the pinned trust root of this one', async () => {
    const pinned = path.join(work, 'root-a.json');
    const shown = await cli([
      'trust',
      'show',
      '--data-dir',
      logA(),
      '--root-version',
      '1',
      '--envelope',
    ]);
    expect(shown.code, shown.err).toBe(0);
    await writeFile(pinned, shown.out);
    expect(await refused(exportB, alice.key, ['--trust-root', pinned])).toMatch(
      /refused: other-log: this is an export of log backup.test\/b; the pinned trust root is of backup.test\/a/,
    );
  });

  it('with --log-key (the log keys JSON a client saved), restores only an export that key signed', async () => {
    const saved = async (dataDir: string, origin: string, file: string) => {
      const writer = await openWriter(dataDir, origin);
      try {
        await writeFile(path.join(work, file), JSON.stringify(await writer.registry.keys()));
      } finally {
        await writer.close();
      }
      return path.join(work, file);
    };
    const keysA = await saved(logA(), ORIGIN_A, 'keys-a.json');
    const keysB = await saved(logB(), ORIGIN_B, 'keys-b.json');
    const target = path.join(mkdtempSync(path.join(work, 'pinned-')), 'data');
    const restored = await cli(
      ['restore', '--in', exportA, '--key', alice.key, '--data-dir', target, '--log-key', keysA],
      RECIPIENT_ENV,
    );
    expect(restored.code, restored.err).toBe(0);
    expect(await refused(exportB, alice.key, ['--log-key', keysA])).toMatch(
      /refused: other-log: this is an export of log backup.test\/b; the pinned log key is of backup.test\/a/,
    );
    // Another log's key under this log's name: the origin matches, the signature does not.
    const forged = JSON.parse(await readFile(keysB, 'utf8')) as Record<string, unknown>;
    await writeFile(
      path.join(work, 'keys-b-as-a.json'),
      JSON.stringify({ ...forged, origin: ORIGIN_A }),
    );
    expect(
      await refused(exportA, alice.key, ['--log-key', path.join(work, 'keys-b-as-a.json')]),
    ).toMatch(/refused: other-log: the export is not signed by the pinned log key [0-9a-f]{64}/);
  });

  it('refuses a target that is not empty and leaves it as it was', async () => {
    const target = path.join(work, 'occupied');
    await createDataDir(target, 'backup.test/occupied');
    const before = await listing(target);
    const result = await cli(
      ['restore', '--in', exportA, '--key', alice.key, '--data-dir', target],
      RECIPIENT_ENV,
    );
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/is not empty/);
    expect(await listing(target)).toEqual(before);
  });

  it('writes a plaintext export only with --plaintext, says so loudly, and restores it only with --plaintext', async () => {
    const file = path.join(work, 'plain.mtzx');
    const made = await cli(['export', '--data-dir', logB(), '--plaintext', '--out', file]);
    expect(made.code, made.err).toBe(0);
    expect(made.err).toMatch(/NOT ENCRYPTED/);
    expect(await refused(file)).toMatch(/refused: plaintext: this export is NOT encrypted/);
    const restored = await cli([
      'restore',
      '--in',
      file,
      '--plaintext',
      '--data-dir',
      path.join(work, 'plain-restored'),
    ]);
    expect(restored.code, restored.err).toBe(0);
  });

  it('round-trips an empty log', async () => {
    const dataDir = path.join(work, 'empty');
    await createDataDir(dataDir, 'backup.test/empty');
    await (await openStorage(dataDir)).close();
    const file = path.join(work, 'empty.mtzx');
    expect(
      (await cli(['export', '--data-dir', dataDir, '--to', alice.pub, '--out', file])).code,
    ).toBe(0);
    const restored = await cli(
      [
        'restore',
        '--in',
        file,
        '--key',
        alice.key,
        '--data-dir',
        path.join(work, 'empty-restored'),
        '--json',
      ],
      RECIPIENT_ENV,
    );
    expect(restored.code, restored.err).toBe(0);
    expect(JSON.parse(restored.out)).toMatchObject({ tree_size: 0, entries: 0 });
  });

  it('refuses to overwrite an existing export file', async () => {
    const result = await cli(['export', '--data-dir', logB(), '--to', alice.pub, '--out', exportB]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/already exists/);
  });

  it('exports a consistent snapshot while writes go on', async () => {
    const dataDir = path.join(work, 'busy');
    const origin = 'backup.test/busy';
    await createDataDir(dataDir, origin);
    const owner = await makeOwner('ed25519');
    const writer = await openWriter(dataDir, origin);
    await registerMany(writer.registry, owner, origin, 150, 'first');
    const file = path.join(work, 'busy.mtzx');
    let writing = true;
    let extra = 0;
    const writes = (async () => {
      while (writing) {
        await registerMany(writer.registry, owner, origin, 5, `during_${extra}`);
        extra++;
      }
    })();
    const key = await openRecipientKey(alice.key, RECIPIENT_PASSPHRASE);
    const summary = await exportLog({
      dataDir,
      recipients: [key],
      out: file,
      env: ENV,
      warn: () => undefined,
    });
    writing = false;
    await writes;
    await writer.close();
    expect(extra).toBeGreaterThan(0);
    const target = path.join(work, 'busy-restored');
    const restored = await restoreLog({
      file,
      recipient: key,
      target: { kind: 'sqlite', dataDir: target },
    });
    expect(restored.treeSize).toBe(summary.treeSize);
    expect(restored.entries).toBe(summary.counts.entry);
    const live = openSqliteStore({ path: path.join(dataDir, 'registry.sqlite3'), readonly: true });
    try {
      expect(await live.treeSize()).toBeGreaterThan(summary.treeSize);
      expect((await live.checkpointAt(summary.treeSize))?.note).toBe(
        await latestCheckpoint(path.join(target, 'registry.sqlite3')),
      );
    } finally {
      await live.close();
    }
  });
});
