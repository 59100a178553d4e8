#!/usr/bin/env node
// Builds the `matriz bench query` registry (the same entries) in a data directory with the store
// of any matriz build, for an A/B of query paths or a timing of a schema migration
// (docs/benchmarks.md, "Discovery queries"). Throwaway keys: passphrase "passphrase-long-enough".
// Its leaves only stand for the registrations, as in the benchmark: fsck refuses this log.
//
//   node scripts/build-query-registry.js <matriz checkout with dist/> <data dir> <entries>
//
// Then `MATRIZ_KEY_PASSPHRASE=passphrase-long-enough node <checkout>/bin/matriz.js serve
// --data-dir <data dir> --origin bench.local/query --rate-limit 100000000`.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL, URL } from 'node:url';
import { TextEncoder } from 'node:util';
const [root, dir, count] = process.argv.slice(2);
if (!root || !dir || !count) {
  process.stderr.write(
    'usage: node scripts/build-query-registry.js <checkout> <data dir> <entries>\n',
  );
  process.exit(2);
}
const n = Number(count);
const imp = (p) => import(pathToFileURL(path.resolve(root, 'dist/src', p)).href);
const { canonicalize } = await imp('json/index.js');
const { signCheckpoint } = await imp('log/checkpoint-signature.js');
const { LANES } = await imp('nodespec/nodespec.js');
const { openDataDir, openKeyProvider } = await imp('operator/data-dir.js');
const { Keyring } = await imp('operator/keyring.js');
const { LogTree } = await imp('registry/log-tree.js');
const { TrustLedger } = await imp('registry/trust-ledger.js');
const { loadSignatureSuite } = await imp('crypto/suites.js');
const { openSqliteStore } = await imp('store/sqlite-store.js');
if (existsSync(dir) && readdirSync(dir).length > 0) {
  process.stderr.write(`${dir} is not empty: give a new data directory\n`);
  process.exit(2);
}
const ORIGIN = 'bench.local/query',
  passphrase = 'passphrase-long-enough',
  SCRYPT = { N: 1024, r: 8, p: 1 };
const example = JSON.parse(
  readFileSync(new URL('../examples/memory_adapter.json', import.meta.url), 'utf8'),
);
const opened = await openDataDir({
  dataDir: dir,
  origin: ORIGIN,
  passphrase,
  scrypt: SCRYPT,
  warn: () => {},
});
const provider = await openKeyProvider(dir, { MATRIZ_KEY_PASSPHRASE: passphrase }, () => {});
const keyring = new Keyring(dir, ORIGIN, provider, SCRYPT);
const signers = await keyring.checkpointSigners(TrustLedger.empty(ORIGIN, loadSignatureSuite));
const owners = Array.from(
  { length: 16 },
  (_, i) => `GLYMPH:${createHash('sha256').update(`bench owner ${i}`).digest('hex')}`,
);
const store = openSqliteStore({ path: opened.databaseFile });
let tree = await LogTree.load(store, undefined);
const sig = (k) => `bench.signal_${String(k % 200).padStart(3, '0')}`;
for (let start = 0; start < n; start += 5000) {
  const entries = [],
    leaves = [],
    at = new Date().toISOString();
  for (let i = start; i < Math.min(n, start + 5000); i++) {
    const spec = JSON.parse(JSON.stringify(example));
    spec.metadata.name = `bench_node_${String(i).padStart(7, '0')}`;
    spec.metadata.version = '1.0.0';
    spec.identity.owner_id = owners[i % 16];
    spec.identity.lane = LANES[i % LANES.length];
    spec.identity.tier = 1 + (i % 3);
    spec.interfaces.signals = {
      emits: [{ name: 'bench.heartbeat' }, { name: sig(i) }],
      subscribes: [{ signal: sig(i * 31 + 7), handler: 'on_signal' }],
    };
    const nodeSpec = canonicalize(spec);
    entries.push({
      registryId: `${spec.metadata.name}@1.0.0`,
      ownerId: spec.identity.owner_id,
      lane: spec.identity.lane,
      tier: spec.identity.tier,
      nodeSpec,
      specDigest: `sha256:${createHash('sha256').update(nodeSpec).digest('hex')}`,
      status: 'active',
      registeredIndex: tree.size + leaves.length,
      integratedAt: at,
      signals: [...new Set(['bench.heartbeat', sig(i), sig(i * 31 + 7)])].sort(),
      capabilities: [...new Set(spec.identity.capabilities_policy?.allow ?? [])].sort(),
    });
    leaves.push(new TextEncoder().encode(canonicalize({ bench_entry: entries.at(-1).registryId })));
  }
  const ext = tree.extend(leaves);
  const signedAt = Math.floor(Date.now() / 1000);
  await store.append({
    expectedSize: tree.size,
    leaves,
    subtreeHashes: ext.subtreeHashes,
    checkpoint: {
      size: ext.tree.size,
      signedAt,
      note: await signCheckpoint(
        { origin: ORIGIN, size: ext.tree.size, rootHash: ext.root, extensions: [] },
        signers,
        signedAt,
      ),
    },
    entries,
    nonces: [],
  });
  tree = ext.tree;
}
await store.close();
console.log('built', n);
