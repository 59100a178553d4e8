/**
 * Legacy import and claim through the registry's own write path, on SQLite and PostgreSQL: the
 * prototype's entries become `legacy-import` records signed by the enrolment role, are queryable
 * with provenance `legacy-import`, refuse deregistration until a `claim` binds them to an owner
 * key, and replay clean in fsck. Records the registry must refuse change nothing.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { planLegacyImport, readLegacyStore } from '../../src/backup/legacy-store.js';
import { main } from '../../src/cli/main.js';
import type { Operator } from '../../src/operator/operator.js';
import type { EntrySummaryView, QueryPageView, Registry } from '../../src/registry/registry.js';
import { buildLegacyImport, type LegacyImportInput } from '../../src/trust/legacy-import.js';
import { captureIo } from '../support/cli.js';
import {
  createDataDir,
  DATA_DIR_ENV,
  openOperator,
  openWriter,
  type StorageOptions,
} from '../support/data-dir-log.js';
import { legacySample, legacySpec } from '../support/legacy-store.js';
import { POSTGRES_URL, postgresAvailable } from '../support/postgres.js';
import { makeOwner, refusal } from '../support/registry.js';
import { tempDir } from '../support/tmp.js';

const ORIGIN = 'legacy.test/matriz';
const EPISODIC = 'memoria_adapter_episodic@0.1.0';
const cleanup: (() => Promise<void>)[] = [];
const withPostgres = await postgresAvailable();

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function fsckClean(dataDir: string, storage: StorageOptions): Promise<string> {
  const io = captureIo({ cwd: dataDir, env: DATA_DIR_ENV });
  const args = ['fsck', '--data-dir', dataDir];
  if (storage.databaseUrl) args.push('--database-url', storage.databaseUrl);
  const code = await main(args, io);
  expect(code, io.out() + io.err()).toBe(0);
  return io.out();
}

async function freshDatabase(): Promise<string> {
  const database = `matriz_legacy_${Math.random().toString(16).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  cleanup.push(async () => {
    // Every store on it is closed by now; a connection still ending is waited for, not killed.
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${database}`);
        break;
      } catch (error) {
        if (attempt >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    await admin.end();
  });
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

interface Opened {
  readonly dataDir: string;
  readonly storage: StorageOptions;
  readonly operator: Operator;
  readonly registry: Registry;
}

async function openLog(storage: StorageOptions): Promise<Opened> {
  const dataDir = tempDir();
  await createDataDir(dataDir, ORIGIN);
  const operator = await openOperator(dataDir, storage);
  cleanup.push(() => operator.close());
  await operator.trustInit();
  const writer = await openWriter(dataDir, ORIGIN, storage);
  cleanup.push(() => writer.close());
  return { dataDir, storage, operator, registry: writer.registry };
}

async function importSample(operator: Operator) {
  const sample = legacySample();
  const store = readLegacyStore(sample.store, sample.sig, new TextEncoder().encode(sample.key));
  const plan = await planLegacyImport(store, (id) => operator.entry(id));
  const result = await operator.importLegacy({ sha256: store.sha256, hmac: store.hmac }, plan);
  return { plan, result };
}

function scenario(storage: () => Promise<StorageOptions>) {
  return async () => {
    const log = await openLog(await storage());
    const { operator, registry } = log;
    const { plan, result } = await importSample(operator);
    expect(plan.skipped).toEqual([]);
    expect(result.refused).toEqual([]);
    expect(result.imported.map((i) => i.index)).toEqual([1, 2, 3, 4, 5]);

    const imported = await registry.get(EPISODIC);
    expect(imported).toMatchObject({
      status: 'active',
      provenance: 'legacy-import',
      owner_id: 'GLYMPH:31837d5eae5399fe9ceb86b6',
      log_index: 1,
    });
    expect(imported.claimed_log_index).toBeUndefined();
    const bySignal = await registry.query({ signal: 'memory_stored' });
    expect(bySignal.entries.map((e) => e.registry_id)).toContain(EPISODIC);
    // The real prototype's entries are in the query index like any other: by owner, and summarized.
    const byOwner = await registry.query({ owner: imported.owner_id });
    expect(byOwner.entries.map((e) => e.registry_id)).toContain(EPISODIC);
    const summaries = (await registry.query({
      signal: 'memory_stored',
      view: 'summary',
    })) as unknown as QueryPageView<EntrySummaryView>;
    expect(summaries.entries.find((e) => e.registry_id === EPISODIC)).toMatchObject({
      owner_id: imported.owner_id,
      lane: imported.lane,
      tier: imported.tier,
      version: EPISODIC.slice(EPISODIC.indexOf('@') + 1),
    });

    // Nobody holds the key of an imported entry: deregistering it waits for a claim.
    const alice = await makeOwner('ed25519');
    const deregister = () =>
      registry.deregister(
        EPISODIC,
        alice.request({ op: 'deregister', registryId: EPISODIC }, { origin: ORIGIN }),
      );
    const unclaimed = await refusal(deregister());
    expect(unclaimed.slug).toBe('unclaimed');
    expect(unclaimed.status).toBe(403);
    expect(unclaimed.detail).toMatch(/matriz owners claim/);
    const taken = await refusal(
      registry.register(
        alice.request(
          { op: 'register', nodeSpec: alice.spec('memoria_adapter_episodic', '0.1.0') },
          { origin: ORIGIN },
        ),
      ),
    );
    expect(taken.slug).toBe('conflict');

    const claim = await operator.claim(EPISODIC, alice.key);
    expect(claim.index).toBe(6);
    expect(await registry.get(EPISODIC)).toMatchObject({
      owner_id: alice.ownerId,
      provenance: 'legacy-import',
      claimed_log_index: 6,
    });
    // The same claim again is nothing to do; another owner's is refused; so is a claim of an
    // entry its owner registered.
    expect((await operator.claim(EPISODIC, alice.key)).index).toBe(6);
    const bob = await makeOwner('ed25519');
    expect((await refusal(operator.claim(EPISODIC, bob.key))).slug).toBe('conflict');
    await registry.register(
      alice.request({ op: 'register', nodeSpec: alice.spec('own_node') }, { origin: ORIGIN }),
    );
    const ownClaim = await refusal(operator.claim('own_node@0.1.0', bob.key));
    expect(ownClaim.detail).toMatch(/registered by its owner's key/);

    const removed = await deregister();
    expect(removed.registry_id).toBe(EPISODIC);
    expect((await registry.get(EPISODIC)).status).toBe('deregistered');

    // Running the same import again appends nothing.
    const again = await importSample(operator);
    expect(again.plan.imports).toEqual([]);
    expect(again.plan.already).toHaveLength(5);
    expect(await fsckClean(log.dataDir, log.storage)).toMatch(/clean: 9 leaves, 6 entries/);
  };
}

describe('legacy import and claim', () => {
  it(
    'imports the shared sample, refuses deregistration until claimed, then works (SQLite)',
    { timeout: 60_000 },
    scenario(() => Promise.resolve({})),
  );

  it.runIf(withPostgres)(
    'imports the shared sample, refuses deregistration until claimed, then works (PostgreSQL)',
    { timeout: 60_000 },
    scenario(async () => ({ databaseUrl: await freshDatabase() })),
  );

  it(
    'refuses records the registry cannot hold, and they change nothing',
    { timeout: 60_000 },
    async () => {
      const log = await openLog({});
      const { operator } = log;
      const root = operator.trust.root;
      if (!root) throw new Error('no trust root');
      const enrolment = await operator.keyring.envelopeSigners(
        root.roles.enrolment.keyids,
        'enrolment',
        [],
      );
      const revocation = await operator.keyring.envelopeSigners(
        root.roles.revocation.keyids,
        'revocation',
        [],
      );
      const source = {
        sha256: `sha256:${'0'.repeat(64)}`,
        hmac_sha256: '1'.repeat(64),
        skipped: [],
      };
      const record = (change: Partial<LegacyImportInput>): LegacyImportInput => ({
        origin: ORIGIN,
        legacyId: 'fine_node::1796457001',
        registryId: 'fine_node@1.0.0',
        registeredAt: 1796457001.5,
        mode: 'dynamic',
        nodeSpec: legacySpec('fine_node', '1.0.0'),
        source,
        ...change,
      });
      const invalid = legacySpec('fine_node', '1.0.0');
      invalid.identity.tier = 'high';
      const cases: [string, unknown, RegExp][] = [
        [
          'schema-violation',
          buildLegacyImport(record({ nodeSpec: invalid }), enrolment),
          /not valid under nodespec\.v1/,
        ],
        [
          'invalid-request',
          buildLegacyImport(record({ registryId: 'other@1.0.0' }), enrolment),
          /its NodeSpec makes it fine_node@1\.0\.0/,
        ],
        ['invalid-request', buildLegacyImport(record({}), revocation), /threshold/],
        [
          'invalid-request',
          buildLegacyImport(record({ origin: 'another.log/x' }), enrolment),
          /origin/,
        ],
      ];
      for (const [slug, envelope, detail] of cases) {
        const refused = await refusal(operator.publish({ kind: 'legacy-import', envelope }));
        expect(refused.slug).toBe(slug);
        expect(refused.detail).toMatch(detail);
      }
      expect(
        (await refusal(operator.claim('fine_node@1.0.0', (await makeOwner('ed25519')).key))).slug,
      ).toBe('not-found');
      // Only the trust root is in the log: nothing was appended.
      expect(await fsckClean(log.dataDir, log.storage)).toMatch(/clean: 1 leaves, 0 entries/);
      await operator.publish({
        kind: 'legacy-import',
        envelope: buildLegacyImport(record({}), enrolment),
      });
      expect(await fsckClean(log.dataDir, log.storage)).toMatch(/clean: 2 leaves, 1 entries/);
    },
  );
});
