/**
 * Finds where a Markdown document can be cut into parts that parse alone as they parse in the
 * whole, so two versions of a long file (a changelog) are compared by the part that differs, not
 * by parsing both whole. A cut goes before a line that starts a paragraph or heading at column 0
 * (a letter or `#`) right after a blank line, outside fenced code and outside HTML blocks of types
 * 1-5 (the only blocks that run past a blank line, CommonMark 0.31 4.5 and 4.6): there every open
 * list, block quote, table and paragraph has ended. Where the scanner cannot be sure (a fence in a
 * list item at column 1-3, a fence-like line inside an HTML block, front matter) it reports no
 * cut at all; a fence inside a list item or block quote allows no cut until a line at column 0.
 */

import { AnalysisCache } from './analysis-cache.js';
import { EqualityKeyBuilder } from './equality-key.js';
import { NO_COMMENTS, type FileAnalysis } from './file-analysis.js';

const HTML_BLOCKS: readonly { readonly start: RegExp; readonly end: RegExp }[] = [
  {
    start: /^<(?:script|pre|style|textarea)(?:\s|>|$)/i,
    end: /<\/(?:script|pre|style|textarea)>/i,
  },
  { start: /^<!--/, end: /-->/ },
  { start: /^<\?/, end: /\?>/ },
  { start: /^<![A-Za-z]/, end: />/ },
  { start: /^<!\[CDATA\[/, end: /\]\]>/ },
];
const CONTAINER_MARKERS = /^(?:[ \t]*(?:>[ \t]?|(?:[-*+]|[0-9]{1,9}[.)])(?:[ \t]+|$)))+/;
const FENCE = /^(`{3,}|~{3,})(.*)$/;

function indentation(line: string): number {
  let column = 0;
  for (const ch of line) {
    if (ch === ' ') column++;
    else if (ch === '\t') column += 4 - (column % 4);
    else break;
  }
  return column;
}

const isBlank = (line: string): boolean => /^[ \t]*\r?$/.test(line);

/**
 * For each line, whether the document can be cut just before it; undefined when no cut is sure.
 * `lines` are split on LF (a CR before it is kept and ignored).
 */
export function markdownCuts(lines: readonly string[]): boolean[] | undefined {
  if (/^(?:---|\+\+\+)/.test(lines[0] ?? '')) return undefined;
  const cuts: boolean[] = [];
  let fence: { char: string; length: number; indent: number; contained: boolean } | undefined;
  const openHtml = new Set<number>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    // A fence inside a list item or block quote ends with its container, at the latest at a line
    // that starts at column 0 (fenced code takes no lazy lines), where no item or quote goes on.
    if (fence?.contained === true && /^[^ \t\r>]/.test(line)) fence = undefined;
    cuts.push(
      i > 0 &&
        fence === undefined &&
        openHtml.size === 0 &&
        isBlank(lines[i - 1] ?? '') &&
        // A letter, `#`, or a digit that does not make an ordered list item (`4.15.5 / 2017-09-24`).
        /^(?:[A-Za-z#]|[0-9](?![0-9]*[.)](?:[ \t]|\r?$)))/.test(line),
    );
    const markers = CONTAINER_MARKERS.exec(line)?.[0] ?? '';
    const content = line.slice(markers.length);
    const indent = indentation(line);
    const trimmed = content.trimStart();
    const fenceLike = FENCE.exec(trimmed);
    if (fence !== undefined) {
      if (fence.contained) continue;
      // A fence at column 1-3 may sit in a list item whose text starts there: a line left of it
      // may end the item (and the fence) or be code; unsure, so no cut anywhere.
      if (!isBlank(line) && indent < fence.indent) return undefined;
      if (
        fenceLike !== null &&
        markers === '' &&
        (fenceLike[1] ?? '').startsWith(fence.char) &&
        (fenceLike[1] ?? '').length >= fence.length &&
        /^[ \t]*\r?$/.test(fenceLike[2] ?? '') &&
        indent <= fence.indent + 3
      ) {
        if (indent !== fence.indent && indent > 3) return undefined;
        fence = undefined;
      }
      continue;
    }
    for (const type of [...openHtml])
      if (HTML_BLOCKS[type]?.end.test(line) === true) openHtml.delete(type);
    if (
      fenceLike !== null &&
      (fenceLike[1]?.startsWith('~') === true || fenceLike[2]?.includes('`') !== true)
    ) {
      if (openHtml.size > 0) return undefined;
      fence = {
        char: fenceLike[1]?.charAt(0) ?? '`',
        length: fenceLike[1]?.length ?? 3,
        indent,
        contained: markers !== '' || indent > 3,
      };
      continue;
    }
    HTML_BLOCKS.forEach((block, type) => {
      const start = block.start.exec(trimmed);
      if (start !== null && !block.end.test(trimmed.slice(start[0].length))) openHtml.add(type);
    });
  }
  return cuts;
}

/** A link reference or footnote definition: it resolves references anywhere in the document. */
const DEFINITION = /^[ \t]{0,3}(?:>[ \t]?)*\[[^\]]+\]:/m;

/**
 * The analysis of a Markdown document as the concatenation of the analyses of its parts (each
 * part's root children), so parts the two versions share are analysed once (`analyzePart` is
 * expected to be cached) and a long changelog costs the parts that changed. A document with front
 * matter, with link or footnote definitions (they resolve references in other parts) or without
 * a sure cut is analysed whole.
 */
export function analyzeMarkdownInParts(
  text: string,
  analyzeWhole: (text: string) => FileAnalysis,
  analyzePart: (text: string) => FileAnalysis,
): FileAnalysis {
  return analyzeInParts(text, analyzeWhole, (part) => PARTS.analysis('', part, analyzePart));
}

/**
 * Parts of the documents judged lately. A part starts with no front matter, so its analysis
 * depends on its text alone (not on the policy, whose only say in Markdown is front matter).
 * Sized for both versions of a long changelog: an LRU smaller than that evicts every part before
 * its second use.
 */
const PARTS = new AnalysisCache(4096);

function analyzeInParts(
  text: string,
  analyzeWhole: (text: string) => FileAnalysis,
  analyzePart: (text: string) => FileAnalysis,
): FileAnalysis {
  const lines = text.split('\n');
  // The scanner's patterns end at `$`, which `.` never reaches past a CR: scan without them.
  const cuts =
    lines.length < 40 || DEFINITION.test(text)
      ? undefined
      : markdownCuts(lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line)));
  if (cuts === undefined || !cuts.includes(true)) return analyzeWhole(text);
  const code = new EqualityKeyBuilder();
  code.push('root', 0);
  code.push('[', 0);
  let start = 0;
  let offset = 0;
  for (let i = 1; i <= lines.length; i++) {
    if (i < lines.length && cuts[i] !== true) continue;
    const part = lines.slice(start, i).join('\n') + (i < lines.length ? '\n' : '');
    const analysis = analyzePart(part);
    if (!analysis.ok)
      return {
        ...analysis,
        ...(analysis.offset === undefined ? {} : { offset: analysis.offset + offset }),
      };
    const atoms = analysis.code.atoms;
    if (atoms[0] !== 'root' || atoms[1] !== '[' || atoms[atoms.length - 1] !== ']')
      return analyzeWhole(text);
    for (let a = 2; a < atoms.length - 1; a++)
      code.push(atoms[a] ?? '', (analysis.code.offsets[a] ?? 0) + offset);
    offset += part.length;
    start = i;
  }
  code.push(']', text.length);
  return { ok: true, code: code.build(), comments: NO_COMMENTS };
}
