/**
 * Markdown equality: equal rendered structure, the mdast tree (CommonMark + GFM) without source
 * positions. Emphasis, hard breaks, list tightness (`spread`), code, HTML and word boundaries are
 * part of it; list markers, emphasis delimiters, ordered-list numbering after the first item and
 * how Latin text is wrapped are not. Inside text, a run of whitespace renders as one space,
 * except that a line break touching a CJK character stays significant: browsers may render it as
 * a space there, where CJK writing has none (CSS Text 3, "Segment Break Transformation Rules").
 */
import type { Nodes } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { gfm } from 'micromark-extension-gfm';
import { EqualityKeyBuilder } from './equality-key.js';
import { NO_COMMENTS, type FileAnalysis } from './file-analysis.js';

const CJK =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Bopomofo}\u3000-\u303f\uff00-\uffef]/u;
const IGNORED_PROPERTIES = new Set(['type', 'children', 'position', 'value', 'data']);

export function analyzeMarkdown(text: string): FileAnalysis {
  const tree = fromMarkdown(text.replace(/\r\n?/g, '\n'), {
    extensions: [gfm()],
    mdastExtensions: [gfmFromMarkdown()],
  });
  const key = new EqualityKeyBuilder();
  writeNode(tree, key);
  return { ok: true, code: key.build(), comments: NO_COMMENTS };
}

function writeNode(node: Nodes, key: EqualityKeyBuilder): void {
  const offset = node.position?.start.offset ?? 0;
  const properties = Object.entries(node)
    .filter(([name]) => !IGNORED_PROPERTIES.has(name))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`);
  let atom = `${node.type}${properties.length > 0 ? ` ${properties.join(' ')}` : ''}`;
  if ('value' in node) {
    const value = node.type === 'text' ? renderedText(node.value) : node.value;
    atom += ` value=${JSON.stringify(value)}`;
  }
  key.push(atom, offset);
  if ('children' in node) {
    key.push('[', offset);
    for (const child of node.children) writeNode(child, key);
    key.push(']', node.position?.end.offset ?? offset);
  }
}

/** Collapses whitespace as HTML renders it, keeping line breaks that touch CJK text. */
export function renderedText(value: string): string {
  return value.replace(/[ \t\n]+/g, (run, offset: number) => {
    if (!run.includes('\n')) return ' ';
    const lastBefore = /[\s\S]$/u.exec(value.slice(Math.max(0, offset - 2), offset))?.[0] ?? '';
    const firstAfter = /^[\s\S]/u.exec(value.slice(offset + run.length))?.[0] ?? '';
    return CJK.test(lastBefore) || CJK.test(firstAfter) ? '\n' : ' ';
  });
}
