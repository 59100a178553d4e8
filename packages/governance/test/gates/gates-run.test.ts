import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { GateReport } from '../../src/gates/gate-report.js';
import { gateReportErrors } from '../../src/gates/gate-report-schema.js';
import { captureIo } from '../support/cli.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'matriz-gates-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function runGates(
  config: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string; report: GateReport | undefined }> {
  writeFileSync(path.join(dir, 'gates.yml'), config);
  const io = captureIo({ cwd: dir, env: { PATH: process.env.PATH ?? '', ...env } });
  const code = await main(
    ['gates', 'run', '--config', 'gates.yml', '--report', 'out/report.json', ...args],
    io,
  );
  let report: GateReport | undefined;
  try {
    report = JSON.parse(readFileSync(path.join(dir, 'out/report.json'), 'utf8')) as GateReport;
  } catch {
    report = undefined;
  }
  return { code, out: io.out(), err: io.err(), report };
}

function statuses(report: GateReport | undefined): Record<string, string> {
  return Object.fromEntries((report?.gates ?? []).map((g) => [g.name, g.status]));
}

describe('matriz gates run', () => {
  it('passes when every required gate passes, with logs of each gate and a schema-valid report', async () => {
    const result = await runGates(
      'gates:\n  - name: lint\n    command: echo linted; echo warned >&2\n    timeout: 10\n  - name: unit-tests\n    command: test 2 -gt 1\n    timeout: 10\n',
      ['--markdown', 'out/summary.md'],
      { GITHUB_SHA: 'a'.repeat(40), GITHUB_RUN_ID: '77', GITHUB_RUN_ATTEMPT: '2' },
    );
    expect(result.code).toBe(0);
    expect(gateReportErrors(result.report)).toEqual([]);
    expect(result.report).toMatchObject({
      schema_version: 'matriz.gate-report.v1',
      commit: 'a'.repeat(40),
      run_id: '77.2',
      overall: 'PASS',
      failing_required: [],
      summary: { PASS: 2, FAIL: 0 },
    });
    expect(result.report?.tools.node).toBe(process.version);
    expect(result.report?.gates[0]).toMatchObject({
      name: 'lint',
      log: 'out/logs/lint.log',
      exit_code: 0,
    });
    expect(readFileSync(path.join(dir, 'out/logs/lint.log'), 'utf8')).toBe('linted\nwarned\n');
    expect(result.out).toContain('overall: PASS');
    // The summary and the report can never disagree: both come from the same `overall`.
    const markdown = readFileSync(path.join(dir, 'out/summary.md'), 'utf8');
    expect(markdown).toContain(
      '## Gates: PASS\n\n✅ **PASS**: every required gate passed or is waived',
    );
    expect(markdown).toContain(`Commit \`${'a'.repeat(40)}\` · run \`77.2\``);
  });

  it('makes overall FAIL and exits non-zero when a required gate fails', async () => {
    const result = await runGates(
      'gates:\n  - name: good\n    command: "true"\n    timeout: 10\n  - name: broken\n    command: echo boom; exit 3\n    timeout: 10\n',
    );
    expect(result.code).toBe(1);
    expect(gateReportErrors(result.report)).toEqual([]);
    expect(statuses(result.report)).toEqual({ good: 'PASS', broken: 'FAIL' });
    expect(result.report?.gates[1]).toMatchObject({ exit_code: 3, reason: 'exited with status 3' });
    expect(result.report).toMatchObject({ overall: 'FAIL', failing_required: ['broken'] });
    expect(result.out).toContain('overall: FAIL (required gates not passing: broken)');
  });

  it('keeps overall PASS when only an optional gate fails', async () => {
    const result = await runGates(
      'gates:\n  - name: advisory\n    command: "false"\n    timeout: 10\n    required: false\n',
    );
    expect(result.code).toBe(0);
    expect(result.report).toMatchObject({ overall: 'PASS', summary: { FAIL: 1 } });
  });

  it('marks a gate that outlives its timeout TIMEOUT and kills everything it started', async () => {
    const marker = path.join(dir, 'survivor');
    const started = Date.now();
    const result = await runGates(
      `gates:\n  - name: slow\n    command: (sleep 1; touch ${marker}) & sleep 5\n    timeout: 0.3\n`,
    );
    expect(Date.now() - started).toBeLessThan(2500);
    expect(result.code).toBe(1);
    expect(gateReportErrors(result.report)).toEqual([]);
    expect(result.report?.gates[0]).toMatchObject({
      status: 'TIMEOUT',
      reason: 'killed after the 0.3 s timeout',
    });
    await new Promise((resolve) => setTimeout(resolve, 1300));
    expect(() => readFileSync(marker)).toThrow();
  }, 10_000);

  it('reports a command that cannot start as ERROR', async () => {
    const result = await runGates(
      'gates:\n  - name: missing\n    command: definitely-not-a-command-matriz\n    timeout: 10\n',
    );
    expect(result.code).toBe(1);
    expect(result.report?.gates[0]).toMatchObject({
      status: 'ERROR',
      reason: 'could not start: the command was not found (sh exit 127)',
    });
  });

  it('reports a gate whose log file cannot be created as ERROR, without running it', async () => {
    writeFileSync(path.join(dir, 'not-a-directory'), '');
    const result = await runGates(
      `gates:\n  - name: a\n    command: touch ran\n    timeout: 10\n`,
      ['--logs', 'not-a-directory/logs'],
    );
    expect(result.code).toBe(1);
    expect(result.report?.gates[0]).toMatchObject({
      status: 'ERROR',
      log: 'not-a-directory/logs/a.log',
    });
    expect(result.report?.gates[0]?.reason).toMatch(/^could not start: cannot open the log file: /);
    expect(() => readFileSync(path.join(dir, 'ran'))).toThrow();
  });

  it('waives a failing gate while its waiver is unexpired', async () => {
    const result = await runGates(
      'gates:\n  - name: flaky\n    command: exit 1\n    timeout: 10\n    waiver: { issue: 42, reason: upstream outage, expires: 2999-01-01 }\n',
    );
    expect(result.code).toBe(0);
    expect(gateReportErrors(result.report)).toEqual([]);
    expect(result.report?.gates[0]).toMatchObject({
      status: 'WAIVED',
      outcome: 'FAIL',
      waiver: { issue: '42', expires: '2999-01-01', expired: false },
    });
    expect(result.report?.overall).toBe('PASS');
  });

  it('fails a gate whose waiver has expired', async () => {
    const result = await runGates(
      'gates:\n  - name: flaky\n    command: exit 1\n    timeout: 10\n    waiver: { issue: 42, reason: upstream outage, expires: 2020-01-01 }\n',
    );
    expect(result.code).toBe(1);
    expect(gateReportErrors(result.report)).toEqual([]);
    expect(result.report?.gates[0]).toMatchObject({
      status: 'FAIL',
      waiver: { expired: true },
      reason: 'exited with status 1; the waiver (issue 42) expired 2020-01-01',
    });
    expect(result.report?.overall).toBe('FAIL');
  });

  it('skips gates not named by --only, and a skipped required gate keeps overall FAIL', async () => {
    const result = await runGates(
      'gates:\n  - name: a\n    command: "true"\n    timeout: 10\n  - name: b\n    command: "true"\n    timeout: 10\n',
      ['--only', 'a'],
    );
    expect(statuses(result.report)).toEqual({ a: 'PASS', b: 'SKIP' });
    expect(result.report?.gates[1]).toMatchObject({ reason: 'not selected by --only', log: null });
    expect(gateReportErrors(result.report)).toEqual([]);
    expect(result.report?.overall).toBe('FAIL');
    expect(result.code).toBe(1);
  });

  it('never runs more gates at once than --jobs allows', async () => {
    const gate = (n: number): string =>
      `  - name: g${n}\n    command: mkdir -p running && touch running/$MATRIZ_GATE && ls running | wc -l >> counts && sleep 0.3 && rm running/$MATRIZ_GATE\n    timeout: 10\n`;
    const result = await runGates(`gates:\n${[1, 2, 3, 4, 5].map(gate).join('')}`, ['--jobs', '2']);
    expect(result.code).toBe(0);
    const counts = readFileSync(path.join(dir, 'counts'), 'utf8').trim().split(/\s+/).map(Number);
    expect(counts).toHaveLength(5);
    expect(Math.max(...counts)).toBe(2);
  });

  it('writes a Markdown summary with the verdict, one row per gate and the failing log tail', async () => {
    const result = await runGates(
      'gates:\n  - name: ok\n    command: "true"\n    timeout: 10\n  - name: broken\n    command: echo "the | reason"; exit 2\n    timeout: 10\n',
      ['--markdown', 'out/summary.md'],
    );
    const markdown = readFileSync(path.join(dir, 'out/summary.md'), 'utf8');
    expect(markdown).toContain('## Gates: FAIL');
    expect(markdown).toContain('required gate `broken` did not pass');
    expect(markdown).toMatch(/\| `ok` \| ✅ PASS \| yes \| \d+\.\d s \| {2}\|/);
    expect(markdown).toContain('| `broken` | ❌ FAIL | yes |');
    expect(markdown).toContain('```text\nthe | reason\n```');
    expect(result.code).toBe(1);
  });

  it('exits 2 when the report cannot be written, after printing the results', async () => {
    writeFileSync(path.join(dir, 'out'), 'a file where the report directory should be');
    const result = await runGates('gates:\n  - name: a\n    command: "true"\n    timeout: 10\n', [
      '--logs',
      'logs',
    ]);
    expect(result.code).toBe(2);
    expect(result.out).toContain('overall: PASS');
    expect(result.err).toContain('matriz-governance: error: cannot write the gate report:');
  });

  it('refuses a configuration it cannot trust, before running anything', async () => {
    const duplicate = await runGates(
      'gates:\n  - name: a\n    command: "true"\n    timeout: 1\n  - name: a\n    command: "true"\n    timeout: 1\n',
    );
    expect(duplicate.code).toBe(2);
    expect(duplicate.err).toContain('gate "a" is defined twice [gates-invalid]');
    const badDate = await runGates(
      'gates:\n  - name: a\n    command: "true"\n    timeout: 1\n    waiver: { issue: 1, reason: r, expires: 2026-02-30 }\n',
    );
    expect(badDate.err).toContain('/gates/0/waiver/expires: "2026-02-30" is not a date');
    const noTimeout = await runGates('gates:\n  - name: a\n    command: "true"\n');
    expect(noTimeout.err).toContain("must have required property 'timeout'");
    const unknownOnly = await runGates(
      'gates:\n  - name: a\n    command: "true"\n    timeout: 1\n',
      ['--only', 'b'],
    );
    expect(unknownOnly.code).toBe(2);
    expect(unknownOnly.err).toContain('--only names unknown gate b (configured: a)');
    const io = captureIo({ cwd: dir });
    expect(await main(['gates', 'run', '--config', 'absent.yml'], io)).toBe(2);
    expect(io.err()).toContain('[gates-unreadable]');
  });
});
