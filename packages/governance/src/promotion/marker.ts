/**
 * The promotion marker grammar: `TEMP-STUB(#<issue>): <reason>`. A bare `TEMP-STUB` (no issue,
 * no reason) is a marker too: code that admits to being a stub is never promotable. Markers are
 * found anywhere in a file (code, comments, strings, configuration) as whole words.
 */

export interface Marker {
  /** The marker word, e.g. `TEMP-STUB`. */
  readonly marker: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column in UTF-16 code units (SARIF's default, what editors show). */
  readonly column: number;
  /** The tracking issue number from `(#<issue>)`, when the marker names one. */
  readonly issue?: number;
  /** The text after `: `, when given. */
  readonly reason?: string;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Compiles a scanner for the given marker words (letters, digits, `_`, `-`). */
export function markerScanner(markers: readonly string[]): (text: string) => Marker[] {
  const alternatives = markers.map(escapeRegExp).join('|');
  // A marker is a whole word: not preceded or followed by a word character or `-`.
  const pattern = new RegExp(
    `(?<![\\w-])(${alternatives})(?![\\w-])(?:\\(#(\\d+)\\))?(?::[ \\t]*([^\\r\\n]*))?`,
    'g',
  );
  return (text) => {
    const found: Marker[] = [];
    let line = 1;
    let lineStart = 0;
    let scanned = 0;
    for (const match of text.matchAll(pattern)) {
      for (
        let i = text.indexOf('\n', scanned);
        i !== -1 && i < match.index;
        i = text.indexOf('\n', i + 1)
      ) {
        line++;
        lineStart = i + 1;
      }
      scanned = match.index;
      const [, marker = '', issue, reason] = match;
      const trimmed = reason?.trim();
      found.push({
        marker,
        line,
        column: match.index - lineStart + 1,
        ...(issue === undefined ? {} : { issue: Number(issue) }),
        ...(trimmed ? { reason: trimmed } : {}),
      });
    }
    return found;
  };
}
