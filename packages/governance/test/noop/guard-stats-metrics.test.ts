/**
 * `matriz guard noop-stats --format openmetrics`: the guard's statistics as Prometheus text for
 * node_exporter's textfile collector, written atomically with --output, and accepted by the real
 * `promtool check metrics` (Debian package `prometheus`) where it is installed.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../support/cli.js';

const PROMTOOL = process.env.MATRIZ_PROMTOOL ?? '/usr/bin/promtool';
const required = process.env.MATRIZ_REQUIRE_PROMETHEUS === '1';

/** Three runs (two flagged, one labelled false-positive, one let through). */
function auditLog(dir: string): string {
  const file = path.join(dir, 'noop-guard.jsonl');
  const path1 = { path: 'a.ts', status: 'modified', verdict: 'noop', reason: 'equal-syntax-tree' };
  const path2 = {
    path: 'b.md',
    status: 'modified',
    verdict: 'substantive',
    reason: 'content-changed',
  };
  writeFileSync(
    file,
    [
      { type: 'run', run_id: 'r1', verdict: 'noop', paths: [path1] },
      { type: 'run', run_id: 'r2', verdict: 'substantive', paths: [path2] },
      { type: 'run', run_id: 'r3', verdict: 'noop', paths: [path1] },
      {
        type: 'label',
        run_id: 'r1',
        label: 'false-positive',
        by: 'ana',
        time: '2026-12-01T00:00:00Z',
      },
    ]
      .map((record) => JSON.stringify(record))
      .join('\n') + '\n',
  );
  return file;
}

async function stats(args: string[], cwd: string) {
  const io = captureIo({ cwd, env: {} });
  const code = await main(['guard', 'noop-stats', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

describe('noop-stats --format openmetrics', () => {
  it('prints the counters and the false-positive ratio', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'noop-metrics-'));
    const result = await stats(['--audit-log', auditLog(dir), '--format', 'openmetrics'], dir);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const samples = result.out.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    expect(samples).toStrictEqual([
      'noop_guard_runs_total 3',
      'noop_guard_flags_total 2',
      'noop_guard_false_positives_total 1',
      'noop_guard_true_positives_total 0',
      'noop_guard_unlabelled_flags_total 1',
      'noop_guard_true_negatives_total 1',
      'noop_guard_path_reasons_total{reason="content-changed"} 1',
      'noop_guard_path_reasons_total{reason="equal-syntax-tree"} 2',
      'noop_guard_false_positive_ratio 0.5',
    ]);
    expect(result.out).toContain('# TYPE noop_guard_false_positive_ratio gauge\n');
    expect(result.out).toContain('# TYPE noop_guard_runs_total counter\n');
  });

  it('leaves the ratio out before any run', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'noop-metrics-'));
    const result = await stats(
      ['--audit-log', path.join(dir, 'absent.jsonl'), '--format', 'openmetrics'],
      dir,
    );
    expect(result.code).toBe(0);
    expect(result.out).toContain('noop_guard_runs_total 0\n');
    expect(result.out).not.toContain('noop_guard_false_positive_ratio');
  });

  it('writes the textfile-collector file with --output, nothing on stdout', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'noop-metrics-'));
    const file = path.join(dir, 'noop-guard.prom');
    const result = await stats(
      ['--audit-log', auditLog(dir), '--format', 'openmetrics', '--output', file],
      dir,
    );
    expect(result.code).toBe(0);
    expect(result.out).toBe('');
    expect(readFileSync(file, 'utf8')).toContain('noop_guard_false_positive_ratio 0.5\n');
  });

  it.skipIf(!existsSync(PROMTOOL) && !required)('passes promtool check metrics', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'noop-metrics-'));
    const { out } = await stats(['--audit-log', auditLog(dir), '--format', 'openmetrics'], dir);
    const lint = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = execFile(PROMTOOL, ['check', 'metrics'], (error, stdout, stderr) => {
        resolve({ code: error ? (error.code as number) : 0, output: `${stdout}${stderr}` });
      });
      child.stdin?.end(out);
    });
    expect(lint.output).toBe('');
    expect(lint.code).toBe(0);
  });
});
