/** How commands talk to the terminal; injectable so tests run the real CLI in-process. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Reads standard input, stopping once more than `limit` bytes have arrived. */
  readonly readStdin: (limit: number) => Promise<Uint8Array>;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin: async (limit) => {
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of process.stdin) {
      chunks.push(chunk as Buffer);
      total += (chunk as Buffer).length;
      if (total > limit) break;
    }
    return new Uint8Array(Buffer.concat(chunks));
  },
  cwd: process.cwd(),
  env: process.env,
};
