/**
 * The red-team report's rows: a case id and its attack from the test name
 * (`RT-<CATEGORY>-<n>: <attack>`), the documented attack and expected outcome from the case
 * table of docs/security.md, and the verdict and observations of the run.
 */

export interface DocumentedCase {
  readonly attack: string;
  readonly expected: string;
}

export interface ReportRow {
  /** `RT-FORGE-1`, or '' for a test that is not a numbered case. */
  readonly id: string;
  readonly attack: string;
  readonly expected: string;
  readonly observed: readonly string[];
  readonly verdict: 'pass' | 'FAIL' | 'skipped';
  /** The first line of the failure, for a failed case. */
  readonly failure?: string;
}

const CASE_NAME = /^(RT-[A-Z]+-\d+):\s*(.*)$/s;
const TABLE_ROW = /^\|\s*(RT-[A-Z]+-\d+(?:\s*,\s*\d+)*)\s*\|(.*)\|(.*)\|\s*$/;

/** Splits a test name into case id and attack; a name without an id keeps its whole text. */
export function caseOfTestName(name: string): { id: string; attack: string } {
  const match = CASE_NAME.exec(name);
  return match ? { id: match[1] ?? '', attack: match[2] ?? '' } : { id: '', attack: name };
}

/**
 * Reads the `| case | attack | expected |` table of a Markdown file. A row may name several
 * cases of one category (`RT-REPLAY-1, 2`): each gets the row.
 */
export function documentedCases(markdown: string): Map<string, DocumentedCase> {
  const cases = new Map<string, DocumentedCase>();
  for (const line of markdown.split('\n')) {
    const match = TABLE_ROW.exec(line);
    if (!match) continue;
    const [first = '', ...more] = (match[1] ?? '').split(',').map((part) => part.trim());
    const category = first.replace(/-\d+$/, '');
    const documented = { attack: (match[2] ?? '').trim(), expected: (match[3] ?? '').trim() };
    cases.set(first, documented);
    for (const n of more) cases.set(`${category}-${n}`, documented);
  }
  return cases;
}

/** Orders rows by category, then number (RT-FORGE-2 before RT-FORGE-10), unnumbered last. */
export function compareRows(a: ReportRow, b: ReportRow): number {
  const key = (row: ReportRow): [string, number] => {
    const match = /^RT-([A-Z]+)-(\d+)$/.exec(row.id);
    return match ? [match[1] ?? '', Number(match[2])] : ['\uffff', 0];
  };
  const [categoryA, numberA] = key(a);
  const [categoryB, numberB] = key(b);
  return categoryA < categoryB ? -1 : categoryA > categoryB ? 1 : numberA - numberB;
}

/** The report: a heading, a one-line tally and the table; cells escape `|` and line breaks. */
export function formatReport(
  rows: readonly ReportRow[],
  run: { readonly date: string; readonly command: string },
): string {
  const sorted = [...rows].sort(compareRows);
  const count = (verdict: ReportRow['verdict']) => sorted.filter((r) => r.verdict === verdict);
  const lines = [
    '# Red-team run',
    '',
    `${run.date}, \`${run.command}\`: ${count('pass').length} passed, ${count('FAIL').length} failed, ${count('skipped').length} skipped.`,
    '',
    '| case | attack | expected | observed | verdict |',
    '| --- | --- | --- | --- | --- |',
    ...sorted.map((row) => {
      const cells = [
        row.id || '(unnumbered)',
        row.attack,
        row.expected || '(not in the case table)',
        row.observed.length > 0 ? row.observed.join('; ') : '(nothing recorded)',
        row.failure === undefined ? row.verdict : `${row.verdict}: ${row.failure}`,
      ];
      return `| ${cells.map(cell).join(' | ')} |`;
    }),
  ];
  return `${lines.join('\n')}\n`;
}

function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();
}
