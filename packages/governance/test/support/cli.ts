import type { CliIo } from '../../src/cli/io.js';

export interface CapturedIo extends CliIo {
  out(): string;
  err(): string;
}

/** A CliIo that records what the CLI prints, for running the real CLI in-process. */
export function captureIo(
  options: { cwd?: string; stdin?: string | Uint8Array; env?: Record<string, string> } = {},
): CapturedIo {
  let out = '';
  let err = '';
  const stdin =
    typeof options.stdin === 'string'
      ? new TextEncoder().encode(options.stdin)
      : (options.stdin ?? new Uint8Array());
  return {
    stdout: (text) => {
      out += text;
    },
    stderr: (text) => {
      err += text;
    },
    readStdin: (limit) => Promise.resolve(stdin.subarray(0, limit + 1)),
    cwd: options.cwd ?? process.cwd(),
    env: options.env ?? {},
    out: () => out,
    err: () => err,
  };
}
