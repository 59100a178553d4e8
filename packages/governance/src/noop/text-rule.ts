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
  quotes = true,
): TextComparison {
  // A backslash at a line end continues the line (C preprocessor, TOML strings, pip requirements);
  // whitespace after it may decide whether it does.
  const hasMultilineStrings = (text: string): boolean =>
    (multilineString?.test(text) ?? false) ||
    /\\[ \t]*\r?$/m.test(text) ||
    (quotes && text.split('\n').some((line) => oddQuotes(line)));
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

/**
 * For formats where only the end of the file is tolerated (Makefiles: trailing whitespace in a
 * variable's value is part of it, a tab starts a recipe): the texts may differ only in how many
 * line feeds end them, and the last line must not end with a backslash (a continuation into the
 * end of the file).
 */
export function compareFinalNewlines(before: string, after: string): TextComparison {
  const oldBody = before.replace(/\n+$/, '');
  const newBody = after.replace(/\n+$/, '');
  if (oldBody !== newBody)
    return {
      equal: false,
      line: firstDifferentLine(before.split('\n'), after.split('\n')),
      why: 'whitespace is syntax, every byte before the final line feeds counts',
    };
  if (oldBody.endsWith('\\'))
    return {
      equal: false,
      line: oldBody.split('\n').length,
      why: 'the last line ends with a backslash, so the final line feed decides what it continues',
    };
  return { equal: true };
}
