/**
 * `matriz bench audit`: how fast a whole log is checked. Builds a log of N registrations signed
 * with ML-DSA-44 owner keys (through the real registry), then, in the same run:
 *
 * - fsck on one leaf-check thread (the single-core baseline) and on every core;
 * - `tiles export`, then from the exported directory the tree alone (every level-0 hash combined
 *   into every tile above it and the root: `verifyTreeTiles`) and the full audit (every leaf's
 *   write checks, signatures included, on every core, and the replay);
 * - optionally Go's sumdb/tlog reading the same tiles (test/interop/go/tiles.go, when Go and
 *   golang.org/x/mod are installed).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { exportTiles } from '../backup/tiles-export.js';
import { auditLog } from '../client/log-audit.js';
import { tileRoots, verifyTreeTiles, WORKER_THRESHOLD } from '../client/tree-tiles.js';
import { HASH_SIZE, nodeHash } from '../log/hash.js';
import { TILE_WIDTH, tilePath } from '../log/tiles.js';
import { tileSource } from '../client/tile-source.js';
import { base64Decode } from '../crypto/encoding.js';
import { loadSignatureSuite } from '../crypto/suites.js';
import { ed25519VerifierKey } from '../log/note-keys.js';
import type { NodeSpec } from '../nodespec/nodespec.js';
import { readDataDirPublic } from '../operator/data-dir.js';
import { fsck } from '../registry/fsck.js';
import { openSqliteStore } from '../store/sqlite-store.js';
import { buildLog } from './export.js';

export const AUDIT_TARGETS = { root_leaves_per_sec: 1_000_000, audit_leaves_per_sec: 15_000 };

interface Timed {
  readonly seconds: number;
  readonly leaves_per_sec: number;
}

export interface AuditBenchResult {
  readonly entries: number;
  readonly leaves: number;
  readonly owner_algorithm: 'ml-dsa-44';
  readonly cores: number;
  readonly build_seconds: number;
  /** fsck with one leaf-check worker thread: the single-core baseline. */
  readonly fsck_one_thread: Timed;
  readonly fsck: Timed;
  readonly tiles_export_seconds: number;
  /** The tree alone from the exported tiles. */
  readonly root_recomputation: Timed;
  /**
   * The tree alone over synthetic tiles of 2^20 random leaf hashes (no log behind them): the
   * scale at which worker threads pay; the same code as `root_recomputation`.
   */
  readonly root_recomputation_2_20: Timed & { readonly threads: number };
  /** The full audit of the exported tiles, every core. */
  readonly audit: Timed;
  /** Go's sumdb/tlog over the same tiles, or why it did not run. */
  readonly go_tlog:
    { readonly seconds: number; readonly ok: boolean } | { readonly skipped: string };
  readonly audit_to_fsck_one_thread: number;
  readonly targets: typeof AUDIT_TARGETS;
  readonly pass: boolean;
}

const PASSPHRASE = 'matriz bench audit throwaway passphrase';
const ORIGIN = 'bench.local/audit';

