/**
 * HTML (documents and templates that output HTML): only whitespace at line ends, CRLF/LF and blank
 * lines at the end of the file may differ, and only where that whitespace cannot render. Outside
 * the places below, a run of whitespace that still holds its line break renders as the one space
 * it rendered before (CSS Text 3, 4.1.1 "Phase I: Collapsing and Transformation"; the HTML
 * parser turns CRLF into LF, HTML Living Standard 13.2.3.5). Whitespace at a line end counts
 * inside `<pre>`, `<textarea>`, `<listing>`, `<xmp>` and `<plaintext>` (rendered as written),
 * inside a quoted attribute value (kept: `title`, `value`, `data-*`), inside `<script>` (a
 * template literal keeps it), inside template tags (`{{ }}`, `{% %}`, `{# #}`, `<% %>`: their
 * strings may span lines) and inside translation blocks (`{% trans %}`: whitespace is part of the
 * message id). A document that sets `white-space: pre...` itself gets no line-end tolerance at
 * all, and whitespace at the very end of the file must not appear or vanish: a template included
 * inside an inline element renders it.
 */
import { firstDifferentLine, type TextComparison } from './text-rule.js';

const PRESERVING = new Set(['pre', 'textarea', 'listing', 'xmp', 'plaintext']);
const TEMPLATE_TAGS: readonly (readonly [string, string])[] = [
  ['{{', '}}'],
  ['{%', '%}'],
  ['{#', '#}'],
  ['<%', '%>'],
];
const TRANS_START = /^\{%-?\s*(?:trans|blocktrans|blocktranslate)\b/;
const TRANS_END = /^\{%-?\s*(?:endtrans|endblocktrans|endblocktranslate)\b/;

export function compareHtmlText(before: string, after: string): TextComparison {
  const oldText = before.replace(/\r\n?/g, '\n');
  const newText = after.replace(/\r\n?/g, '\n');
  const oldLines = oldText.split('\n');
  const newLines = newText.split('\n');
  const oldTrimmed = trimmedLines(oldLines);
  const newTrimmed = trimmedLines(newLines);
  const length = Math.max(oldTrimmed.length, newTrimmed.length);
  for (let i = 0; i < length; i++)
    if (oldTrimmed[i] !== newTrimmed[i])
      return { equal: false, line: i + 1, why: 'a line differs beyond whitespace at its end' };
  if (/\s$/.test(oldText) !== /\s$/.test(newText))
    return {
      equal: false,
      line: newLines.length,
      why: 'whitespace at the very end of the file appeared or vanished (it renders where the template is included inline)',
    };
  const preStyle = /white-space\s*:\s*(?:pre|break-spaces)/i;
  const styled = preStyle.test(oldText) || preStyle.test(newText);
  const oldSafe = safeLineEnds(oldText);
  const newSafe = safeLineEnds(newText);
  for (let i = 0; i < length; i++) {
    if (oldLines[i] === newLines[i]) continue;
    if (styled || oldSafe[i] !== true || newSafe[i] !== true)
      return {
        equal: false,
        line: i + 1,
        why: styled
          ? 'the document sets white-space: pre, so whitespace at line ends may render'
          : 'whitespace at this line end is inside <pre>, <textarea>, an attribute value, a script, a template tag or a translation block, where it counts',
      };
  }
  if (
    (oldLines.length > oldTrimmed.length || newLines.length > newTrimmed.length) &&
    (oldSafe[oldSafe.length - 1] !== true || newSafe[newSafe.length - 1] !== true)
  )
    return {
      equal: false,
      line: firstDifferentLine(oldLines, newLines),
      why: 'the file ends inside an element or tag where whitespace counts',
    };
  return { equal: true };
}

function trimmedLines(lines: readonly string[]): string[] {
  const trimmed = lines.map((line) => line.replace(/[ \t\f]+$/, ''));
  while (trimmed.length > 0 && trimmed[trimmed.length - 1] === '') trimmed.pop();
  return trimmed;
}

/**
 * For each line, whether whitespace at its end is outside every place where it counts (the last
 * entry is the state at the end of the file). A light scanner, not an HTML parser: where it is
 * unsure (an unclosed quote, an unknown construct) it stays in the state where whitespace counts.
 */
export function safeLineEnds(text: string): boolean[] {
  const safe: boolean[] = [];
  let state: 'text' | 'tag' | 'comment' | 'raw' | 'plaintext' = 'text';
  let quote = '';
  let template = '';
  let tagName = '';
  let closing = false;
  let rawName = '';
  let preserving = 0;
  let translating = 0;
  const isSafe = (): boolean =>
    quote === '' &&
    template === '' &&
    preserving === 0 &&
    translating === 0 &&
    state !== 'plaintext' &&
    !(state === 'raw' && rawName === 'script');
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (ch === '\n') {
      safe.push(isSafe());
      continue;
    }
    if (template !== '') {
      if (text.startsWith(template, i)) {
        i += template.length - 1;
        template = '';
      }
      continue;
    }
    if (quote !== '') {
      if (ch === quote) quote = '';
      continue;
    }
    if (state === 'plaintext') continue;
    if (state === 'comment') {
      if (text.startsWith('-->', i)) {
        state = 'text';
        i += 2;
      }
      continue;
    }
    if (state === 'raw') {
      if (ch === '<' && text.slice(i, i + 2 + rawName.length).toLowerCase() === `</${rawName}`) {
        state = 'tag';
        closing = true;
        tagName = rawName;
        i += 1 + rawName.length;
      }
      continue;
    }
    const opener = TEMPLATE_TAGS.find(([open]) => text.startsWith(open, i));
    if (opener !== undefined) {
      const rest = text.slice(i, i + 40);
      if (TRANS_START.test(rest)) translating++;
      else if (TRANS_END.test(rest)) translating = Math.max(0, translating - 1);
      template = opener[1];
      i += opener[0].length - 1;
      continue;
    }
    if (state === 'tag') {
      if (ch === '"' || ch === "'") quote = ch;
      else if (ch === '>') {
        state = 'text';
        if (closing) {
          if (PRESERVING.has(tagName)) preserving = Math.max(0, preserving - 1);
        } else if (tagName === 'plaintext') state = 'plaintext';
        else if (PRESERVING.has(tagName)) preserving++;
        else if (tagName === 'script' || tagName === 'style') {
          state = 'raw';
          rawName = tagName;
        }
      }
      continue;
    }
    if (text.startsWith('<!--', i)) {
      state = 'comment';
      i += 3;
      continue;
    }
    if (ch === '<') {
      const match = /^<(\/?)([A-Za-z][A-Za-z0-9-]*)/.exec(text.slice(i, i + 64));
      if (match !== null) {
        state = 'tag';
        closing = match[1] === '/';
        tagName = (match[2] ?? '').toLowerCase();
        i += match[0].length - 1;
      }
    }
  }
  safe.push(isSafe());
  return safe;
}
