import path from 'node:path';
import { loadSignatureSuite } from '../../src/crypto/suites.js';
import { openDataDir, openKeyProvider } from '../../src/operator/data-dir.js';
import { Keyring } from '../../src/operator/keyring.js';
import { Operator } from '../../src/operator/operator.js';
import { Registry } from '../../src/registry/registry.js';
import { Sequencer } from '../../src/registry/sequencer.js';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { makeOwner, type Owner } from './registry.js';

export const FAST_SCRYPT = { N: 2 ** 10, r: 8, p: 1 };
export const DATA_DIR_PASSPHRASE = 'data dir passphrase for tests';
export const DATA_DIR_ENV = { MATRIZ_KEY_PASSPHRASE: DATA_DIR_PASSPHRASE };

export interface StorageOptions {
  /** PostgreSQL instead of the data directory's SQLite database. */
  readonly databaseUrl?: string;
  readonly schema?: string;
}

/** A data directory like `matriz serve` makes on first start (cheap key encryption). */
export async function createDataDir(dataDir: string, origin: string): Promise<void> {
  await openDataDir({
    dataDir,
    origin,
    passphrase: DATA_DIR_PASSPHRASE,
    scrypt: FAST_SCRYPT,
    warn: () => undefined,
  });
}

export function openStorage(dataDir: string, storage: StorageOptions = {}): Promise<Store> {
  return storage.databaseUrl
    ? openPostgresStore({
        connectionString: storage.databaseUrl,
        ...(storage.schema ? { schema: storage.schema } : {}),
      })
    : Promise.resolve(openSqliteStore({ path: path.join(dataDir, 'registry.sqlite3') }));
}

/** A registry writing to a data directory's log as `matriz serve` does (log keys from keys/). */
export async function openWriter(
  dataDir: string,
  origin: string,
  storage: StorageOptions = {},
): Promise<{ registry: Registry; close(): Promise<void> }> {
  const opened = await openDataDir({
    dataDir,
    passphrase: DATA_DIR_PASSPHRASE,
    scrypt: FAST_SCRYPT,
    warn: () => undefined,
  });
  const provider = await openKeyProvider(dataDir, DATA_DIR_ENV, () => undefined);
  const keyring = new Keyring(dataDir, origin, provider, FAST_SCRYPT);
  const store = await openStorage(dataDir, storage);
  const sequencer = new Sequencer(store, {
    origin,
    signers: keyring.checkpointSigners,
    freshnessSeconds: 300,
    maxBatch: 512,
  });
  await sequencer.start();
  const registry = new Registry({
    origin,
    store,
    sequencer,
    logKeys: { ed25519: opened.ed25519.key, mlDsa44: opened.mlDsa44.key },
    loadSuite: (algorithm) => loadSignatureSuite(algorithm),
  });
  return {
    registry,
    close: async () => {
      await sequencer.drain();
      await store.close();
    },
  };
}

/** `count` registrations by one Ed25519 owner (fast to sign), submitted together. */
export async function registerMany(
  registry: Registry,
  owner: Owner,
  origin: string,
  count: number,
  prefix = 'node',
): Promise<void> {
  const writes = [];
  for (let i = 0; i < count; i++) {
    const spec = owner.spec(`${prefix}_${i}`, '1.0.0');
    writes.push(registry.register(owner.request({ op: 'register', nodeSpec: spec }, { origin })));
  }
  await Promise.all(writes);
}

export function openOperator(dataDir: string, storage: StorageOptions = {}): Promise<Operator> {
  return Operator.open({
    dataDir,
    ...(storage.databaseUrl ? { databaseUrl: storage.databaseUrl } : {}),
    env: DATA_DIR_ENV,
    scrypt: FAST_SCRYPT,
    warn: () => undefined,
  });
}

/**
 * A log with a history worth restoring: entries, a trust root, an enrolment, a log key rotation
 * (with the old key retired) and a revocation of an owner key, then more entries.
 */
export async function buildLogWithHistory(
  dataDir: string,
  origin: string,
  entries: number,
): Promise<void> {
  await createDataDir(dataDir, origin);
  const alice = await makeOwner('ed25519');
  const mallory = await makeOwner('ed25519');
  let writer = await openWriter(dataDir, origin);
  await registerMany(writer.registry, alice, origin, Math.floor(entries / 2), 'before');
  await registerMany(writer.registry, mallory, origin, 2, 'mallory');
  await writer.close();
  const operator = await openOperator(dataDir);
  await operator.trustInit();
  await operator.enrolOwner(alice.key, ['core'], 5);
  const oldKey = operator.trust.root?.roles.log.keyids[0] ?? '';
  await operator.rotateLogKey();
  await operator.retireLogKey(oldKey);
  await operator.revokeKey(mallory.key.keyid, 'lost laptop');
  await operator.close();
  writer = await openWriter(dataDir, origin);
  await registerMany(writer.registry, alice, origin, entries - Math.floor(entries / 2), 'after');
  await writer.close();
}
