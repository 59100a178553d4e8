/**
 * An x-wing backup recipient made through the CLI as an operator would: `backup.key` (cheap
 * scrypt) and `backup.pub.json` in `dir`, which must be the runner's working directory.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';

type Run = (args: string[]) => Promise<{ code: number; out: string; err: string }>;

export async function makeBackupRecipient(run: Run, dir: string): Promise<void> {
  const generated = await run([
    'keys',
    'generate',
    '--alg',
    'x-wing',
    '--out',
    'backup.key',
    '--scrypt-log-n',
    '10',
  ]);
  expect(generated.code, generated.err).toBe(0);
  const pub = await run(['keys', 'export-public', 'backup.key']);
  expect(pub.code, pub.err).toBe(0);
  await writeFile(path.join(dir, 'backup.pub.json'), pub.out);
}
