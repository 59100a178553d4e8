/**
 * RT-FUZZ (restore): the export file `matriz restore` reads. A plaintext export (signed, not
 * encrypted: the frames reach the record decoder without HPKE in front) with mutated bytes is
 * refused with RestoreError and leaves no data directory behind, or restores the same log.
 */
import { existsSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RestoreError, restoreLog } from '../../src/backup/restore.js';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../support/cli.js';
import { buildLogWithHistory, DATA_DIR_ENV } from '../support/data-dir-log.js';
import { tempDir } from '../support/tmp.js';
import { fuzzParameters, fuzzTimeout, mutatedFrom, Outcomes } from './fuzz.js';

let work: string;
let exported: Uint8Array;
let rootHash: string;

beforeAll(async () => {
  work = tempDir();
  const dataDir = path.join(work, 'source');
  await buildLogWithHistory(dataDir, 'restore.test/fuzz', 4);
  const file = path.join(work, 'plain.mtzx');
  const io = captureIo({ cwd: work, env: DATA_DIR_ENV });
  expect(await main(['export', '--data-dir', dataDir, '--plaintext', '--out', file], io)).toBe(0);
  exported = new Uint8Array(await readFile(file));
  const restored = await restoreLog({
    file,
    plaintext: true,
    target: { kind: 'sqlite', dataDir: path.join(work, 'genuine') },
  });
  rootHash = restored.rootHash;
}, 60_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('RT-FUZZ: export files', () => {
  it(
    'RT-FUZZ-25: a mutated export is refused with RestoreError, leaving no data directory, or restores the same log',
    async () => {
      const outcomes = new Outcomes([RestoreError]);
      let run = 0;
      await fc.assert(
        fc.asyncProperty(mutatedFrom([exported]), async (bytes) => {
          run++;
          const file = path.join(work, `mutated-${run}.mtzx`);
          const dataDir = path.join(work, `restored-${run}`);
          await writeFile(file, bytes);
          const summary = await outcomes.runAsync(() =>
            restoreLog({ file, plaintext: true, target: { kind: 'sqlite', dataDir } }),
          );
          if (summary) expect(summary.rootHash).toBe(rootHash);
          else expect(existsSync(path.join(dataDir, 'registry.sqlite3'))).toBe(false);
        }),
        fuzzParameters(60),
      );
      outcomes.report('export files');
      expect(outcomes.refused).toBeGreaterThan(0);
    },
    fuzzTimeout(60_000),
  );
});
