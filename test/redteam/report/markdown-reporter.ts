/**
 * A vitest reporter that writes the red-team run as a Markdown table (case, attack, expected,
 * observed, verdict) to `outputFile`. scripts/redteam.js adds it for `--report FILE`.
 *
 * Expected outcomes come from the case table of `casesFile` (default docs/security.md); what
 * each case observed from its `meta.observed` (test/redteam/observe.ts).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';
import { caseOfTestName, documentedCases, formatReport, type ReportRow } from './cases.js';

export interface MarkdownReporterOptions {
  readonly outputFile?: string;
  readonly casesFile?: string;
}

export default class MarkdownReporter implements Reporter {
  private readonly outputFile: string;
  private readonly casesFile: string;

  constructor(options: MarkdownReporterOptions = {}) {
    const outputFile = options.outputFile ?? process.env.MATRIZ_REDTEAM_REPORT;
    if (!outputFile)
      throw new Error(
        'the red-team Markdown reporter needs a file: pass { outputFile } or set MATRIZ_REDTEAM_REPORT',
      );
    this.outputFile = path.resolve(outputFile);
    this.casesFile = path.resolve(
      options.casesFile ?? process.env.MATRIZ_REDTEAM_CASES ?? 'docs/security.md',
    );
  }

  onTestRunEnd(testModules: readonly TestModule[]): void {
    const documented = documentedCases(readFileSync(this.casesFile, 'utf8'));
    const rows: ReportRow[] = [];
    for (const testModule of testModules) {
      for (const test of testModule.children.allTests()) {
        const { id, attack } = caseOfTestName(test.name);
        const result = test.result();
        const failure = result.state === 'failed' ? result.errors[0]?.message : undefined;
        rows.push({
          id,
          attack: documented.get(id)?.attack ?? attack,
          expected: documented.get(id)?.expected ?? '',
          observed: test.meta().observed ?? [],
          verdict:
            result.state === 'passed' ? 'pass' : result.state === 'failed' ? 'FAIL' : 'skipped',
          ...(failure === undefined ? {} : { failure: failure.split('\n')[0] ?? '' }),
        });
      }
    }
    mkdirSync(path.dirname(this.outputFile), { recursive: true });
    writeFileSync(
      this.outputFile,
      formatReport(rows, {
        date: new Date().toISOString().slice(0, 19) + 'Z',
        command: 'npm run test:redteam',
      }),
    );
  }
}
