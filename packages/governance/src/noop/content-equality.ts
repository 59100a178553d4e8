/**
 * Decides whether two versions of one file differ in substance: the language-independent checks
 * first (binary, byte-exact paths, declared volatile lines, byte order mark, invisible characters,
 * script line endings), then the equality rule of the file's type. Anything unproven is substantive.
 */
import { AnalysisCache } from './analysis-cache.js';
import { compareKeys, lineAt, type EqualityKey } from './equality-key.js';
import type { AnalyzedFile, FileAnalysis } from './file-analysis.js';
import { fileTypeOf, type FileType } from './file-type.js';
import { compareHtmlText } from './html-text.js';
import { analyzeJson } from './json-key.js';
import { stripJsonc } from './jsonc-text.js';
import { analyzeMarkdown } from './markdown-key.js';
import { analyzeMarkdownInParts } from './markdown-sections.js';
import { noop, substantive, type ContentDecision } from './path-decision.js';
import type { NoopPolicy } from './policy.js';
import { analyzePython } from './python-key.js';
import type { NoopReason } from './reasons.js';
import { compareRst } from './rst-text.js';
import {
  carriageReturns,
  decodeText,
  firstInvisibleLine,
  hasByteOrderMark,
  invisibleCharacters,
  isShebangScript,
} from './text-content.js';
import { compareFinalNewlines, compareTolerantText, firstDifferentLine } from './text-rule.js';
import { analyzeScript } from './typescript-key.js';
import { analyzeYaml } from './yaml-key.js';

/** Files larger than this are not parsed: substantive. */
export const MAX_COMPARED_BYTES = 8 * 1024 * 1024;

/** `cache`, when given, must only ever be used with this same policy. */
export function compareContent(
  path: string,
  before: Uint8Array,
  after: Uint8Array,
  policy: NoopPolicy,
  cache: AnalysisCache = new AnalysisCache(2),
): ContentDecision {
  if (policy.isByteExact(path))
    return substantive('byte-exact', 'the bytes differ and this path is compared byte for byte');
  if (before.length > MAX_COMPARED_BYTES || after.length > MAX_COMPARED_BYTES)
    return substantive('too-large', `larger than ${MAX_COMPARED_BYTES} bytes`);
  const oldText = decodeText(before);
  const newText = decodeText(after);
  if (oldText === undefined || newText === undefined)
    return substantive('binary', 'binary content (a NUL byte or bytes that are not UTF-8)');

  const volatile = policy.volatileLines(path);
  if (volatile !== undefined && onlyVolatileLinesDiffer(oldText, newText, volatile))
    return noop(
      'volatile-lines-only',
      'declared generated; only lines matching a volatile pattern differ',
    );

  if (hasByteOrderMark(oldText) !== hasByteOrderMark(newText))
    return substantive(
      'byte-order-mark-changed',
      hasByteOrderMark(newText) ? 'a byte order mark was added' : 'the byte order mark was removed',
      1,
    );
  if (invisibleCharacters(oldText) !== invisibleCharacters(newText))
    return substantive(
      'invisible-characters-changed',
      'invisible or unusual space characters were added, removed or moved',
      firstInvisibleLine(newText),
    );
  if (
    (isShebangScript(oldText) || isShebangScript(newText)) &&
    carriageReturns(oldText) !== carriageReturns(newText)
  )
    return substantive(
      'script-line-endings-changed',
      'carriage returns changed in a script run through its shebang line',
      1,
    );

  const type = interpreterType(fileTypeOf(path), path, oldText, newText);
  return compareByType(type, path, stripBom(oldText), stripBom(newText), policy, cache);
}

/**
 * An extension-less script (`bin/express`) is read in the language of its interpreter when both
 * versions start with the same `#!` line naming node or python: the interpreter reads it so. The
 * shebang itself still counts (it is a semantic comment).
 */
