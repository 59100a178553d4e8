import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendAuditRecord } from '../../src/files/audit-log.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'matriz-audit-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('promotion audit log', () => {
  it('creates a missing log with exactly one line and leaves no temporary file', async () => {
    const file = path.join(dir, 'audit', 'log.jsonl');
    await appendAuditRecord(file, { decision: 'allow' });
    expect(readFileSync(file, 'utf8')).toBe('{"decision":"allow"}\n');
    expect(readdirSync(path.dirname(file))).toEqual(['log.jsonl']);
  });

  it('appends to an existing log, keeping earlier decisions', async () => {
    const file = path.join(dir, 'log.jsonl');
    await appendAuditRecord(file, { n: 1 });
    await appendAuditRecord(file, { n: 2 });
    expect(readFileSync(file, 'utf8')).toBe('{"n":1}\n{"n":2}\n');
  });

  it('keeps every line whole when decisions are recorded concurrently', async () => {
    const file = path.join(dir, 'log.jsonl');
    await Promise.all(
      Array.from({ length: 40 }, (_, n) => appendAuditRecord(file, { n, pad: 'x'.repeat(200) })),
    );
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(40);
    expect(new Set(lines.map((l) => (JSON.parse(l) as { n: number }).n)).size).toBe(40);
    expect(readdirSync(dir)).toEqual(['log.jsonl']);
  });
});
