import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';

/** A temporary directory removed after the current test. */
export function tempDir(): string {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'matriz-test-'));
  afterEach(() => {
    rmSync(directory, { recursive: true, force: true });
  });
  return directory;
}
