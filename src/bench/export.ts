/**
 * `matriz bench export`: builds a log of N registrations in a throwaway data directory (written
 * through the Registry and Sequencer in this process, by one Ed25519 owner, not over HTTP), then
 * runs `matriz export` and `matriz restore` each in a child process and reports their wall time
 * and peak RSS (the child's own `process.resourceUsage().maxRSS`, printed at exit).
 * Target: peak RSS < 200 MB for both at 100,000 entries.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { signerFor } from '../crypto/dsse.js';
import { ownerId, publicKeyOf } from '../crypto/keys.js';
import { loadSignatureSuite } from '../crypto/suites.js';
import {
  createRecipientKeyFile,
  recipientKeyOf,
  recipientKeyToJson,
} from '../keystore/recipient-key-file.js';
import type { NodeSpec } from '../nodespec/nodespec.js';
import { openDataDir, openKeyProvider } from '../operator/data-dir.js';
import { Keyring } from '../operator/keyring.js';
import { Registry } from '../registry/registry.js';
import { buildWriteRequest } from '../registry/request-builder.js';
import { Sequencer } from '../registry/sequencer.js';
import { openSqliteStore } from '../store/sqlite-store.js';
import { base64Decode } from '../crypto/encoding.js';

export const EXPORT_RSS_TARGET_MB = 200;

export interface ExportBenchResult {
  readonly entries: number;
  readonly build_seconds: number;
  readonly database_bytes: number;
  readonly export_bytes: number;
  readonly export: { readonly seconds: number; readonly max_rss_mb: number };
  readonly restore: { readonly seconds: number; readonly max_rss_mb: number };
  readonly target_max_rss_mb: number;
  readonly pass: boolean;
}

/** Throwaway keys only: cheap scrypt, a fixed passphrase. */
const SCRYPT = { N: 2 ** 10, r: 8, p: 1 };
const PASSPHRASE = 'matriz bench export throwaway passphrase';

