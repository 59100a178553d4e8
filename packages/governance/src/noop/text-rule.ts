/**
 * The rule for text types without a parser in the guard: only whitespace at line ends, line
 * endings (CRLF/LF) and the final newline may differ, and only where no string literal can span
 * lines (a raw string, a text block, or any line with an odd number of double quotes, which may
 * open a string that continues on the next line) and no line ends with a backslash.
 */
export type TextComparison =
  { readonly equal: true } | { readonly equal: false; readonly line: number; readonly why: string };

export function compareTolerantText(
  before: string,
  after: string,
  multilineString: RegExp | undefined,
): TextComparison {
  // A backslash at a line end continues the line (C preprocessor, TOML strings); whitespace after
  // it may decide whether it does.
  const hasMultilineStrings = (text: string): boolean =>
    (multilineString?.test(text) ?? false) ||
    /\\[ \t]*\r?$/m.test(text) ||
    text.split('\n').some((line) => oddQuotes(line));
  if (hasMultilineStrings(before) || hasMultilineStrings(after)) {
    const line = firstDifferentLine(before.split('\n'), after.split('\n'));
    return {
      equal: false,
      line,
      why: 'strings in this file may span lines, so whitespace at line ends may be string content',
    };
  }
  const oldLines = normalizedLines(before);
  const newLines = normalizedLines(after);
  const length = Math.max(oldLines.length, newLines.length);
  for (let i = 0; i < length; i++) {
    if (oldLines[i] !== newLines[i])
      return { equal: false, line: i + 1, why: 'a line differs beyond whitespace at its end' };
  }
  return { equal: true };
}

function normalizedLines(text: string): string[] {
  const lines = text.split(/\r\n|\n/).map((line) => line.replace(/[ \t]+$/, ''));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function oddQuotes(line: string): boolean {
  let count = 0;
  for (let i = 0; i < line.length; i++) {
    const ch = line.charAt(i);
    if (ch === '\\') i++;
    else if (ch === '"') count++;
  }
  return count % 2 === 1;
}

export function firstDifferentLine(
  oldLines: readonly string[],
  newLines: readonly string[],
): number {
  const length = Math.max(oldLines.length, newLines.length);
  for (let i = 0; i < length; i++) if (oldLines[i] !== newLines[i]) return i + 1;
  return 1;
}