export async function benchAudit(options: {
  readonly entries: number;
  readonly example: NodeSpec;
  /** The package root, where test/interop/go/tiles.go is in a checkout. */
  readonly root: string;
  readonly progress: (message: string) => void;
}): Promise<AuditBenchResult> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'matriz-bench-audit-'));
  try {
    const dataDir = path.join(work, 'data');
    const started = performance.now();
    await buildLog(
      dataDir,
      ORIGIN,
      options.entries,
      options.example,
      options.progress,
      'ml-dsa-44',
      PASSPHRASE,
    );
    const buildSeconds = (performance.now() - started) / 1000;
    const dir = await readDataDirPublic(dataDir);
    const [ed25519, mlDsa44] = await Promise.all([
      loadSignatureSuite('ed25519'),
      loadSignatureSuite('ml-dsa-44'),
    ]);
    const verifier = {
      name: dir.origin,
      ed25519PublicKey: dir.ed25519PublicKey,
      mlDsa44PublicKey: dir.mlDsa44PublicKey,
      ed25519,
      mlDsa44,
    };
    const store = openSqliteStore({ path: dir.databaseFile, readonly: true });
    const tiles = path.join(work, 'tiles');
    let fsckOne: Timed;
    let fsckAll: Timed;
    let exportSeconds: number;
    let size: number;
    try {
      size = await store.treeSize();
      const runFsck = async (threads?: number): Promise<Timed> => {
        options.progress(`fsck on ${threads ?? 'every'} leaf-check thread(s)...`);
        const t = performance.now();
        const report = await fsck({
          store,
          verifier,
          loadSuite: (algorithm) => loadSignatureSuite(algorithm),
          ...(threads === undefined ? {} : { threads }),
        });
        if (!report.ok) throw new Error(`fsck of the benchmark log: ${report.problems.join('; ')}`);
        return timed(t, size);
      };
      fsckOne = await runFsck(1);
      fsckAll = await runFsck();
      options.progress('tiles export...');
      const t = performance.now();
      await exportTiles(store, tiles);
      exportSeconds = round((performance.now() - t) / 1000);
    } finally {
      await store.close();
    }
    const source = tileSource(tiles);
    const note = new TextDecoder().decode(await source.read('checkpoint'));
    const rootLine = note.split('\n')[2] ?? '';
    options.progress('the tree alone from the tiles...');
    let t = performance.now();
    await verifyTreeTiles(source, size, base64Decode(rootLine, 'checkpoint root'));
    const tree = timed(t, size);
    options.progress('the tree alone over 2^20 synthetic leaves...');
    const synthetic = await syntheticTree(path.join(work, 'synthetic'));
    t = performance.now();
    await verifyTreeTiles(tileSource(synthetic.dir), SYNTHETIC_LEAVES, synthetic.root);
    const bigTree = {
      ...timed(t, SYNTHETIC_LEAVES),
      threads:
        Math.floor(SYNTHETIC_LEAVES / TILE_WIDTH) > WORKER_THRESHOLD
          ? os.availableParallelism()
          : 0,
    };
    options.progress('full audit of the tiles...');
    t = performance.now();
    const report = await auditLog({
      source,
      verifier,
      loadSuite: (algorithm) => loadSignatureSuite(algorithm),
    });
    const audit = timed(t, size);
    if (!report.ok) throw new Error(`audit of the benchmark log: ${report.problems.join('; ')}`);
    options.progress("Go's sumdb/tlog over the tiles...");
    const go = await runGo(
      options.root,
      tiles,
      ed25519VerifierKey(dir.origin, dir.ed25519PublicKey),
      size,
    );
    return {
      entries: options.entries,
      leaves: size,
      owner_algorithm: 'ml-dsa-44',
      cores: os.availableParallelism(),
      build_seconds: round(buildSeconds),
      fsck_one_thread: fsckOne,
      fsck: fsckAll,
      tiles_export_seconds: exportSeconds,
      root_recomputation: tree,
      root_recomputation_2_20: bigTree,
      audit,
      go_tlog: go,
      audit_to_fsck_one_thread: round(audit.leaves_per_sec / fsckOne.leaves_per_sec),
      targets: AUDIT_TARGETS,
      pass:
        Math.max(tree.leaves_per_sec, bigTree.leaves_per_sec) >=
          AUDIT_TARGETS.root_leaves_per_sec &&
        audit.leaves_per_sec >= AUDIT_TARGETS.audit_leaves_per_sec,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const SYNTHETIC_LEAVES = 2 ** 20;

/**
 * Hash tiles of a perfect tree of `leaves` (a power of two, at least 256) random leaf hashes,
 * written to `dir`, and its root: built with the same `tileRoots` the check uses above level 0.
 */
export async function syntheticTree(
  dir: string,
  leaves = SYNTHETIC_LEAVES,
): Promise<{ dir: string; root: Uint8Array }> {
  if (leaves < TILE_WIDTH || 2 ** Math.round(Math.log2(leaves)) !== leaves)
    throw new Error(`a synthetic tree has a power of two of at least ${TILE_WIDTH} leaves`);
  let level = Buffer.from(randomBytes(leaves * HASH_SIZE));
  for (let tileLevel = 0; ; tileLevel++) {
    const count = level.length / HASH_SIZE;
    for (let index = 0; index * TILE_WIDTH < count; index++) {
      const width = Math.min(TILE_WIDTH, count - index * TILE_WIDTH);
      const file = path.join(dir, tilePath({ level: tileLevel, index, width }));
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(
        file,
        level.subarray(index * TILE_WIDTH * HASH_SIZE, (index * TILE_WIDTH + width) * HASH_SIZE),
      );
    }
    if (count < TILE_WIDTH) {
      // The top: a perfect tree of `count` (a power of two) hashes.
      let hashes = Array.from({ length: count }, (_, i) =>
        level.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE),
      ) as Uint8Array[];
      while (hashes.length > 1)
        hashes = hashes.flatMap((hash, i) =>
          i % 2 === 0 ? [nodeHash(hash, hashes[i + 1] as Uint8Array)] : [],
        );
      return { dir, root: hashes[0] as Uint8Array };
    }
    level = Buffer.from(tileRoots(level));
  }
}

const GOPATH = '/usr/share/gocode';

/** Go's tlog over the tiles: the whole tree hash, and proofs for the first, middle and last leaf. */
async function runGo(
  root: string,
  tiles: string,
  vkey: string,
  size: number,
): Promise<AuditBenchResult['go_tlog']> {
  const source = path.join(root, 'test/interop/go/tiles.go');
  if (!existsSync(source)) return { skipped: 'test/interop/go/tiles.go is not in this install' };
  if (
    spawnSync('go', ['version'], { stdio: 'ignore' }).status !== 0 ||
    !existsSync(path.join(GOPATH, 'src/golang.org/x/mod/sumdb/tlog'))
  )
    return { skipped: 'go or golang.org/x/mod (golang-golang-x-mod-dev) is not installed' };
  const build = await mkdtemp(path.join(os.tmpdir(), 'matriz-go-'));
  try {
    const binary = path.join(build, 'tiles');
    execFileSync('go', ['build', '-o', binary, source], {
      env: {
        ...process.env,
        GO111MODULE: 'off',
        GOPATH,
        GOCACHE: path.join(build, 'cache'),
        GOFLAGS: '',
      },
      stdio: 'pipe',
    });
    const request = {
      base: tiles,
      vkey,
      leaves: [0, Math.floor(size / 2), size - 1],
      old_sizes: [1, Math.floor(size / 2), size],
    };
    const t = performance.now();
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(binary, { stdio: ['pipe', 'pipe', 'inherit'] });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.on('error', reject);
      child.on('close', () => {
        resolve(stdout);
      });
      child.stdin.end(JSON.stringify(request));
    });
    const seconds = round((performance.now() - t) / 1000);
    const result = JSON.parse(output) as {
      error: string;
      records: { error: string }[] | null;
      consistency: { error: string }[] | null;
    };
    const ok =
      result.error === '' &&
      [...(result.records ?? []), ...(result.consistency ?? [])].every((r) => r.error === '');
    return { seconds, ok };
  } finally {
    await rm(build, { recursive: true, force: true });
  }
}

