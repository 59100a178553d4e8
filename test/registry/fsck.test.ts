/**
 * fsck replays owners' writes through the sequencer's own entry ledger: what the registry would
 * have refused (an entitlement the policy does not give) and derived query keys that do not
 * follow from the logged NodeSpec are problems, named with the leaf or entry.
 */
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { loadSignatureSuite } from '../../src/crypto/suites.js';
import { fsck } from '../../src/registry/fsck.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { makeOwner, makeRegistry } from '../support/registry.js';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../support/cli.js';
import { createDataDir, DATA_DIR_ENV, openOperator } from '../support/data-dir-log.js';
import { tempDir } from '../support/tmp.js';

describe('fsck replays the entry ledger', () => {
  it('is clean for a log the registry wrote, derived signal and capability keys included', async () => {
    const t = await makeRegistry();
    const owner = await makeOwner('ed25519');
    await t.registry.register(owner.request({ op: 'register', nodeSpec: owner.spec('a') }));
    await t.registry.deregister(
      'a@0.1.0',
      owner.request({ op: 'deregister', registryId: 'a@0.1.0' }),
    );
    await t.registry.register(owner.request({ op: 'register', nodeSpec: owner.spec('b') }));
    const report = await fsck({
      store: t.store,
      verifier: t.keys.verifier,
      loadSuite: loadSignatureSuite,
    });
    expect(report).toMatchObject({ ok: true, size: 3, entries: 2, problems: [] });
    // The same report with the leaves checked in worker threads (a long log's default).
    const threaded = await fsck({
      store: t.store,
      verifier: t.keys.verifier,
      loadSuite: loadSignatureSuite,
      threads: 2,
    });
    expect(threaded).toStrictEqual(report);
  });

  it('names a leaf the policy fsck is given would have refused (not-entitled), and accepts it under the policy the registry ran with', async () => {
    // The registry ran with a policy that lets anyone claim lane core up to tier 7.
    const t = await makeRegistry({
      policy: { open: { lanes: ['candidate', 'core'], maxTier: 7 }, owners: new Map() },
    });
    const owner = await makeOwner('ed25519');
    const spec = owner.spec('kernel');
    spec.identity.lane = 'core';
    spec.identity.tier = 6;
    await t.registry.register(owner.request({ op: 'register', nodeSpec: spec }));

    const strict = await fsck({
      store: t.store,
      verifier: t.keys.verifier,
      loadSuite: loadSignatureSuite,
    });
    expect(strict.ok).toBe(false);
    expect(strict.problems).toContainEqual(
      expect.stringMatching(
        /^leaf 0 should have been refused: not-entitled: owner GLYMPH:[0-9a-f]{64} is not enrolled/,
      ),
    );
    const same = await fsck({
      store: t.store,
      verifier: t.keys.verifier,
      loadSuite: loadSignatureSuite,
      policy: t.sequencer.policy,
    });
    expect(same.problems).toStrictEqual([]);
  });

  it('finds a derived signal row that does not follow from the logged NodeSpec', async () => {
    const file = path.join(tempDir(), 'registry.sqlite3');
    const store = openSqliteStore({ path: file });
    const t = await makeRegistry({ store });
    const owner = await makeOwner('ed25519');
    const spec = owner.spec('a');
    await t.registry.register(owner.request({ op: 'register', nodeSpec: spec }));
    await store.close();

    const db = new Database(file);
    const removed = db.prepare("DELETE FROM entry_signals WHERE registry_id = 'a@0.1.0'").run();
    db.close();
    expect(removed.changes).toBeGreaterThan(0);

    const reopened = openSqliteStore({ path: file, readonly: true });
    const report = await fsck({
      store: reopened,
      verifier: t.keys.verifier,
      loadSuite: loadSignatureSuite,
    });
    expect(report.problems).toStrictEqual(['entry a@0.1.0 differs from the replay of the log']);
    await reopened.close();
  });

  it('finds a stored NodeSpec that is not the one the log recorded (the replay keeps only its digest)', async () => {
    const file = path.join(tempDir(), 'registry.sqlite3');
    const store = openSqliteStore({ path: file });
    const t = await makeRegistry({ store });
    const owner = await makeOwner('ed25519');
    await t.registry.register(owner.request({ op: 'register', nodeSpec: owner.spec('a') }));
    await store.close();

    const db = new Database(file);
    db.prepare(
      "UPDATE entries SET node_spec = replace(node_spec, 'memoria', 'memorix') WHERE registry_id = 'a@0.1.0'",
    ).run();
    db.close();

    const reopened = openSqliteStore({ path: file, readonly: true });
    const report = await fsck({
      store: reopened,
      verifier: t.keys.verifier,
      loadSuite: loadSignatureSuite,
    });
    expect(report.problems).toStrictEqual(['entry a@0.1.0 differs from the replay of the log']);
    await reopened.close();
  });
});

describe('matriz fsck on a damaged database', () => {
  it('says the file is damaged in one line and exits 1, for a file that is no database and one with a malformed page', async () => {
    const dataDir = path.join(tempDir(), 'data');
    await createDataDir(dataDir, 'fsck.test/damaged');
    const operator = await openOperator(dataDir);
    await operator.trustInit();
    await operator.close();
    const database = path.join(dataDir, 'registry.sqlite3');
    const run = async () => {
      const io = captureIo({ cwd: dataDir, env: DATA_DIR_ENV });
      const code = await main(['fsck', '--data-dir', dataDir], io);
      return { code, err: io.err() };
    };
    expect((await run()).code).toBe(0);
    const page = openSync(database, 'r+');
    writeSync(page, Buffer.alloc(4096, 0xa5), 0, 4096, 4096);
    closeSync(page);
    const malformed = await run();
    expect(malformed.code).toBe(1);
    expect(malformed.err).toMatch(
      /^matriz: fsck: .*registry\.sqlite3 is damaged \(.*\): restore it from a backup/,
    );
    expect(malformed.err.trim().split('\n')).toHaveLength(1);
    writeFileSync(database, Buffer.alloc(8192, 0x42));
    const notADatabase = await run();
    expect(notADatabase.code).toBe(1);
    expect(notADatabase.err).toMatch(/is damaged \(file is not a database\)/);
  });
});