export async function benchExport(options: {
  readonly entries: number;
  readonly bin: string;
  readonly example: NodeSpec;
  readonly progress: (message: string) => void;
}): Promise<ExportBenchResult> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'matriz-bench-export-'));
  try {
    const dataDir = path.join(work, 'data');
    const origin = 'bench.local/export';
    const buildStart = performance.now();
    await buildLog(dataDir, origin, options.entries, options.example, options.progress);
    const buildSeconds = (performance.now() - buildStart) / 1000;
    const keyFile = path.join(work, 'recipient.key');
    const contents = await createRecipientKeyFile(keyFile, PASSPHRASE, SCRYPT);
    const pubFile = path.join(work, 'recipient.pub.json');
    await writeFile(
      pubFile,
      JSON.stringify(recipientKeyToJson(recipientKeyOf(base64Decode(contents.public_key)))),
    );
    const env = { ...process.env, MATRIZ_KEY_PASSPHRASE: PASSPHRASE };
    const out = path.join(work, 'registry.mtzx');
    options.progress('export...');
    const exported = await runMeasured(
      options.bin,
      ['export', '--data-dir', dataDir, '--to', pubFile, '--out', out],
      env,
    );
    options.progress('restore...');
    const restored = await runMeasured(
      options.bin,
      ['restore', '--in', out, '--key', keyFile, '--data-dir', path.join(work, 'restored')],
      env,
    );
    const result = {
      entries: options.entries,
      build_seconds: round(buildSeconds),
      database_bytes: (await stat(path.join(dataDir, 'registry.sqlite3'))).size,
      export_bytes: (await stat(out)).size,
      export: exported,
      restore: restored,
      target_max_rss_mb: EXPORT_RSS_TARGET_MB,
    };
    return {
      ...result,
      pass:
        exported.max_rss_mb < EXPORT_RSS_TARGET_MB && restored.max_rss_mb < EXPORT_RSS_TARGET_MB,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * A data directory whose log holds `entries` registrations by one owner, each signed with a key of
 * `algorithm` and written through the real registry and sequencer (in batches of 2,000).
 */
export async function buildLog(
  dataDir: string,
  origin: string,
  entries: number,
  example: NodeSpec,
  progress: (message: string) => void,
  algorithm: 'ed25519' | 'ml-dsa-44' = 'ed25519',
  passphrase = PASSPHRASE,
): Promise<void> {
  const opened = await openDataDir({
    dataDir,
    origin,
    passphrase,
    scrypt: SCRYPT,
    warn: () => undefined,
  });
  const provider = await openKeyProvider(
    dataDir,
    { MATRIZ_KEY_PASSPHRASE: passphrase },
    () => undefined,
  );
  const keyring = new Keyring(dataDir, origin, provider, SCRYPT);
  const store = openSqliteStore({ path: opened.databaseFile });
  const sequencer = new Sequencer(store, {
    origin,
    signers: keyring.checkpointSigners,
    freshnessSeconds: 300,
    maxBatch: 1000,
  });
  await sequencer.start();
  const registry = new Registry({
    origin,
    store,
    sequencer,
    logKeys: { ed25519: opened.ed25519.key, mlDsa44: opened.mlDsa44.key },
    loadSuite: (algorithm) => loadSignatureSuite(algorithm),
  });
  const suite = await loadSignatureSuite(algorithm);
  const pair = suite.generateKeyPair();
  const owner = publicKeyOf(algorithm, pair.publicKey);
  const signer = signerFor(owner, pair.secretKey, suite);
  const wave = 2000;
  try {
    for (let start = 0; start < entries; start += wave) {
      const writes = [];
      for (let i = start; i < Math.min(entries, start + wave); i++) {
        const spec = structuredClone(example);
        spec.metadata.name = `bench_node_${i}`;
        spec.metadata.version = '1.0.0';
        spec.identity.owner_id = ownerId(owner.keyid);
        spec.identity.lane = 'candidate';
        spec.identity.tier = 2;
        const request = JSON.parse(
          JSON.stringify(
            buildWriteRequest({ op: 'register', nodeSpec: spec }, { owner, signer, origin }),
          ),
        ) as unknown;
        writes.push(registry.register(request));
      }
      await Promise.all(writes);
      progress(`built ${Math.min(entries, start + wave)} of ${entries} entries`);
    }
  } finally {
    await sequencer.drain();
    await store.close();
  }
}

/** Runs the CLI in a child process; its peak RSS comes from its own resourceUsage at exit. */
function runMeasured(
  bin: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ seconds: number; max_rss_mb: number }> {
  const report =
    'process.on("exit",()=>process.stderr.write("\\nMATRIZ_MAX_RSS_KB="+process.resourceUsage().maxRSS+"\\n"))';
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', `data:text/javascript,${encodeURIComponent(report)}`, bin, ...args],
      { env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const seconds = (performance.now() - start) / 1000;
      const match = /MATRIZ_MAX_RSS_KB=(\d+)/.exec(stderr);
      if (code !== 0 || !match?.[1]) {
        reject(new Error(`matriz ${args[0] ?? ''} exited with ${String(code)}: ${stderr}`));
        return;
      }
      resolve({ seconds: round(seconds), max_rss_mb: round(Number(match[1]) / 1024) });
    });
  });
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

export function formatExportBench(result: ExportBenchResult): string {
  const row = (label: string, seconds: number, rss: number) =>
    `${label.padEnd(10)} ${seconds.toFixed(2).padStart(8)} s   peak RSS ${rss.toFixed(1).padStart(7)} MB  ${rss < result.target_max_rss_mb ? 'PASS' : 'FAIL'} (target < ${result.target_max_rss_mb} MB)\n`;
  return (
    `${result.entries} entries (built in ${result.build_seconds} s), database ${(result.database_bytes / 2 ** 20).toFixed(1)} MiB, export ${(result.export_bytes / 2 ** 20).toFixed(1)} MiB\n` +
    row('export', result.export.seconds, result.export.max_rss_mb) +
    row('restore', result.restore.seconds, result.restore.max_rss_mb)
  );
}
