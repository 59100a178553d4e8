import { cp } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { makeBackupRecipient } from '../support/backup-recipient.js';
import { captureIo } from '../support/cli.js';
import {
  buildLogWithHistory,
  DATA_DIR_PASSPHRASE,
  openWriter,
  registerMany,
} from '../support/data-dir-log.js';
import { makeOwner } from '../support/registry.js';
import { POSTGRES_URL, postgresAvailable } from '../support/postgres.js';
import { startServe, type ServeProcess } from '../support/serve-process.js';
import { tempDir } from '../support/tmp.js';

const ORIGIN = 'backup.e2e/matriz';
/** The round trip: 10,000 entries, a rotation and a revocation in the history. */
const ENTRIES = 10_000;
const servers: ServeProcess[] = [];
const withPostgres = await postgresAvailable();

afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
});

describe('backup and restore of a running registry', () => {
  it(
    'exports a running server, restores it elsewhere, and a client pinned before the export verifies the restored server',
    { timeout: 180_000 },
    async () => {
      const work = tempDir();
      const dataDir = path.join(work, 'data');
      const env = {
        MATRIZ_CONFIG_DIR: path.join(work, 'client'),
        MATRIZ_KEY_PASSPHRASE: DATA_DIR_PASSPHRASE,
      };
      const matriz = async (args: string[]) => {
        const io = captureIo({ cwd: work, env });
        const code = await main(args, io);
        return { code, out: io.out(), err: io.err() };
      };
      await buildLogWithHistory(dataDir, ORIGIN, ENTRIES);
      const original = await startServe(['--data-dir', dataDir], {
        MATRIZ_KEY_PASSPHRASE: DATA_DIR_PASSPHRASE,
      });
      servers.push(original);
      const pinned = await matriz(['verify', '--server', original.url, '--json']);
      expect(pinned.code, pinned.err).toBe(0);

      // The log grows after the client pinned it; the server keeps running through the export.
      const writer = await openWriter(dataDir, ORIGIN);
      await registerMany(writer.registry, await makeOwner('ed25519'), ORIGIN, 5, 'later');
      await writer.close();
      await makeBackupRecipient(matriz, work);
      const exported = await matriz([
        'export',
        '--data-dir',
        dataDir,
        '--to',
        'backup.pub.json',
        '--out',
        'registry.mtzx',
        '--json',
      ]);
      expect(exported.code, exported.err).toBe(0);
      expect(original.child.exitCode).toBeNull();
      await original.stop();

      // Disk lost: the keys come back from their own backup, the log from the export.
      const restoredDir = path.join(work, 'restored');
      await cp(path.join(dataDir, 'keys'), path.join(restoredDir, 'keys'), { recursive: true });
      const restored = await matriz([
        'restore',
        '--in',
        'registry.mtzx',
        '--key',
        'backup.key',
        '--data-dir',
        restoredDir,
      ]);
      expect(restored.code, restored.err).toBe(0);
      expect((await matriz(['fsck', '--data-dir', restoredDir])).code).toBe(0);

      const again = await startServe(['--data-dir', restoredDir], {
        MATRIZ_KEY_PASSPHRASE: DATA_DIR_PASSPHRASE,
      });
      servers.push(again);
      const verified = await matriz(['verify', '--server', again.url, '--json']);
      expect(verified.code, verified.err).toBe(0);
      const result = JSON.parse(verified.out) as {
        ok: boolean;
        origin: string;
        size: number;
        consistent_with_size: number | null;
        keys_pinned_now: boolean;
      };
      expect(result).toMatchObject({ ok: true, origin: ORIGIN, keys_pinned_now: false });
      expect(result.size).toBe((JSON.parse(exported.out) as { tree_size: number }).tree_size);
      expect(result.consistent_with_size).toBe((JSON.parse(pinned.out) as { size: number }).size);
      await again.stop();

      // The same export onto PostgreSQL: the same log for the same pinned client.
      if (!withPostgres) return;
      const database = `matriz_restore_${Math.random().toString(16).slice(2, 10)}`;
      const admin = new pg.Client({ connectionString: POSTGRES_URL });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${database}`);
      try {
        const url = new URL(POSTGRES_URL);
        url.pathname = `/${database}`;
        const pgDir = path.join(work, 'restored-pg');
        await cp(path.join(dataDir, 'keys'), path.join(pgDir, 'keys'), { recursive: true });
        const db = ['--database-url', url.toString()];
        const onPostgres = await matriz([
          'restore',
          '--in',
          'registry.mtzx',
          '--key',
          'backup.key',
          '--data-dir',
          pgDir,
          ...db,
        ]);
        expect(onPostgres.code, onPostgres.err).toBe(0);
        expect((await matriz(['fsck', '--data-dir', pgDir, ...db])).code).toBe(0);
        const third = await startServe(['--data-dir', pgDir, ...db], {
          MATRIZ_KEY_PASSPHRASE: DATA_DIR_PASSPHRASE,
        });
        servers.push(third);
        const fromPostgres = await matriz(['verify', '--server', third.url, '--json']);
        expect(fromPostgres.code, fromPostgres.err).toBe(0);
        expect(JSON.parse(fromPostgres.out)).toMatchObject({
          ok: true,
          size: result.size,
          consistent_with_size: result.size,
        });
        await third.stop();
      } finally {
        await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
        await admin.end();
      }
    },
  );
});
