import { describe, expect, it } from 'vitest';
import { buildGateReport } from '../../src/gates/gate-report.js';
import { gateReportErrors } from '../../src/gates/gate-report-schema.js';
import type { GateResult } from '../../src/gates/gate-result.js';

const context = {
  runId: 'r1',
  commit: null,
  startedAt: new Date('2026-01-01T00:00:00Z'),
  finishedAt: new Date('2026-01-01T00:01:00Z'),
  config: '.matriz/gates.yml',
  tools: { matriz: '0.1.0', node: 'v20.0.0', npm: null },
};

const passing: GateResult = {
  name: 'unit-tests',
  command: 'npm test',
  required: true,
  status: 'PASS',
  outcome: 'PASS',
  durationMs: 1200,
  log: 'logs/unit-tests.log',
  exitCode: 0,
  signal: null,
  timeoutSeconds: 600,
};

describe('gate report schema', () => {
  it('accepts a report built by the runner', () => {
    expect(gateReportErrors(buildGateReport([passing], context))).toEqual([]);
  });

  it('refuses a WAIVED gate whose waiver has expired', () => {
    const report = buildGateReport(
      [
        {
          ...passing,
          status: 'WAIVED',
          outcome: 'FAIL',
          exitCode: 1,
          reason: 'waived',
          waiver: { issue: '1', reason: 'r', expires: '2020-01-01', expired: true },
        },
      ],
      context,
    );
    expect(gateReportErrors(report).join('\n')).toContain(
      '/gates/0/waiver/expired must be equal to constant',
    );
  });

  it('refuses a PASS with a non-zero exit code, an unknown status and a missing duration', () => {
    const report = JSON.parse(JSON.stringify(buildGateReport([passing], context))) as {
      gates: Record<string, unknown>[];
    };
    const gate = report.gates[0] as Record<string, unknown>;
    gate.exit_code = 1;
    expect(gateReportErrors(report).join('\n')).toContain(
      '/gates/0/exit_code must be equal to constant',
    );
    gate.exit_code = 0;
    gate.status = 'OK';
    expect(gateReportErrors(report).join('\n')).toContain(
      '/gates/0/status must be equal to one of the allowed values',
    );
    gate.status = 'PASS';
    delete gate.duration_ms;
    expect(gateReportErrors(report).join('\n')).toContain(
      "must have required property 'duration_ms'",
    );
  });

  it('computes overall FAIL from a required ERROR, TIMEOUT or SKIP, never from an optional one', () => {
    for (const status of ['ERROR', 'TIMEOUT', 'SKIP'] as const) {
      const gate: GateResult = {
        ...passing,
        status,
        outcome: status,
        exitCode: null,
        log: status === 'SKIP' ? null : passing.log,
        reason: 'x',
      };
      expect(buildGateReport([gate], context).overall).toBe('FAIL');
      expect(buildGateReport([{ ...gate, required: false }], context).overall).toBe('PASS');
    }
  });
});
