/**
 * Python equality at the token level: NAME, NUMBER, OP, STRING, NEWLINE, INDENT and DEDENT in
 * order, so block structure, logical lines and every string (docstrings included) count, while
 * the formatting between tokens does not. Two spellings that CPython compiles alike are read as
 * equal: the quote character of a string without quotes or backslashes inside (`'a'` and `"a"`),
 * the case and order of string prefixes, and a trailing comma where it cannot make a tuple
 * (call arguments, parameters, list, set and dict displays, tuples of two or more).
 */
import { commentKeys, type CommentPolicy, type SourceComment } from './comment-text.js';
import { EqualityKeyBuilder } from './equality-key.js';
import type { FileAnalysis } from './file-analysis.js';
import { tokenizePython, type PythonToken } from './python-tokenizer.js';

const KEYWORDS = new Set([
  'False',
  'None',
  'True',
  'and',
  'as',
  'assert',
  'async',
  'await',
  'break',
  'class',
  'continue',
  'def',
  'del',
  'elif',
  'else',
  'except',
  'finally',
  'for',
  'from',
  'global',
  'if',
  'import',
  'in',
  'is',
  'lambda',
  'nonlocal',
  'not',
  'or',
  'pass',
  'raise',
  'return',
  'try',
  'while',
  'with',
  'yield',
  'match',
  'case',
  'type',
]);

/** PEP 263: the coding cookie, effective on line 1, or on line 2 below a blank or comment-only line 1. */
const CODING_COOKIE = /^[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+/;

/**
 * A source Python 3 refuses is read as Python 2 (tabs and spaces mixed, backquotes, `<>`, `ur''`),
 * and its key says so: a version only Python 2 reads never equals one Python 3 reads. Python 2
 * sources are compared token for token, exactly: without a Python 2 parser to say what a string
 * or a trailing comma means there (`u''`, `print ('a',)` prints a tuple), only whitespace, blank
 * lines and comment layout are no-ops.
 */
export function analyzePython(text: string, policy: CommentPolicy): FileAnalysis {
  let result = tokenizePython(text);
  let python2 = false;
  if (!result.ok) {
    const fallback = tokenizePython(text, { python2: true });
    if (!fallback.ok)
      return {
        ok: false,
        message: `does not tokenize as Python: ${result.message}`,
        offset: result.offset,
      };
    result = fallback;
    python2 = true;
  }
  const tokens = result.tokens;
  python2 ||= python2Statements(tokens);
  const droppable = python2 ? new Set<number>() : droppableTrailingCommas(tokens);
  const code = new EqualityKeyBuilder();
  if (python2) code.push('python2 (Python 3 refuses this version; read as Python 2)', 0);
  const firstLine = /^[^\n\r]*/.exec(text)?.[0] ?? '';
  const cookieOnLine2 = /^[ \t\f]*(?:#.*)?$/.test(firstLine);
  const comments: SourceComment[] = [];
  let logicalLine = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === undefined) continue;
    switch (token.type) {
      case 'NL':
      case 'ENDMARKER':
        break;
      case 'COMMENT':
        comments.push({
          text: token.text,
          syntax: 'hash',
          offset: token.offset,
          // Pragmas apply to their logical line; the shebang only on line 1 and the coding cookie
          // only where PEP 263 reads it, so blank lines elsewhere near the top move nothing.
          anchor:
            token.line === 1 && token.text.startsWith('#!')
              ? 'shebang'
              : (token.line === 1 || (token.line === 2 && cookieOnLine2)) &&
                  CODING_COOKIE.test(token.text)
                ? 'coding cookie'
                : `logical line ${logicalLine}`,
        });
        break;
      case 'NEWLINE':
        logicalLine++;
        code.push('NEWLINE', token.offset);
        break;
      case 'INDENT':
      case 'DEDENT':
        code.push(token.type, token.offset);
        break;
      case 'STRING':
        code.push(`STRING ${python2 ? token.text : normalizeString(token.text)}`, token.offset);
        break;
      case 'OP':
        if (droppable.has(i)) break;
        code.push(`OP ${token.text}`, token.offset);
        break;
      case 'NAME':
      case 'NUMBER':
        code.push(`${token.type} ${token.text}`, token.offset);
        break;
    }
  }
  return { ok: true, code: code.build(), comments: commentKeys(comments, policy) };
}

