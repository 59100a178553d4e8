/**
 * The gate report as GitHub-flavoured Markdown, for a job summary ($GITHUB_STEP_SUMMARY) or a
 * pull-request comment: the verdict first, one table row per gate, then the tail of the log of
 * every required gate that did not pass.
 */
import type { GateReport, GateReportEntry } from './gate-report.js';

const ICON: Readonly<Record<GateReportEntry['status'], string>> = {
  PASS: '✅',
  FAIL: '❌',
  ERROR: '💥',
  TIMEOUT: '⏱️',
  SKIP: '⏭️',
  WAIVED: '🟡',
};

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** `logTails` maps gate names to the last lines of their logs. */
export function gateReportMarkdown(
  report: GateReport,
  logTails: ReadonlyMap<string, string> = new Map(),
): string {
  const lines: string[] = [];
  const verdict =
    report.overall === 'PASS'
      ? '✅ **PASS**: every required gate passed or is waived'
      : `❌ **FAIL**: required gate${report.failing_required.length === 1 ? '' : 's'} ${report.failing_required.map((n) => `\`${n}\``).join(', ')} did not pass`;
  lines.push(`## Gates: ${report.overall}`, '', verdict, '');
  lines.push(
    `Commit \`${report.commit ?? 'unknown'}\` · run \`${report.run_id}\` · ${Object.entries(
      report.tools,
    )
      .map(([tool, version]) => `${tool} ${version ?? 'unavailable'}`)
      .join(' · ')}`,
    '',
  );
  lines.push(
    '| gate | status | required | duration | details |',
    '| --- | --- | --- | --- | --- |',
  );
  for (const gate of report.gates) {
    lines.push(
      `| \`${gate.name}\` | ${ICON[gate.status]} ${gate.status} | ${gate.required ? 'yes' : 'no'} | ${seconds(gate.duration_ms)} | ${cell(gate.reason ?? '')} |`,
    );
  }
  const counts = Object.entries(report.summary)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${status}`)
    .join(', ');
  lines.push('', `${report.gates.length} gates: ${counts}.`);
  for (const gate of report.gates) {
    const tail = logTails.get(gate.name);
    if (tail === undefined) continue;
    lines.push(
      '',
      `<details><summary><code>${gate.name}</code> ${gate.status}: last lines of <code>${gate.log ?? ''}</code></summary>`,
      '',
      '```text',
      // A zero-width space after the first backtick: a log cannot close the code fence.
      tail.replace(/```/g, '`\u200b``'),
      '```',
      '',
      '</details>',
    );
  }
  return `${lines.join('\n')}\n`;
}
