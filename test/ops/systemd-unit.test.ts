/**
 * ops/systemd/matriz.service: systemd itself checks it (`systemd-analyze verify`), its
 * hardening scores as systemd rates it (`systemd-analyze security --offline`), and it runs
 * `serve --production` and does not restart a start refused in production mode.
 * Skipped where systemd-analyze is missing (containers without systemd).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { EXIT_PRODUCTION_REFUSED } from '../../src/operator/production.js';
import { tempDir } from '../support/tmp.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const UNIT = path.join(ROOT, 'ops/systemd/matriz.service');
const ANALYZE = '/usr/bin/systemd-analyze';
const available = existsSync(ANALYZE);
const run = promisify(execFile);

if (!available) console.warn(`test/ops/systemd-unit: no ${ANALYZE}, systemd checks skipped`);

/** The unit with ExecStart pointing at this checkout's matriz, so verify can find the binary. */
function unitHere(): string {
  const dir = tempDir();
  const file = path.join(dir, 'matriz.service');
  writeFileSync(
    file,
    readFileSync(UNIT, 'utf8').replace(
      /^ExecStart=\/usr\/bin\/matriz /m,
      `ExecStart=${process.execPath} ${path.join(ROOT, 'bin/matriz.js')} `,
    ),
  );
  return file;
}

describe('the systemd unit', () => {
  const unit = readFileSync(UNIT, 'utf8');

  it('runs serve in production mode and does not restart a refused start', () => {
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/matriz serve --production /m);
    expect(unit).toMatch(/^Environment=MATRIZ_ENV=production$/m);
    expect(unit).toContain(`RestartPreventExitStatus=${EXIT_PRODUCTION_REFUSED}\n`);
    expect(unit).toMatch(/^StateDirectoryMode=0700$/m);
  });

  it.skipIf(!available)('passes systemd-analyze verify', async () => {
    const { stdout, stderr } = await run(ANALYZE, ['verify', '--man=no', unitHere()]);
    expect(`${stdout}${stderr}`).toBe('');
  });

  it.skipIf(!available)('rates "OK" or better in systemd-analyze security', async () => {
    const result = await run(ANALYZE, ['security', '--offline=yes', unitHere()]).then(
      (r) => `${r.stdout}${r.stderr}`,
      (error: unknown) => {
        const failed = error as { stdout?: string; stderr?: string };
        return `${failed.stdout ?? ''}${failed.stderr ?? ''}`;
      },
    );
    const exposure = /Overall exposure level for matriz\.service: ([\d.]+)/.exec(result)?.[1];
    expect(exposure, result).toBeDefined();
    expect(Number(exposure)).toBeLessThanOrEqual(2);
  });
});
