/**
 * reStructuredText: blank lines separate paragraphs and indentation is structure, so lines are not
 * compared as text. First the rule docutils itself guarantees: it strips whitespace at every
 * line end before parsing (`docutils.statemachine.string2lines`), so trailing whitespace, CRLF and
 * blank lines at the end of the file never change the document. Anything else (blank lines added
 * or removed, re-wrapped paragraphs, longer title underlines) is a no-op only if the docutils
 * document trees are equal (rst-doctree.ts); without python3's docutils it stays substantive.
 * The tree comparison only runs when the words of both versions are the same once runs of one
 * punctuation character (title adornments, transitions) are set aside, since a change of words
 * always changes the tree.
 */
import { compareDoctrees } from './rst-doctree.js';
import type { TextComparison } from './text-rule.js';

export type RstComparison =
  | (TextComparison & { readonly equal: false })
  | { readonly equal: true; readonly by: 'line-ends' | 'doctree' };

export interface RstOptions {
  /** Whether to ask docutils (default true); false gives the rule a machine without docutils has. */
  readonly docutils?: boolean;
}

export function compareRst(before: string, after: string, options: RstOptions = {}): RstComparison {
  const oldLines = strippedLines(before);
  const newLines = strippedLines(after);
  const length = Math.max(oldLines.length, newLines.length);
  let firstDifference = 0;
  while (firstDifference < length && oldLines[firstDifference] === newLines[firstDifference])
    firstDifference++;
  if (firstDifference === length) return { equal: true, by: 'line-ends' };
  const line = firstDifference + 1;
  if (wordsOf(before).join(' ') !== wordsOf(after).join(' '))
    return { equal: false, line, why: 'the words differ' };
  if (options.docutils === false)
    return {
      equal: false,
      line,
      why: 'blank lines or indentation changed and docutils is not used to compare document trees',
    };
  const trees = compareDoctrees(before, after);
  switch (trees.kind) {
    case 'equal':
      return { equal: true, by: 'doctree' };
    case 'different':
      return {
        equal: false,
        line: trees.line ?? line,
        why: `the document trees differ: ${trees.detail}`,
      };
    case 'unavailable':
      return {
        equal: false,
        line,
        why: `blank lines or indentation changed and the document trees cannot be compared: ${trees.why}`,
      };
  }
}

/** Lines as docutils reads them (tabs expanded to 8 columns, whitespace at the end stripped), without trailing blank lines. */
function strippedLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/).map((l) => expandTabs(l).replace(/[ \t\f\v]+$/, ''));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function expandTabs(line: string): string {
  if (!line.includes('\t')) return line;
  let out = '';
  for (const ch of line) out += ch === '\t' ? ' '.repeat(8 - (out.length % 8)) : ch;
  return out;
}

function wordsOf(text: string): string[] {
  return text.split(/\s+/).filter((word) => word !== '' && !/^([!-/:-@[-`{-~])\1*$/.test(word));
}
