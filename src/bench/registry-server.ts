/** Starts a throwaway `matriz serve` for the registry benchmark, and formats its results. */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { RegistryBenchResult } from './registry.js';

export interface BenchServer {
  readonly url: string;
  /**
   * User+sys CPU seconds the server process has used so far (all its threads), or a note saying
   * why that cannot be read here.
   */
  cpuSeconds(): Promise<number | string>;
  /** Its CPU by thread and its I/O so far (`processUsage`), or why that cannot be read. */
  usage(): Promise<ProcessUsage | string>;
  stop(): Promise<void>;
}

/**
 * Clock ticks per second of /proc/<pid>/stat's utime and stime (sysconf(_SC_CLK_TCK)): 100 on
 * every Linux architecture Node.js runs on (the kernel's USER_HZ).
 */
const USER_HZ = 100;

/** utime + stime of a process from /proc/<pid>/stat (proc(5)), seconds; a note if unreadable. */
export async function processCpuSeconds(pid: number | undefined): Promise<number | string> {
  if (pid === undefined) return 'the server process has no pid';
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return `cannot read /proc/${pid}/stat (not Linux?)`;
  }
  return cpuOfStat(stat) ?? `unexpected /proc/${pid}/stat format`;
}

/** utime + stime of a proc(5) `stat` line, seconds; undefined when it is not one. */
function cpuOfStat(stat: string): number | undefined {
  // Fields after the command name, which is in parentheses and may itself contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // proc(5) numbers the fields from 1 with pid and comm first: utime is 14, stime 15.
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return (utime + stime) / USER_HZ;
}

/** A process's CPU by thread and its I/O counters so far (proc(5) `task/<tid>/stat`, `io`). */
export interface ProcessUsage {
  /** User+sys seconds of each thread, by thread id; the main thread's id is the process id. */
  readonly threads: ReadonlyMap<number, number>;
  readonly mainThread: number;
  /** `rchar`, `syscr`, `wchar`, `syscw`: bytes and calls of read and write system calls. */
  readonly io: {
    readonly readBytes: number;
    readonly readCalls: number;
    readonly writeBytes: number;
    readonly writeCalls: number;
  };
}

/** `ProcessUsage` of process `pid`, or why it cannot be read (not Linux, gone). */
export async function processUsage(pid: number | undefined): Promise<ProcessUsage | string> {
  if (pid === undefined) return 'the server process has no pid';
  try {
    const tids = (await readdir(`/proc/${pid}/task`)).map(Number);
    const threads = new Map<number, number>();
    for (const tid of tids) {
      // A thread may end between the listing and this read: it is left out.
      const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => '');
      const seconds = cpuOfStat(stat);
      if (seconds !== undefined) threads.set(tid, seconds);
    }
    const counters = new Map(
      (await readFile(`/proc/${pid}/io`, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => line.split(':').map((part) => part.trim()) as [string, string]),
    );
    const counter = (name: string): number => Number(counters.get(name));
    return {
      threads,
      mainThread: pid,
      io: {
        readBytes: counter('rchar'),
        readCalls: counter('syscr'),
        writeBytes: counter('wchar'),
        writeCalls: counter('syscw'),
      },
    };
  } catch {
    return `cannot read /proc/${pid}/task or /proc/${pid}/io (not Linux?)`;
  }
}

/**
 * Starts `matriz serve` on a fresh data directory, removed when it stops, or on `existing` (a data
 * directory a benchmark built, with its origin and the passphrase of its keys), left for its owner to remove.
 */
export async function startBenchServer(
  /** bin/matriz.js of the package. */
  bin: string,
  progress: (message: string) => void,
  existing?: {
    readonly dataDir: string;
    readonly passphrase: string;
    readonly origin: string;
    /** The PostgreSQL store the data directory's log is in, if not its SQLite file. */
    readonly databaseUrl?: string;
    /** More `serve` options (a replica's `--sequencer never`). */
    readonly args?: readonly string[];
  },
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
      ...(existing?.databaseUrl === undefined ? [] : ['--database-url', existing.databaseUrl]),
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
      ...(existing?.args ?? []),
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
    cpuSeconds: () => processCpuSeconds(child.pid),
    usage: () => processUsage(child.pid),
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
  const { registrations, targets, write_path_targets: goals } = result;
  const cpu =
    result.server_cpu_ms_per_write === null
      ? `n/a (${result.server_cpu_note ?? 'not measured'})`
      : `${result.server_cpu_ms_per_write} ms (${result.server_cpu_seconds} s over ${registrations.ok} registrations)`;
  const verdict = (pass: boolean | null): string =>
    pass === null ? 'n/a' : pass ? 'PASS' : 'FAIL';
  const { warmup, server_threads_cpu_ms_per_write: threads, server_io_per_write: io } = result;
  return (
    (warmup.registrations > 0
      ? `warm-up (not measured): ${warmup.registrations} registrations and ${warmup.healthz} GET /healthz together, ${warmup.errors} errors\n`
      : '') +
    row('signed registrations', registrations) +
    row('GET /healthz (baseline)', result.healthz_baseline) +
    `ratio to baseline: ${result.ratio_to_healthz.toFixed(3)}\n` +
    `server CPU per registration: ${cpu}\n` +
    (threads === null
      ? ''
      : `  by thread: event loop ${threads.event_loop} ms, others ${threads.others.join(', ')} ms\n`) +
    (io === null
      ? ''
      : `server I/O per registration: wrote ${io.write_bytes} bytes in ${io.write_calls} calls, read ${io.read_bytes} bytes in ${io.read_calls} calls\n`) +
    (result.healthz_server_cpu_ms_per_request === null
      ? ''
      : `server CPU per GET /healthz: ${result.healthz_server_cpu_ms_per_request} ms\n`) +
    `target ${targets.registrations_per_sec}/s with p95 <= ${targets.p95_ms} ms: ${verdict(result.pass)}\n` +
    `write path target (ratio >= ${goals.ratio_to_healthz}, p95 <= ${goals.p95_ms} ms, server CPU <= ${goals.server_cpu_ms_per_write} ms per registration): ${verdict(result.write_path_pass)}\n`
  );
}
