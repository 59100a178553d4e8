import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const GOPATH = '/usr/share/gocode';
const SOURCE = path.resolve(import.meta.dirname, '../interop/go/verify.go');

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

let binary: string | undefined;

/** Builds (once per process) and runs the Go verifier on one request. */
export function runGoVerifier(request: unknown): {
  note_error: string;
  note_text: string;
  signers: string[] | null;
  inclusion: string[] | null;
  consistency: string[] | null;
} {
  if (binary === undefined) {
    const directory = mkdtempSync(path.join(os.tmpdir(), 'matriz-go-'));
    binary = path.join(directory, 'verify');
    execFileSync('go', ['build', '-o', binary, SOURCE], {
      env: {
        ...process.env,
        GO111MODULE: 'off',
        GOPATH,
        GOCACHE: path.join(directory, 'cache'),
        GOFLAGS: '',
      },
      stdio: 'pipe',
    });
  }
  const output = execFileSync(binary, { input: JSON.stringify(request) });
  return JSON.parse(output.toString()) as ReturnType<typeof runGoVerifier>;
}
