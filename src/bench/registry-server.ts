/** Starts a throwaway `matriz serve` for the registry benchmark, and formats its results. */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { RegistryBenchResult } from './registry.js';

export interface BenchServer {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Starts `matriz serve` on a fresh data directory, removed when it stops, or on `existing` (a data
 * directory a benchmark built, with its origin and the passphrase of its keys), left for its owner to remove.
 */
export async function startBenchServer(
  /** bin/matriz.js of the package. */
  bin: string,
  progress: (message: string) => void,
  existing?: { readonly dataDir: string; readonly passphrase: string; readonly origin: string },
): Promise<BenchServer> {
  const dataDir = existing?.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'matriz-bench-')));
  progress(
    `starting matriz serve with ${existing ? 'the data directory' : 'a fresh data directory'} ${dataDir}...`,
  );
  const child = spawn(
    process.execPath,
    [
      bin,
      'serve',
      '--data-dir',
      dataDir,
      '--port',
      '0',
      '--origin',
      existing?.origin ?? 'bench.local/registry',
      '--rate-limit',
      '100000000',
      '--key-scrypt-log-n',
      '14',
      // Access lines off, as in the benchmarks recorded before request logging existed.
      '--log-level',
      'warn',
    ],
    {
      env: {
        ...process.env,
        MATRIZ_KEY_PASSPHRASE: existing?.passphrase ?? randomBytes(16).toString('hex'),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /serving log \S+ at (http:\/\/\S+)/.exec(stderr);
      if (match?.[1]) resolve(match[1]);
    });
    child.on('exit', (code) => {
      reject(new Error(`matriz serve exited with ${String(code)}: ${stderr}`));
    });
  });
  return {
    url,
    stop: async () => {
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      if (!existing) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function formatRegistryBench(result: RegistryBenchResult): string {
  const row = (label: string, r: RegistryBenchResult['registrations']): string =>
    `${label.padEnd(26)} ${String(r.per_sec).padStart(7)}/s  p50 ${r.p50_ms} ms  p95 ${r.p95_ms} ms  p99 ${r.p99_ms} ms  (${r.ok} ok, ${r.errors} errors)\n`;
  const { registrations, targets } = result;
  return (
    row('signed registrations', registrations) +
    row('GET /healthz (baseline)', result.healthz_baseline) +
    `ratio to baseline: ${(registrations.per_sec / Math.max(1, result.healthz_baseline.per_sec)).toFixed(3)}\n` +
    `target ${targets.registrations_per_sec}/s with p95 <= ${targets.p95_ms} ms: ${result.pass ? 'PASS' : 'FAIL'}\n`
  );
}
