import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const GOPATH = '/usr/share/gocode';
const SOURCES = path.resolve(import.meta.dirname, '../interop/go');

/**
 * Whether Go and Debian's golang.org/x/mod sources are installed. CI installs them and sets
 * MATRIZ_REQUIRE_INTEROP=1, which turns a missing toolchain into a failure instead of a skip.
 */
export function goInteropAvailable(): boolean {
  const available =
    spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0 &&
    existsSync(path.join(GOPATH, 'src/golang.org/x/mod/sumdb/note'));
  if (!available && process.env.MATRIZ_REQUIRE_INTEROP === '1') {
    throw new Error(
      'Go interop tests are required (MATRIZ_REQUIRE_INTEROP=1) but go or golang-golang-x-mod-dev is missing',
    );
  }
  return available;
}

const binaries = new Map<string, string>();

/** Builds (once per process) the Go program test/interop/go/<name>.go; returns its path. */
function goBinary(name: string): string {
  let binary = binaries.get(name);
  if (binary === undefined) {
    const directory = mkdtempSync(path.join(os.tmpdir(), 'matriz-go-'));
    binary = path.join(directory, name);
    execFileSync('go', ['build', '-o', binary, path.join(SOURCES, `${name}.go`)], {
      env: {
        ...process.env,
        GO111MODULE: 'off',
        GOPATH,
        GOCACHE: path.join(directory, 'cache'),
        GOFLAGS: '',
      },
      stdio: 'pipe',
    });
    binaries.set(name, binary);
  }
  return binary;
}

/** Runs the Go verifier (verify.go) on one request. */
export function runGoVerifier(request: unknown): {
  note_error: string;
  note_text: string;
  signers: string[] | null;
  inclusion: string[] | null;
  consistency: string[] | null;
} {
  const output = execFileSync(goBinary('verify'), { input: JSON.stringify(request) });
  return JSON.parse(output.toString()) as ReturnType<typeof runGoVerifier>;
}

export interface GoTilesResult {
  error: string;
  origin: string;
  size: number;
  /** The root Go computed from the tiles, base64. */
  root: string;
  records: { index: number; leaf: string; error: string }[] | null;
  consistency: { from: number; root: string; error: string }[] | null;
  /** Every path Go read, in order. */
  fetched: string[] | null;
}

/**
 * Runs tiles.go: Go's sumdb/tlog reads the log as C2SP tiles from `base` (an http:// URL or a
 * directory), proving the inclusion of `leaves` and consistency from `old_sizes`. Asynchronous,
 * so that a server in this process can answer its requests.
 */
export async function runGoTiles(request: {
  base: string;
  vkey: string;
  leaves: number[];
  old_sizes: number[];
}): Promise<GoTilesResult> {
  const child = spawn(goBinary('tiles'), { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(JSON.stringify(request));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`tiles.go exited with ${String(code)}: ${stderr}`);
  return JSON.parse(stdout) as GoTilesResult;
}
