/**
 * The alert rules in ops/prometheus/alerts.yml: each has a summary, a description and a runbook
 * that exists; each has a promtool unit test that fires and one that stays silent; and the real
 * `promtool` (Debian package `prometheus`) accepts the rules and passes the unit tests.
 * promtool missing: skipped with a message, unless MATRIZ_REQUIRE_PROMETHEUS=1 (CI), then a failure.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const RULES_DIR = path.join(ROOT, 'ops/prometheus');
const RULES = path.join(RULES_DIR, 'alerts.yml');
const RULE_TESTS = path.join(RULES_DIR, 'alerts.test.yml');
const PROMTOOL = process.env.MATRIZ_PROMTOOL ?? '/usr/bin/promtool';
const available = existsSync(PROMTOOL);
const required = process.env.MATRIZ_REQUIRE_PROMETHEUS === '1';
const run = promisify(execFile);

if (!available && !required)
  console.warn(
    `test/ops/prometheus-rules skipped the promtool checks: no ${PROMTOOL} (apt-get install prometheus, or set MATRIZ_PROMTOOL); MATRIZ_REQUIRE_PROMETHEUS=1 makes this a failure`,
  );

interface AlertRule {
  readonly name: string;
  readonly text: string;
}

/** The alert rules of alerts.yml, each with its own lines (the file is a flat list of rules). */
function alertRules(): AlertRule[] {
  const text = readFileSync(RULES, 'utf8');
  return text
    .split(/^ {6}- alert: /m)
    .slice(1)
    .map((block) => ({ name: (block.split('\n')[0] ?? '').trim(), text: block }));
}

function annotation(rule: AlertRule, key: string): string | undefined {
  return new RegExp(`^ {10}${key}: (.+)$`, 'm').exec(rule.text)?.[1];
}

describe('alert rules', () => {
  const rules = alertRules();

  it('are the alerts the issue asks for, each named once', () => {
    expect(rules.map((r) => r.name).sort()).toStrictEqual(
      [
        'MatrizBackPressureRejections',
        'MatrizCheckpointSignSlow',
        'MatrizCheckpointStale',
        'MatrizGateReportFailOnMain',
        'MatrizHighErrorRatio',
        'MatrizLogInconsistent',
        'MatrizNoopGuardFalsePositiveRatioHigh',
        'MatrizNoSequencer',
        'MatrizSequencerFailover',
        'MatrizTargetDown',
        'MatrizTrustRootExpiringSoon',
        'MatrizVerifyFailureRatioHigh',
        'MatrizVerifySlow',
        'MatrizWriteLatencyHigh',
      ].sort(),
    );
  });

  it.each(alertRules())('$name has a summary, a description and a severity', (rule) => {
    expect(annotation(rule, 'summary')).toMatch(/\S/);
    expect(annotation(rule, 'description')).toMatch(/\S/);
    expect(rule.text).toMatch(/^ {10}severity: (page|critical|warning)$/m);
  });

  it.each(alertRules())('$name links a runbook that exists in docs/runbooks/', (rule) => {
    const url = annotation(rule, 'runbook_url');
    expect(url).toMatch(/^docs\/runbooks\/[a-z0-9-]+\.md$/);
    expect(existsSync(path.join(ROOT, url as string)), `${url} is missing`).toBe(true);
  });

  it.each(alertRules())('$name has a firing and a silent promtool unit test', (rule) => {
    const tests = readFileSync(RULE_TESTS, 'utf8');
    const silent = new RegExp(`alertname: ${rule.name}\\n {8}exp_alerts: \\[\\]`);
    const firing = new RegExp(`alertname: ${rule.name}\\n {8}exp_alerts:\\n {10}- exp_labels:`);
    expect(tests).toMatch(silent);
    expect(tests).toMatch(firing);
  });
});

describe('runbooks', () => {
  const linked = [...new Set(alertRules().map((rule) => annotation(rule, 'runbook_url')))];

  it.each(linked)('%s says what it means, how to confirm, mitigate, recover, escalate', (url) => {
    const text = readFileSync(path.join(ROOT, url as string), 'utf8');
    for (const heading of ['What it means', 'Confirm', 'Mitigate', 'Recover', 'Escalate'])
      expect(text).toContain(`\n## ${heading}\n`);
    // "Confirm" gives commands to run, not prose only.
    expect(text).toMatch(/## Confirm\n[\s\S]*?```(sh|promql)\n/);
  });

  it.each([
    'disk-full.md',
    'lost-passphrase.md',
    'rotate-log-key-under-load.md',
    'restore-from-backup.md',
  ])('the operations runbook %s exists', (file) => {
    expect(existsSync(path.join(ROOT, 'docs/runbooks', file))).toBe(true);
  });
});

describe.skipIf(!available && !required)('promtool', () => {
  it('checks the rules file', async () => {
    if (!available)
      throw new Error(
        `MATRIZ_REQUIRE_PROMETHEUS=1 but there is no ${PROMTOOL}: DEBIAN_FRONTEND=noninteractive apt-get install -y prometheus`,
      );
    const { stdout } = await run(PROMTOOL, ['check', 'rules', RULES]);
    expect(stdout).toContain(`SUCCESS: ${alertRules().length} rules found`);
  });

  it('passes the unit tests of every alert', async () => {
    if (!available) throw new Error(`MATRIZ_REQUIRE_PROMETHEUS=1 but there is no ${PROMTOOL}`);
    // promtool exits 1 on a failed test; keep its report for the assertion message.
    const output = await run(PROMTOOL, ['test', 'rules', RULE_TESTS], { cwd: RULES_DIR }).then(
      (result) => `${result.stdout}${result.stderr}`,
      (error: unknown) => {
        const failed = error as { stdout?: string; stderr?: string };
        return `${failed.stdout ?? ''}${failed.stderr ?? ''}`;
      },
    );
    expect(output).not.toMatch(/FAILED/);
    expect(output).toMatch(/SUCCESS/);
  });
});
