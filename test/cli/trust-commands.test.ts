import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

async function matriz(args: string[], cwd: string) {
  const io = captureIo({ cwd });
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

describe('trust commands refuse bad input before doing anything', () => {
  it('names the file, line and column of a trust root file with a duplicate member', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'root.json'), '{"payload":"e30=","payload":"e30="}');
    const result = await matriz(['trust', 'verify', 'root.json'], dir);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/root\.json:1:\d+: .*duplicate/i);
  });

  it('says which file is missing', async () => {
    const result = await matriz(['trust', 'verify', 'absent.json'], tempDir());
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/absent\.json: .*no such file/i);
  });

  it('refuses trust show without exactly one of --server and --data-dir', async () => {
    const result = await matriz(['trust', 'show'], tempDir());
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/exactly one of --server and --data-dir/);
  });

  it('refuses a directory that is not a registry data directory, without a stack trace', async () => {
    const dir = tempDir();
    const result = await matriz(['trust', 'draft', '--data-dir', dir], dir);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/is not a registry data directory \(no registry\.json\)/);
    expect(result.err).not.toMatch(/internal error/);
  });

  it('refuses a --max-tier outside 0..7 and an unknown lane', async () => {
    const dir = tempDir();
    const tier = await matriz(
      ['owners', 'enrol', '--data-dir', dir, '--pub', 'x', '--lanes', 'core', '--max-tier', ''],
      dir,
    );
    expect(tier.code).toBe(2);
    expect(tier.err).toMatch(/--max-tier.*0 to 7/);
    const lane = await matriz(
      [
        'owners',
        'enrol',
        '--data-dir',
        dir,
        '--pub',
        'x',
        '--lanes',
        'core,moon',
        '--max-tier',
        '3',
      ],
      dir,
    );
    expect(lane.code).toBe(2);
    expect(lane.err).toMatch(/moon is not a lane/);
  });
});
