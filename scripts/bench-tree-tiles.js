#!/usr/bin/env node
// The tree check alone (src/client/tree-tiles.ts) on synthetic tiles, and the SHA-256 call it is
// built on: what docs/benchmarks.md ("Whole-log checks") says about worker threads and
// crypto.hash. Needs `npm run build`. Prints a table, or JSON with --json.
//
//   node scripts/bench-tree-tiles.js [--json]
import { Buffer } from 'node:buffer';
import { createHash, hash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { syntheticTree } from '../dist/src/bench/audit.js';
import { tileSource } from '../dist/src/client/tile-source.js';
import { verifyTreeTiles } from '../dist/src/client/tree-tiles.js';

const json = process.argv.includes('--json');
const HASHES = 500_000;
const input = Buffer.alloc(65);
input[0] = 1;
const perHash = (run) => {
  const started = performance.now();
  for (let i = 0; i < HASHES; i++) {
    input[5] = i & 255;
    run();
  }
  return Number((((performance.now() - started) * 1000) / HASHES).toFixed(2));
};
const sha256 = {
  crypto_hash_binary_us: perHash(() => hash('sha256', input, 'binary')),
  crypto_hash_buffer_us: perHash(() => hash('sha256', input, 'buffer')),
  create_hash_digest_us: perHash(() => createHash('sha256').update(input).digest()),
};

const work = await mkdtemp(path.join(os.tmpdir(), 'matriz-tree-tiles-'));
const trees = [];
try {
  for (const leaves of [2 ** 17, 2 ** 20]) {
    const { dir, root } = await syntheticTree(path.join(work, String(leaves)), leaves);
    for (const threads of [0, os.availableParallelism()]) {
      const started = performance.now();
      await verifyTreeTiles(tileSource(dir), leaves, root, { threads });
      const seconds = (performance.now() - started) / 1000;
      trees.push({
        leaves,
        threads,
        seconds: Number(seconds.toFixed(3)),
        leaves_per_sec: Math.round(leaves / seconds),
      });
    }
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
if (json) console.log(JSON.stringify({ sha256_65_bytes: sha256, trees }));
else {
  console.log(
    `SHA-256 of 65 bytes: crypto.hash binary ${sha256.crypto_hash_binary_us} us, crypto.hash Buffer ${sha256.crypto_hash_buffer_us} us, createHash().digest() ${sha256.create_hash_digest_us} us`,
  );
  for (const t of trees)
    console.log(
      `tree of ${t.leaves} leaves, ${t.threads} worker threads: ${t.seconds} s, ${t.leaves_per_sec} leaves/s`,
    );
}
