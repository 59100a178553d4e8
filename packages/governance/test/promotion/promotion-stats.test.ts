/**
 * `guard promotion-stats`: the promotion guard's decisions from its audit log, as counts and as
 * Prometheus text for node_exporter's textfile collector (checked with promtool when present).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../support/cli.js';

const record = (decision: 'allow' | 'block', time: string, codes: string[] = []) =>
  JSON.stringify({
    time,
    actor: 'ci',
    mode: 'change',
    base: 'a',
    head: 'b',
    decision,
    findings: [],
    removed_markers: [],
    issues: {},
    reasons: codes.map((code) => ({ code, message: 'm', file: 'f', line: 1, column: 1 })),
  });

async function run(cwd: string, args: string[]) {
  const io = captureIo({ cwd });
  const code = await main(['guard', 'promotion-stats', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

describe('matriz guard promotion-stats', () => {
  it('counts decisions and block reasons, and writes Prometheus text a collector parses', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'promotion-stats-'));
    writeFileSync(
      path.join(dir, 'audit.jsonl'),
      [
        record('allow', '2026-12-01T10:00:00Z'),
        record('block', '2026-12-02T10:00:00Z', ['open-issue', 'temp-stub']),
        record('block', '2026-12-03T10:00:00Z', ['temp-stub']),
        '',
      ].join('\n'),
    );
    const json = await run(dir, ['--audit-log', 'audit.jsonl', '--format', 'json']);
    expect(json.code, json.err).toBe(0);
    expect(JSON.parse(json.out)).toEqual({
      runs: 3,
      allowed: 1,
      blocked: 2,
      reasons: { 'open-issue': 1, 'temp-stub': 2 },
      last_decision_seconds: Date.parse('2026-12-03T10:00:00Z') / 1000,
    });
    const prom = await run(dir, [
      '--audit-log',
      'audit.jsonl',
      '--format',
      'openmetrics',
      '--output',
      'promotion.prom',
    ]);
    expect(prom.code, prom.err).toBe(0);
    const text = readFileSync(path.join(dir, 'promotion.prom'), 'utf8');
    expect(text).toContain('promotion_guard_decisions_total{decision="block"} 2\n');
    expect(text).toContain('promotion_guard_block_reasons_total{code="temp-stub"} 2\n');
    if (existsSync('/usr/bin/promtool'))
      execFileSync('/usr/bin/promtool', ['check', 'metrics'], { input: text });
  });

  it('reports an empty log as no decisions, and refuses a line that is no decision with its line number', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'promotion-stats-'));
    expect((await run(dir, ['--audit-log', 'none.jsonl'])).out).toBe(
      '0 promotion decisions: 0 allowed, 0 blocked\n',
    );
    writeFileSync(
      path.join(dir, 'bad.jsonl'),
      `${record('allow', '2026-12-01T10:00:00Z')}\n{"decision":"maybe"}\n`,
    );
    const bad = await run(dir, ['--audit-log', 'bad.jsonl']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/bad\.jsonl:2: not a promotion guard decision/);
  });
});
