/**
 * `matriz audit` against a real `matriz serve` and against `matriz tiles export`'s directory: a log
 * with a trust history is clean, a grown log is checked from where the last audit stopped, and a
 * changed bundle, a leaf the policy would refuse and a rolled-back tree each get their exit code.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../support/cli.js';
import {
  buildLogWithHistory,
  DATA_DIR_PASSPHRASE,
  openWriter,
  registerMany,
} from '../support/data-dir-log.js';
import { makeOwner, ORIGIN } from '../support/registry.js';
import { startServe, type ServeProcess } from '../support/serve-process.js';
import { tempDir } from '../support/tmp.js';

const servers: ServeProcess[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

interface AuditJson {
  ok: boolean;
  origin: string;
  size: number;
  root: string;
  resumed_from: number;
  checked: number;
  entries: number;
  problems: string[];
}

describe('matriz audit', () => {
  it(
    'checks a whole log with its trust history from the server and from exported tiles, resumes, and catches a changed bundle and a rollback',
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
      const auditJson = async (args: string[]) => {
        const run = await matriz(['audit', ...args, '--json']);
        return { ...run, report: run.code <= 1 ? (JSON.parse(run.out) as AuditJson) : undefined };
      };
      // Entries, a trust root, an enrolment, a log key rotation, a revocation, more entries.
      await buildLogWithHistory(dataDir, ORIGIN, 300);
      const server = await startServe(['--data-dir', dataDir], env);
      servers.push(server);

      const first = await auditJson(['--server', server.url]);
      expect(first.code, first.err).toBe(0);
      const fsck = await matriz(['fsck', '--data-dir', dataDir, '--json']);
      const fsckReport = JSON.parse(fsck.out) as { size: number; entries: number };
      expect(first.report).toMatchObject({
        ok: true,
        origin: ORIGIN,
        size: fsckReport.size,
        resumed_from: 0,
        checked: fsckReport.size,
        entries: fsckReport.entries,
        problems: [],
      });
      expect(first.report?.size).toBeGreaterThan(300);

      // Tiles of this size, for the rollback below.
      const old = path.join(work, 'old-tiles');
      expect((await matriz(['tiles', 'export', '--data-dir', dataDir, '--out', old])).code).toBe(0);

      // The log grows: the next audit checks only the new leaves.
      const writer = await openWriter(dataDir, ORIGIN);
      await registerMany(writer.registry, await makeOwner('ed25519'), ORIGIN, 20, 'later');
      await writer.close();
      const second = await auditJson(['--server', server.url]);
      expect(second.code, second.err).toBe(0);
      expect(second.report?.resumed_from).toBe(first.report?.size);
      expect(second.report?.checked).toBe(20);
      expect(second.report?.size).toBe((first.report?.size ?? 0) + 20);

      // The exported directory, audited from leaf 0 with the keys pinned above.
      const tiles = path.join(work, 'tiles');
      expect((await matriz(['tiles', 'export', '--data-dir', dataDir, '--out', tiles])).code).toBe(
        0,
      );
      const fromFiles = await auditJson(['--tiles', tiles, '--restart', '--threads', '2']);
      expect(fromFiles.code, fromFiles.err).toBe(0);
      expect(fromFiles.report).toMatchObject({
        ok: true,
        size: second.report?.size,
        root: second.report?.root,
        resumed_from: 0,
        checked: second.report?.size,
        entries: second.report?.entries ?? 0,
      });

      // An older tree than this client has seen: a rollback (exit 4).
      const rolledBack = await matriz(['audit', '--tiles', old]);
      expect(rolledBack.code, rolledBack.err).toBe(4);
      expect(rolledBack.err).toMatch(/^matriz: LOG FORK OR ROLLBACK: the log rolled back/);

      // One byte changed in an entry bundle: its leaf no longer hashes to the level-0 tile.
      const bundle = path.join(tiles, 'tile/entries/000');
      const bytes = await readFile(bundle);
      bytes[100] = (bytes[100] ?? 0) ^ 1;
      await writeFile(bundle, bytes);
      const changed = await matriz(['audit', '--tiles', tiles, '--restart']);
      expect(changed.code, changed.err).toBe(3);
      expect(changed.err).toMatch(
        /^matriz: verification failed: leaf \d+ in tile\/entries\/000 does not hash to the leaf hash in tile\/0\/000\n$/,
      );

      // Without pinned keys, a directory cannot be trusted: usage error, one line.
      const stranger = await main(
        ['audit', '--tiles', tiles],
        captureIo({ cwd: work, env: { MATRIZ_CONFIG_DIR: path.join(work, 'other') } }),
      );
      expect(stranger).toBe(2);
    },
  );

  it(
    'names the leaves a registry should have refused under the policy it is given (exit 1)',
    { timeout: 120_000 },
    async () => {
      const work = tempDir();
      const dataDir = path.join(work, 'data');
      const env = {
        MATRIZ_CONFIG_DIR: path.join(work, 'client'),
        MATRIZ_KEY_PASSPHRASE: DATA_DIR_PASSPHRASE,
      };
      await writeFile(
        path.join(work, 'open.json'),
        JSON.stringify({ open: { lanes: ['candidate', 'core'], max_tier: 7 } }),
      );
      await writeFile(path.join(work, 'strict.json'), JSON.stringify({}));
      await buildLogWithHistory(dataDir, ORIGIN, 10);
      const server = await startServe(
        ['--data-dir', dataDir, '--policy', path.join(work, 'open.json')],
        env,
      );
      servers.push(server);
      const owner = await makeOwner('ed25519');
      const spec = owner.spec('core_node', '1.0.0');
      spec.identity.lane = 'core';
      spec.identity.tier = 5;
      const response = await fetch(`${server.url}/api/v1/registry/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(owner.request({ op: 'register', nodeSpec: spec }, { origin: ORIGIN })),
      });
      expect(response.status).toBe(200);
      const { index } = (await response.json()) as { index: number };

      const matriz = async (args: string[]) => {
        const io = captureIo({ cwd: work, env });
        const code = await main(args, io);
        return { code, out: io.out(), err: io.err() };
      };
      const open = await matriz([
        'audit',
        '--server',
        server.url,
        '--policy',
        path.join(work, 'open.json'),
      ]);
      expect(open.code, open.err).toBe(0);
      expect(open.out).toMatch(/^clean: log /);
      const strict = await matriz([
        'audit',
        '--server',
        server.url,
        '--restart',
        '--policy',
        path.join(work, 'strict.json'),
      ]);
      expect(strict.code, strict.err).toBe(1);
      expect(strict.out).toContain(`problem: leaf ${index} should have been refused: not-entitled`);
      expect(strict.out).toMatch(/\n1 problem\(s\): log /);
      // A resumed audit checks no leaf again, and still reports what it found in them.
      const again = await matriz([
        'audit',
        '--server',
        server.url,
        '--policy',
        path.join(work, 'strict.json'),
        '--json',
      ]);
      expect(again.code, again.err).toBe(1);
      expect(JSON.parse(again.out)).toMatchObject({
        ok: false,
        checked: 0,
        problems: [expect.stringContaining(`leaf ${index} should have been refused`)],
      });
    },
  );
});
