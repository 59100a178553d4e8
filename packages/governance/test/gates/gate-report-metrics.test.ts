/**
 * `matriz gates run --openmetrics FILE`: the run's result as Prometheus metrics for
 * node_exporter's textfile collector, labelled with the branch, and accepted by the real
 * `promtool check metrics` where it is installed.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../support/cli.js';

const PROMTOOL = process.env.MATRIZ_PROMTOOL ?? '/usr/bin/promtool';
const required = process.env.MATRIZ_REQUIRE_PROMETHEUS === '1';
const CONFIG =
  'gates:\n  - name: lint\n    command: "true"\n    timeout: 10\n  - name: unit-tests\n    command: exit 3\n    timeout: 10\n';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'matriz-gate-metrics-'));
  writeFileSync(path.join(dir, 'gates.yml'), CONFIG);
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function run(args: string[], env: Record<string, string> = {}) {
  const io = captureIo({ cwd: dir, env: { PATH: process.env.PATH ?? '', ...env } });
  const code = await main(
    ['gates', 'run', '--config', 'gates.yml', '--report', 'out/report.json', ...args],
    io,
  );
  return { code, err: io.err() };
}

describe('gates run --openmetrics', () => {
  it('writes the failed run, its failing required gates and each gate status, for the branch', async () => {
    const result = await run(['--openmetrics', 'textfile/gates.prom'], {
      GITHUB_REF_NAME: 'main',
    });
    expect(result.code).toBe(1);
    const text = readFileSync(path.join(dir, 'textfile/gates.prom'), 'utf8');
    const samples = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    expect(samples.filter((s) => !s.startsWith('gate_report_finished'))).toStrictEqual([
      'gate_report_failed{branch="main"} 1',
      'gate_report_failing_required{branch="main"} 1',
      'gate_status{branch="main",gate="lint",required="true",status="PASS"} 1',
      'gate_status{branch="main",gate="unit-tests",required="true",status="FAIL"} 1',
    ]);
    const report = JSON.parse(readFileSync(path.join(dir, 'out/report.json'), 'utf8')) as {
      finished_at: string;
    };
    expect(samples).toContain(
      `gate_report_finished_timestamp_seconds{branch="main"} ${Date.parse(report.finished_at) / 1000}`,
    );
  });

  it('labels the branch given with --branch, and reports a passing run as 0', async () => {
    writeFileSync(
      path.join(dir, 'gates.yml'),
      'gates:\n  - name: lint\n    command: "true"\n    timeout: 10\n',
    );
    const result = await run(['--openmetrics', 'gates.prom', '--branch', 'release/1.x']);
    expect(result.code).toBe(0);
    expect(readFileSync(path.join(dir, 'gates.prom'), 'utf8')).toContain(
      'gate_report_failed{branch="release/1.x"} 0\n',
    );
  });

  it.skipIf(!existsSync(PROMTOOL) && !required)('passes promtool check metrics', async () => {
    await run(['--openmetrics', 'gates.prom', '--branch', 'main']);
    const text = readFileSync(path.join(dir, 'gates.prom'), 'utf8');
    const lint = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = execFile(PROMTOOL, ['check', 'metrics'], (error, stdout, stderr) => {
        resolve({ code: error ? (error.code as number) : 0, output: `${stdout}${stderr}` });
      });
      child.stdin?.end(text);
    });
    expect(lint.output).toBe('');
    expect(lint.code).toBe(0);
  });
});
