/**
 * A gate report as Prometheus metrics, for node_exporter's textfile collector
 * (`matriz gates run --openmetrics FILE`): whether the run failed, how many required gates made
 * it fail, when it finished, and each gate's status, all labelled with the branch the gates ran
 * on, so an alert can single out main. Prometheus text format 0.0.4, the format that collector
 * parses (as guard-stats-metrics.ts).
 */
import type { GateReport } from './gate-report.js';

export function gateReportMetrics(report: GateReport, branch: string): string {
  const branchLabel = `branch="${escapeLabel(branch)}"`;
  const lines = [
    '# HELP gate_report_failed 1 when the latest gate run on the branch is FAIL, 0 when PASS.',
    '# TYPE gate_report_failed gauge',
    `gate_report_failed{${branchLabel}} ${report.overall === 'FAIL' ? 1 : 0}`,
    '# HELP gate_report_failing_required Required gates that made the latest run FAIL.',
    '# TYPE gate_report_failing_required gauge',
    `gate_report_failing_required{${branchLabel}} ${report.failing_required.length}`,
    '# HELP gate_report_finished_timestamp_seconds When the latest gate run finished (Unix time).',
    '# TYPE gate_report_finished_timestamp_seconds gauge',
    `gate_report_finished_timestamp_seconds{${branchLabel}} ${Date.parse(report.finished_at) / 1000}`,
    '# HELP gate_status 1 for each gate with its status in the latest run (PASS, FAIL, ERROR, TIMEOUT, SKIP, WAIVED).',
    '# TYPE gate_status gauge',
    ...report.gates.map(
      (gate) =>
        `gate_status{${branchLabel},gate="${escapeLabel(gate.name)}",required="${String(gate.required)}",status="${gate.status}"} 1`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

/** A label value in the text format: backslash, double quote and newline escaped. */
function escapeLabel(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}