function timed(started: number, leaves: number): Timed {
  const seconds = (performance.now() - started) / 1000;
  return { seconds: round(seconds), leaves_per_sec: Math.round(leaves / seconds) };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

export function formatAuditBench(result: AuditBenchResult): string {
  const row = (label: string, t: Timed): string =>
    `${label.padEnd(44)} ${String(t.leaves_per_sec).padStart(10)} leaves/s  (${t.seconds} s)\n`;
  const go =
    'skipped' in result.go_tlog
      ? `skipped: ${result.go_tlog.skipped}`
      : `${result.go_tlog.ok ? 'verified' : 'FAILED'} in ${result.go_tlog.seconds} s`;
  return (
    `log of ${result.leaves} leaves (${result.entries} ML-DSA-44 registrations), ${result.cores} cores, built in ${result.build_seconds} s\n` +
    row('fsck, one leaf-check thread (baseline)', result.fsck_one_thread) +
    row(`fsck, ${result.cores} leaf-check threads`, result.fsck) +
    `tiles export: ${result.tiles_export_seconds} s\n` +
    row('tree alone from tiles (root recomputation)', result.root_recomputation) +
    row(
      `tree alone, 2^20 synthetic leaves, ${result.root_recomputation_2_20.threads} threads`,
      result.root_recomputation_2_20,
    ) +
    row(`full audit from tiles, ${result.cores} threads`, result.audit) +
    `audit / fsck on one thread: ${result.audit_to_fsck_one_thread}x\n` +
    `Go sumdb/tlog over the tiles: ${go}\n` +
    `targets: tree >= ${result.targets.root_leaves_per_sec}/s, audit >= ${result.targets.audit_leaves_per_sec}/s: ${result.pass ? 'PASS' : 'FAIL'}\n`
  );
}
