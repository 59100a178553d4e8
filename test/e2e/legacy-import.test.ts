/**
 * `matriz import-legacy` and `matriz owners claim` as an operator runs them: the shared sample
 * of the prototype imports with the right counts, a changed store or the wrong key is refused
 * with nothing written, invalid entries stop the import unless --skip-invalid, an imported entry
 * is refused for deregistration until claimed, and the log with its imports and claims survives
 * an export and restore with fsck clean.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { makeBackupRecipient } from '../support/backup-recipient.js';
import { captureIo } from '../support/cli.js';
import { createDataDir, DATA_DIR_PASSPHRASE } from '../support/data-dir-log.js';
import {
  LEGACY_SAMPLE_DIR,
  legacySample,
  legacySpec,
  writeLegacyStore,
} from '../support/legacy-store.js';
import { startServe, type ServeProcess } from '../support/serve-process.js';
import { tempDir } from '../support/tmp.js';

const ORIGIN = 'legacy.e2e/matriz';
const servers: ServeProcess[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
});

function cli(work: string) {
  const env = {
    MATRIZ_CONFIG_DIR: path.join(work, 'client'),
    MATRIZ_LOG_PASSPHRASE: DATA_DIR_PASSPHRASE,
    MATRIZ_OWNER_PASSPHRASE: DATA_DIR_PASSPHRASE,
    // Recipient (x-wing) key files still read the generic variable.
    MATRIZ_KEY_PASSPHRASE: DATA_DIR_PASSPHRASE,
    LEGACY_KEY: legacySample().key,
    OTHER_KEY: 'not the prototype key',
  };
  return async (args: string[]) => {
    const io = captureIo({ cwd: work, env });
    const code = await main(args, io);
    return { code, out: io.out(), err: io.err() };
  };
}

const sampleArgs = (
  dataDir: string,
  store = path.join(LEGACY_SAMPLE_DIR, 'registry_store.json'),
) => [
  'import-legacy',
  '--data-dir',
  dataDir,
  '--store',
  store,
  '--sig',
  path.join(LEGACY_SAMPLE_DIR, 'checkpoint.sig'),
  '--hmac-key-env',
  'LEGACY_KEY',
];

describe('matriz import-legacy', () => {
  it(
    'imports the shared sample once, refuses a changed store and the wrong key, and deregistration waits for a claim',
    { timeout: 180_000 },
    async () => {
      const work = tempDir();
      const matriz = cli(work);
      const dataDir = path.join(work, 'data');
      await createDataDir(dataDir, ORIGIN);
      const noRoot = await matriz(sampleArgs(dataDir));
      expect(noRoot.code).toBe(2);
      expect(noRoot.err).toMatch(/no trust root yet: run matriz trust init/);
      expect(
        (await matriz(['trust', 'init', '--data-dir', dataDir, '--key-scrypt-log-n', '10'])).code,
      ).toBe(0);

      // A store with one byte changed, or the wrong key: refused, nothing written.
      const changed = new Uint8Array(
        await readFile(path.join(LEGACY_SAMPLE_DIR, 'registry_store.json')),
      );
      changed[200] = (changed[200] as number) ^ 0x20;
      await writeFile(path.join(work, 'changed.json'), changed);
      const tampered = await matriz([...sampleArgs(dataDir, 'changed.json'), '--json']);
      expect(tampered.code).toBe(1);
      expect(tampered.err).toMatch(/^matriz: refused: changed\.json: tampered, torn or wrong key/);
      const wrongKey = await matriz([...sampleArgs(dataDir).slice(0, -1), 'OTHER_KEY']);
      expect(wrongKey.code).toBe(1);
      expect(wrongKey.err).toMatch(/tampered, torn or wrong key/);
      expect((await matriz(['fsck', '--data-dir', dataDir])).out).toMatch(
        /clean: 1 leaves, 0 entries/,
      );

      const imported = await matriz([...sampleArgs(dataDir), '--json']);
      expect(imported.code, imported.err).toBe(0);
      const summary = JSON.parse(imported.out) as {
        source: { entries: number; version: number; sha256: string };
        imported: { registry_id: string; log_index: number }[];
        already_imported: unknown[];
        skipped: unknown[];
      };
      expect(summary.source).toMatchObject({ entries: 5, version: 7 });
      expect(summary.imported.map((i) => i.registry_id)).toEqual([
        'memoria_adapter_episodic@0.1.0',
        'oneiric_core_v2@0.3.0',
        'memoria_adapter_semantic@0.0.4',
        'memoria_cache_edge@0.2.1',
        'oneiric_kernel_bridge@2.0.0-rc1',
      ]);
      expect(summary.skipped).toEqual([]);
      const rerun = await matriz(sampleArgs(dataDir));
      expect(rerun.code).toBe(0);
      expect(rerun.out).toMatch(/0 imported, 5 already imported, 0 skipped, 0 refused/);
      expect((await matriz(['fsck', '--data-dir', dataDir])).out).toMatch(
        /clean: 6 leaves, 5 entries/,
      );

      // The owner comes forward with a key; until the operator's claim, deregistration is refused.
      expect(
        (
          await matriz([
            'keys',
            'generate',
            '--alg',
            'ed25519',
            '--out',
            'owner.key',
            '--scrypt-log-n',
            '10',
          ])
        ).code,
      ).toBe(0);
      await writeFile(
        path.join(work, 'owner.pub.json'),
        (await matriz(['keys', 'export-public', 'owner.key'])).out,
      );
      const server = await startServe(['--data-dir', dataDir], {
        MATRIZ_KEY_PASSPHRASE: DATA_DIR_PASSPHRASE,
      });
      servers.push(server);
      const id = 'oneiric_core_v2@0.3.0';
      const got = await matriz(['get', id, '--server', server.url, '--json']);
      expect(JSON.parse(got.out)).toMatchObject({ provenance: 'legacy-import', status: 'active' });
      const deregister = () =>
        matriz(['deregister', id, '--server', server.url, '--key', 'owner.key', '--json']);
      const early = await deregister();
      expect(early.code).not.toBe(0);
      expect(early.err).toMatch(/unclaimed|no owner key yet/);

      const claimed = await matriz([
        'owners',
        'claim',
        id,
        '--data-dir',
        dataDir,
        '--pub',
        'owner.pub.json',
        '--json',
      ]);
      expect(claimed.code, claimed.err).toBe(0);
      expect(JSON.parse(claimed.out)).toMatchObject({ registry_id: id, log_index: 6 });
      const notImported = await matriz([
        'owners',
        'claim',
        'nothing_here@1.0.0',
        '--data-dir',
        dataDir,
        '--pub',
        'owner.pub.json',
      ]);
      expect(notImported.code).toBe(1);
      expect(notImported.err).toMatch(
        /^matriz: refused: not-found: nothing_here@1\.0\.0 is not in this registry/,
      );

      const done = await deregister();
      expect(done.code, done.err).toBe(0);
      expect(JSON.parse(done.out)).toMatchObject({ registry_id: id, index: 7 });
      // A monitor replays the real prototype's imports, the claim and the deregistration from
      // the tiles with the registry's own rules.
      const audit = await matriz(['audit', '--server', server.url, '--json']);
      expect(audit.code, audit.err).toBe(0);
      expect(JSON.parse(audit.out)).toMatchObject({ ok: true, size: 8, checked: 8, problems: [] });
      await server.stop();

      // The imports and the claim survive an export and a restore; fsck replays them clean.
      await makeBackupRecipient(matriz, work);
      const exported = await matriz([
        'export',
        '--data-dir',
        dataDir,
        '--to',
        'backup.pub.json',
        '--out',
        'log.mtzx',
      ]);
      expect(exported.code, exported.err).toBe(0);
      const restoredDir = path.join(work, 'restored');
      await cp(path.join(dataDir, 'keys'), path.join(restoredDir, 'keys'), { recursive: true });
      const restored = await matriz([
        'restore',
        '--in',
        'log.mtzx',
        '--key',
        'backup.key',
        '--data-dir',
        restoredDir,
      ]);
      expect(restored.code, restored.err).toBe(0);
      expect((await matriz(['fsck', '--data-dir', restoredDir])).out).toMatch(
        /clean: 8 leaves, 5 entries/,
      );
    },
  );

  it(
    'stops on entries it cannot import unless --skip-invalid, then lists each skip and records it in the log',
    { timeout: 120_000 },
    async () => {
      const work = tempDir();
      const matriz = cli(work);
      const dataDir = path.join(work, 'data');
      await createDataDir(dataDir, ORIGIN);
      expect(
        (await matriz(['trust', 'init', '--data-dir', dataDir, '--key-scrypt-log-n', '10'])).code,
      ).toBe(0);
      const broken = legacySpec('broken_node', '1.0.0');
      broken.identity.lane = 'nowhere';
      const written = writeLegacyStore(
        [
          { id: 'good_node::1796457001', nodeSpec: legacySpec('good_node', '1.0.0') },
          { id: 'broken_node::1796457002', nodeSpec: broken },
          { id: 'twice_node::1796457003', nodeSpec: legacySpec('twice_node', '1.0.0') },
          { id: 'twice_node::1796457004', nodeSpec: legacySpec('twice_node', '1.0.0') },
        ],
        legacySample().key,
      );
      await writeFile(path.join(work, 'store.json'), written.store);
      await writeFile(path.join(work, 'store.sig'), written.sig);
      const args = [
        'import-legacy',
        '--data-dir',
        dataDir,
        '--store',
        'store.json',
        '--sig',
        'store.sig',
        '--hmac-key-env',
        'LEGACY_KEY',
      ];
      const stopped = await matriz(args);
      expect(stopped.code).toBe(1);
      expect(stopped.err).toMatch(
        /cannot import broken_node::1796457002: the NodeSpec is not valid under nodespec\.v1: \/identity\/lane/,
      );
      expect(stopped.err).toMatch(
        /cannot import twice_node::1796457003: maps to twice_node@1\.0\.0 like twice_node::1796457004/,
      );
      expect(stopped.err).toMatch(
        /refused: 3 of 4 entries cannot be imported; nothing was imported/,
      );
      expect((await matriz(['fsck', '--data-dir', dataDir])).out).toMatch(
        /clean: 1 leaves, 0 entries/,
      );

      const skipped = await matriz([...args, '--skip-invalid', '--json']);
      expect(skipped.code, skipped.err).toBe(0);
      const summary = JSON.parse(skipped.out) as {
        imported: { registry_id: string; log_index: number }[];
        skipped: { legacy_id: string }[];
      };
      expect(summary.imported).toEqual([{ registry_id: 'good_node@1.0.0', log_index: 1 }]);
      expect(summary.skipped.map((s) => s.legacy_id)).toEqual([
        'broken_node::1796457002',
        'twice_node::1796457003',
        'twice_node::1796457004',
      ]);
      expect(skipped.err).toMatch(/skipped broken_node::1796457002/);
      // The record of the import carries the list of what it left out.
      const server = await startServe(['--data-dir', dataDir], {
        MATRIZ_KEY_PASSPHRASE: DATA_DIR_PASSPHRASE,
      });
      servers.push(server);
      const leaf = JSON.parse(await (await fetch(`${server.url}/api/v1/log/entries/1`)).text()) as {
        kind: string;
        envelope: { payload: string };
      };
      expect(leaf.kind).toBe('legacy-import');
      const payload = JSON.parse(Buffer.from(leaf.envelope.payload, 'base64').toString('utf8')) as {
        source: { skipped: { legacy_id: string; reason: string }[] };
        legacy_id: string;
      };
      expect(payload.legacy_id).toBe('good_node::1796457001');
      expect(payload.source.skipped.map((s) => s.legacy_id)).toEqual(
        summary.skipped.map((s) => s.legacy_id),
      );
    },
  );
});