function interpreterType(type: FileType, path: string, before: string, after: string): FileType {
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (type.kind !== 'unknown' || name.includes('.')) return type;
  const shebang = (text: string): string => /^#![^\n]*/.exec(text)?.[0] ?? '';
  const line = shebang(before);
  if (line === '' || line !== shebang(after)) return type;
  if (/^#!\s*\S*\/(?:env\s+(?:-S\s+)?)?node(?:js)?(?:\s|$)/.test(line))
    return { kind: 'script', flavour: 'js' };
  if (/^#!\s*\S*\/(?:env\s+)?python[0-9.]*(?:\s|$)/.test(line)) return { kind: 'python' };
  return type;
}

function stripBom(text: string): string {
  return hasByteOrderMark(text) ? text.slice(1) : text;
}

function onlyVolatileLinesDiffer(
  before: string,
  after: string,
  volatile: readonly RegExp[],
): boolean {
  const oldLines = before.split('\n');
  const newLines = after.split('\n');
  if (oldLines.length !== newLines.length) return false;
  let differing = 0;
  for (let i = 0; i < oldLines.length; i++) {
    const oldLine = oldLines[i] ?? '';
    const newLine = newLines[i] ?? '';
    if (oldLine === newLine) continue;
    differing++;
    if (
      !volatile.some((pattern) => pattern.test(oldLine)) ||
      !volatile.some((pattern) => pattern.test(newLine))
    )
      return false;
  }
  return differing > 0;
}

const LANGUAGE_NAMES: Record<string, string> = {
  script: 'JavaScript/TypeScript',
  python: 'Python',
  json: 'JSON',
  'json-comments': 'JSON with comments',
  yaml: 'YAML',
  markdown: 'Markdown',
};

const EQUAL_REASONS: Record<string, NoopReason> = {
  'json-comments': 'equal-value',
  script: 'equal-syntax-tree',
  python: 'equal-tokens',
  json: 'equal-value',
  yaml: 'equal-data',
  markdown: 'equal-rendering',
};

function compareByType(
  type: FileType,
  path: string,
  before: string,
  after: string,
  policy: NoopPolicy,
  cache: AnalysisCache,
): ContentDecision {
  const analyses =
    (analyze: (text: string) => FileAnalysis): ((text: string) => FileAnalysis) =>
    (text) =>
      cache.analysis(path, text, analyze);
  switch (type.kind) {
    case 'script':
      return compareAnalyses(
        type.kind,
        before,
        after,
        analyses((text) => analyzeScript(text, type.flavour, policy)),
        policy,
      );
    case 'python':
      return compareAnalyses(
        type.kind,
        before,
        after,
        analyses((text) => analyzePython(text, policy)),
        policy,
      );
    case 'json': {
      const strict = compareAnalyses(
        type.kind,
        before,
        after,
        analyses((text) =>
          analyzeJson(text, policy.orderedJsonPointers(path), type.comments ? policy : undefined),
        ),
        policy,
      );
      // A `.json` file of no known JSONC tool: read as JSONC only when neither version is strict
      // JSON and both hold comments (whatever reads it reads comments); one strict version and
      // one with comments is a change of format.
      if (
        type.comments ||
        strict.reason !== 'unparseable' ||
        !hasComments(before) ||
        !hasComments(after) ||
        analyzeJson(before, []).ok ||
        analyzeJson(after, []).ok
      )
        return strict;
      return compareAnalyses(
        'json-comments',
        before,
        after,
        (text) =>
          cache.analysis(`${path}\u0000jsonc`, text, (t) =>
            analyzeJson(t, policy.orderedJsonPointers(path), policy),
          ),
        policy,
      );
    }
    case 'yaml':
      return compareAnalyses(
        type.kind,
        before,
        after,
        analyses((text) => analyzeYaml(text, policy)),
        policy,
      );
    case 'markdown':
      // A long document (a changelog) is analysed in parts, so the parts both versions share
      // are parsed once.
      return compareAnalyses(
        type.kind,
        before,
        after,
        analyses((text) =>
          analyzeMarkdownInParts(
            text,
            (whole) => analyzeMarkdown(whole, policy),
            (part) => cache.analysis(`${path}\u0000part`, part, (t) => analyzeMarkdown(t, policy)),
          ),
        ),
        policy,
      );
    case 'tolerant-text': {
      const comparison = compareTolerantText(before, after, type.multilineString);
      if (comparison.equal)
        return noop(
          'tolerated-whitespace',
          `${type.language}: only whitespace at line ends, line endings or the final newline differ`,
        );
      return substantive('content-changed', `${type.language}: ${comparison.why}`, comparison.line);
    }
    case 'plain-text': {
      const comparison = compareTolerantText(before, after, undefined, type.quotes);
      if (comparison.equal)
        return noop(
          'tolerated-whitespace',
          `${type.language}: only whitespace at line ends, line endings or blank lines at the end differ`,
        );
      return substantive('content-changed', `${type.language}: ${comparison.why}`, comparison.line);
    }
    case 'html': {
      const comparison = compareHtmlText(before, after);
      if (comparison.equal)
        return noop(
          'tolerated-whitespace',
          'HTML: only whitespace at line ends (outside <pre>, attributes, scripts and template tags), line endings or blank lines at the end differ',
        );
      return substantive('content-changed', `HTML: ${comparison.why}`, comparison.line);
    }
    case 'restructuredtext': {
      const comparison = compareRst(before, after);
      if (comparison.equal && comparison.by === 'doctree')
        return noop('equal-document-tree', 'reStructuredText: equal docutils document trees');
      if (comparison.equal)
        return noop(
          'tolerated-whitespace',
          'reStructuredText: only whitespace at line ends, line endings or blank lines at the end differ (docutils strips them)',
        );
      return substantive('content-changed', `reStructuredText: ${comparison.why}`, comparison.line);
    }
    case 'whitespace-syntax': {
      if (type.finalNewline) {
        const comparison = compareFinalNewlines(before, after);
        if (comparison.equal)
          return noop(
            'tolerated-whitespace',
            `${type.language}: only the line feeds at the end of the file differ`,
          );
      }
      return substantive(
        'whitespace-is-syntax',
        `${type.language}: whitespace is syntax, every byte counts`,
        firstDifferentLine(before.split('\n'), after.split('\n')),
      );
    }
    case 'unknown':
      return substantive(
        'no-rule',
        'no equality rule for this file type',
        firstDifferentLine(before.split('\n'), after.split('\n')),
      );
  }
}

function hasComments(text: string): boolean {
  return stripJsonc(text).comments.length > 0;
}

function compareAnalyses(
  kind: string,
  before: string,
  after: string,
  analyze: (text: string) => FileAnalysis,
  policy: NoopPolicy,
): ContentDecision {
  const language = LANGUAGE_NAMES[kind] ?? kind;
  const oldAnalysis = analyze(before);
  if (!oldAnalysis.ok)
    return unparseable('the old version', before, oldAnalysis.message, oldAnalysis.offset);
  const newAnalysis = analyze(after);
  if (!newAnalysis.ok)
    return unparseable('the new version', after, newAnalysis.message, newAnalysis.offset);
  return compareAnalyzed(
    language,
    EQUAL_REASONS[kind] ?? 'equal-value',
    before,
    after,
    oldAnalysis,
    newAnalysis,
    policy,
  );
}

function unparseable(
  which: string,
  text: string,
  message: string,
  offset: number | undefined,
): ContentDecision {
  return substantive(
    'unparseable',
    `${which} ${message}`,
    offset === undefined ? undefined : lineAt(text, offset),
  );
}

/** An atom as people can read it in a report: short, or `nothing` where one key ended. */
function shown(atom: string | undefined): string {
  if (atom === undefined) return 'nothing';
  return atom.length > 60 ? `${atom.slice(0, 57)}...` : atom;
}

function compareAnalyzed(
  language: string,
  equalReason: NoopReason,
  before: string,
  after: string,
  oldFile: AnalyzedFile,
  newFile: AnalyzedFile,
  policy: NoopPolicy,
): ContentDecision {
  const where = (key: EqualityKey, otherKey: EqualityKey): number | undefined => {
    const difference = compareKeys(otherKey, key);
    if (difference === undefined) return undefined;
    return lineAt(difference.side === 'new' ? after : before, difference.offset);
  };
  const codeDifference = compareKeys(oldFile.code, newFile.code);
  if (codeDifference !== undefined)
    return substantive(
      'content-changed',
      `${language}: the content differs (${shown(codeDifference.oldAtom)} became ${shown(codeDifference.newAtom)})`,
      lineAt(codeDifference.side === 'new' ? after : before, codeDifference.offset),
    );
  const semanticLine = where(newFile.comments.semantic, oldFile.comments.semantic);
  if (semanticLine !== undefined)
    return substantive(
      'semantic-comment-changed',
      `${language}: a semantic comment changed, appeared, disappeared or moved`,
      semanticLine,
    );
  const wordsLine = where(newFile.comments.words, oldFile.comments.words);
  if (wordsLine !== undefined) {
    if (policy.commentWordsAreSubstantive)
      return substantive(
        'comment-text-changed',
        `${language}: the words of a comment changed`,
        wordsLine,
      );
    return noop(
      'comment-change-allowed-by-policy',
      `${language}: only the words of ordinary comments changed (policy: comments not substantive)`,
    );
  }
  return noop(equalReason, `${language}: equal once formatting is set aside`);
}
