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
import type { CommentKeys, CommentPolicy } from './comment-text.js';
import { EqualityKeyBuilder, type EqualityKey } from './equality-key.js';
import { NO_COMMENTS, type FileAnalysis } from './file-analysis.js';
import { analyzeYaml } from './yaml-key.js';

const CJK =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Bopomofo}\u3000-\u303f\uff00-\uffef]/u;
/**
 * `referenceType` is only spelling: `[x][x]`, `[x][]` and `[x]` render the same link (CommonMark
 * 0.31, 6.3 "Links": full, collapsed and shortcut references); the label and the text stay.
 */
const IGNORED_PROPERTIES = new Set([
  'type',
  'children',
  'position',
  'value',
  'data',
  'referenceType',
]);

/**
 * Front matter (Jekyll, Hugo, Docusaurus, ...): a YAML block between `---` lines, or TOML between
 * `+++` lines, at the very start. CommonMark would read it as a thematic break and text, where
 * indentation vanishes; it is data, so YAML front matter is compared as YAML and TOML exactly.
 */
const FRONT_MATTER = /^(---|\+\+\+)[ \t]*\n([\s\S]*?\n)?(?:\1|\.\.\.)[ \t]*(?:\n|$)/;

export function analyzeMarkdown(text: string, policy: CommentPolicy): FileAnalysis {
  const normalized = text.replace(/\r\n?/g, '\n');
  const frontMatter = FRONT_MATTER.exec(normalized);
  if (frontMatter === null) return analyzeBody(normalized, NO_COMMENTS);
  const block = frontMatter[2] ?? '';
  const body = normalized.slice(frontMatter[0].length);
  if (frontMatter[1] === '+++') {
    const analysis = analyzeBody(body, NO_COMMENTS);
    if (!analysis.ok) return analysis;
    return {
      ...analysis,
      code: prefixed(`toml-front-matter ${JSON.stringify(block)}`, analysis.code),
    };
  }
  const data = analyzeYaml(block, policy);
  if (!data.ok) return { ok: false, message: `front matter: ${data.message}` };
  const analysis = analyzeBody(body, data.comments);
  if (!analysis.ok) return analysis;
  const code = new EqualityKeyBuilder();
  code.push('yaml-front-matter', 0);
  code.append(data.code);
  code.push('end-front-matter', 0);
  code.append(analysis.code);
  return { ...analysis, code: code.build() };
}

function prefixed(atom: string, key: EqualityKey): EqualityKey {
  const builder = new EqualityKeyBuilder();
  builder.push(atom, 0);
  builder.append(key);
  return builder.build();
}

function analyzeBody(text: string, comments: CommentKeys): FileAnalysis {
  const tree = fromMarkdown(text, {
    extensions: [gfm()],
    mdastExtensions: [gfmFromMarkdown()],
  });
  const key = new EqualityKeyBuilder();
  writeNode(tree, key);
  return { ok: true, code: key.build(), comments };
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