/**
 * Whether tokens Python 3's tokenizer accepts hold a statement only Python 2 parses: `print x`,
 * `print >>f, x`, `exec "code"`, `except E, e:`, `raise E, "message"`, `10L`, `0755`. Such a file
 * is compared as Python 2 (exactly), as it would be had the tokenizer refused it.
 */
function python2Statements(tokens: readonly PythonToken[]): boolean {
  let statementStart = true;
  let exceptLine = -1;
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as PythonToken;
    if (token.type === 'OP') {
      if (token.text === '(' || token.text === '[' || token.text === '{') depth++;
      else if (token.text === ')' || token.text === ']' || token.text === '}')
        depth = Math.max(0, depth - 1);
    }
    const next = tokens[i + 1];
    if (token.type === 'NUMBER' && /^(?:0[0-7]+|[0-9]+[lL])$/.test(token.text)) return true;
    if (token.type === 'NAME' && statementStart && next !== undefined) {
      if (
        (token.text === 'print' || token.text === 'exec') &&
        (next.type === 'NAME' ||
          next.type === 'STRING' ||
          next.type === 'NUMBER' ||
          (token.text === 'print' && next.type === 'OP' && next.text === '>>'))
      )
        return true;
      if (token.text === 'except' || token.text === 'raise') exceptLine = token.line;
    }
    // `except E, e:` and `raise E, "message"`: a top-level comma on that statement's line.
    if (token.type === 'OP' && token.text === ',' && token.line === exceptLine && depth === 0)
      return true;
    if (token.type === 'NEWLINE') {
      exceptLine = -1;
      depth = 0;
    }
    statementStart =
      token.type === 'NEWLINE' ||
      token.type === 'INDENT' ||
      token.type === 'DEDENT' ||
      token.type === 'NL' ||
      token.type === 'COMMENT' ||
      (token.type === 'OP' && (token.text === ';' || token.text === ':'));
  }
  return false;
}

/** `'a'` and `"a"` are the same string; `R'x'` and `r'x'` too. Anything with quotes or escapes inside stays exact. */
function normalizeString(lexeme: string): string {
  const match = /^([A-Za-z]*)('''|"""|'|")([\s\S]*)\2$/.exec(lexeme);
  if (!match) return lexeme;
  const prefix = Array.from((match[1] ?? '').toLowerCase())
    .sort()
    .join('');
  const quote = match[2] ?? '';
  const body = match[3] ?? '';
  if (/['"\\]/.test(body)) return `${prefix}${quote}${body}${quote}`;
  const normalizedQuote = quote.length === 3 ? '"""' : '"';
  return `${prefix}${normalizedQuote}${body}${normalizedQuote}`;
}

/** Indices of commas before a closing bracket whose presence cannot change the program. */
function droppableTrailingCommas(tokens: readonly PythonToken[]): Set<number> {
  const droppable = new Set<number>();
  const open: { index: number; commas: number }[] = [];
  const significant = tokens.filter((t) => t.type !== 'NL' && t.type !== 'COMMENT');
  const indexOf = new Map<PythonToken, number>(tokens.map((t, i) => [t, i]));
  for (let i = 0; i < significant.length; i++) {
    const token = significant[i];
    if (token?.type !== 'OP') continue;
    if (token.text === '(' || token.text === '[' || token.text === '{') {
      open.push({ index: i, commas: 0 });
    } else if (token.text === ',') {
      const top = open[open.length - 1];
      if (top) top.commas++;
    } else if (token.text === ')' || token.text === ']' || token.text === '}') {
      const top = open.pop();
      const previous = significant[i - 1];
      if (!top || previous?.type !== 'OP' || previous.text !== ',') continue;
      const opening = significant[top.index];
      const before = significant[top.index - 1];
      const callLike =
        before !== undefined &&
        ((before.type === 'NAME' && !KEYWORDS.has(before.text)) ||
          (before.type === 'OP' && (before.text === ')' || before.text === ']')) ||
          (before.type === 'STRING' && opening?.text === '['));
      let drop: boolean;
      if (opening?.text === '{') drop = true;
      else if (opening?.text === '(') drop = callLike || top.commas >= 2;
      else drop = !callLike || top.commas >= 2;
      const index = indexOf.get(previous);
      if (drop && index !== undefined) droppable.add(index);
    }
  }
  return droppable;
}
