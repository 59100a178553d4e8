/**
 * `npm run test:redteam -- --report FILE` writes the run as a Markdown table. This runs the
 * script on a sample of passing, failing and skipped cases (test/redteam/report/fixture) and
 * reads the table it wrote.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/tmp.js';

const root = path.resolve(import.meta.dirname, '../..');
const fixture = path.join(root, 'test/redteam/report/fixture');

/** The environment without the outer vitest run's variables, as a shell would start it. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST') && name !== 'TEST'),
  );
  return { ...env, NODE_ENV: '', ...extra };
}

describe('red-team report', () => {
  it('writes case, attack, expected, observed and verdict for every case of the run', () => {
    const report = path.join(tempDir(), 'nested', 'redteam.md');
    const run = spawnSync(
      process.execPath,
      [
        'scripts/redteam.js',
        '--report',
        report,
        '--config',
        path.join(fixture, 'vitest.config.ts'),
      ],
      {
        cwd: root,
        env: cleanEnv({ MATRIZ_REDTEAM_CASES: path.join(fixture, 'cases.md') }),
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    // One sample case fails on purpose: the script passes vitest's failure on.
    expect(run.status, run.stdout + run.stderr).toBe(1);
    const markdown = readFileSync(report, 'utf8');
    const rows = markdown
      .split('\n')
      .filter((line) => line.startsWith('| RT-') || line.startsWith('| (unnumbered)'));

    expect(markdown).toMatch(/^# Red-team run\n/);
    expect(markdown).toMatch(/: 4 passed, 1 failed, 1 skipped\./);
    expect(markdown).toContain('| case | attack | expected | observed | verdict |');
    expect(rows.map((row) => row.split(' | ')[0])).toEqual([
      '| RT-SAMPLE-1',
      '| RT-SAMPLE-2',
      '| RT-SAMPLE-3',
      '| RT-SAMPLE-4',
      '| RT-SAMPLE-10',
      '| (unnumbered)',
    ]);
    // Attack and expected from the case table; observed from the case, repeats collapsed.
    expect(rows[0]).toBe(
      '| RT-SAMPLE-1 | a forged signature | 401 `bad-signature` | POST /api/v1/registry/register: 401 bad-signature; tree size 0 (unchanged) | pass |',
    );
    expect(rows[1]).toMatch(
      /^\| RT-SAMPLE-2 \| a write that should be refused \| 403 `not-owner` \| POST \/api\/v1\/registry\/register: 200 application\/json \| FAIL: the write was accepted: expected 200 to be 403/,
    );
    // A row shared by two cases in the table; a case that recorded nothing says so.
    expect(rows[2]).toBe(
      '| RT-SAMPLE-3 | the same attack twice | refused | (nothing recorded) | pass |',
    );
    expect(rows[4]).toContain(
      '| RT-SAMPLE-10 | the same attack twice | refused | 409 replayed-nonce | pass |',
    );
    // Not in the table: the attack comes from the test name, and "expected" says it is missing.
    expect(rows[3]).toBe(
      '| RT-SAMPLE-4 | skipped | (not in the case table) | (nothing recorded) | skipped |',
    );
    expect(rows[5]).toContain('| (unnumbered) | a check that is not a numbered case |');
  });

  it('refuses --report without a file name', () => {
    const run = spawnSync(process.execPath, ['scripts/redteam.js', '--report'], {
      cwd: root,
      env: cleanEnv({}),
      encoding: 'utf8',
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--report needs a file name');
  });
});
