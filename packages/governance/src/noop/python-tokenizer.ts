/**
 * A Python tokenizer faithful to CPython's `tokenize` where equality depends on it: INDENT, DEDENT,
 * NEWLINE (end of a logical line) and NL (a line that ends nothing), strings with their prefixes
 * (f-strings with nested replacement fields and quotes, PEP 701), implicit line joining inside
 * brackets and explicit joining with a backslash (Python Language Reference, 2.1 "Line structure").
 * It refuses what CPython refuses before parsing: inconsistent tabs and spaces (TabError), an
 * unindent that matches no outer level, unterminated strings and brackets, characters that are
 * not Python (a no-break space, a zero-width space).
 */

export type PythonTokenType =
  | 'NAME'
  | 'NUMBER'
  | 'STRING'
  | 'OP'
  | 'NEWLINE'
  | 'NL'
  | 'INDENT'
  | 'DEDENT'
  | 'COMMENT'
  | 'ENDMARKER';

export interface PythonToken {
  readonly type: PythonTokenType;
  readonly text: string;
  /** Offset in the text after universal-newline translation. */
  readonly offset: number;
  /** 1-based physical line. */
  readonly line: number;
}

export type TokenizeResult =
  | { readonly ok: true; readonly tokens: readonly PythonToken[] }
  | { readonly ok: false; readonly message: string; readonly offset: number };

class TokenizeError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const TAB_SIZE = 8;
const OPERATORS = [
  '**=',
  '//=',
  '>>=',
  '<<=',
  '...',
  '!=',
  '%=',
  '&=',
  '**',
  '*=',
  '+=',
  '-=',
  '->',
  '//',
  '/=',
  ':=',
  '<<',
  '<=',
  '==',
  '>=',
  '>>',
  '@=',
  '^=',
  '|=',
  '!',
  '%',
  '&',
  '(',
  ')',
  '*',
  '+',
  ',',
  '-',
  '.',
  '/',
  ':',
  ';',
  '<',
  '=',
  '>',
  '@',
  '[',
  ']',
  '^',
  '{',
  '|',
  '}',
  '~',
];
const NUMBER =
  /(?:0[xX](?:_?[0-9a-fA-F])+|0[bB](?:_?[01])+|0[oO](?:_?[0-7])+|(?:(?:[0-9](?:_?[0-9])*)?\.[0-9](?:_?[0-9])*|[0-9](?:_?[0-9])*\.?)(?:[eE][-+]?[0-9](?:_?[0-9])*)?[jJ]?)/y;
const NAME_START = /[\p{ID_Start}_]/u;
const NAME_CONTINUE = /[\p{ID_Continue}\u00b7\u0387\u1369-\u1371\u19da]/u;
const STRING_PREFIX = /^(?:[rRuUbBfFtT]|[rR][bBfFtT]|[bBfFtT][rR])?$/;
const CLOSING: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

const PYTHON2_STRING_PREFIX = /^(?:[rRuUbB]|[uUbB][rR])$/;

/**
 * Tokenizes Python source (already decoded). Line endings are read as Python reads them: CRLF and
 * CR are LF. `python2` reads it as Python 2.7 does instead: tabs and spaces may mix (a tab moves
 * to the next multiple of 8 columns, no TabError), backquotes and `<>` are operators, `ur''` is
 * a string prefix (Python 2.7 Language Reference, 2.1.8 "Indentation", 2.4.1, 2.6).
 */
export function tokenizePython(
  source: string,
  options: { python2?: boolean } = {},
): TokenizeResult {
  const text = source.replace(/\r\n?/g, '\n');
  try {
    return { ok: true, tokens: new PythonTokenizer(text, options.python2 === true).run() };
  } catch (error) {
    if (error instanceof TokenizeError)
      return { ok: false, message: error.message, offset: error.offset };
    throw error;
  }
}

class PythonTokenizer {
  private readonly tokens: PythonToken[] = [];
  private pos = 0;
  private line = 1;
  private readonly indents = [0];
  private readonly altIndents = [0];
  private readonly brackets: string[] = [];

  private readonly operators: readonly string[];

  constructor(
    private readonly text: string,
    private readonly python2: boolean,
  ) {
    this.operators = python2 ? ['<>', '`', ...OPERATORS] : OPERATORS;
  }

  run(): PythonToken[] {
    const text = this.text;
    let atLineStart = true;
    let continued = false;
    let lineHasCode = false;
    while (this.pos < text.length) {
      if (atLineStart && this.brackets.length === 0 && !continued) {
        atLineStart = false;
        this.readIndentation();
        continue;
      }
      atLineStart = false;
      const ch = text.charAt(this.pos);
      if (ch === ' ' || ch === '\t' || ch === '\f') {
        this.pos++;
        continue;
      }
      if (ch === '\n') {
        const logical = this.brackets.length === 0 && lineHasCode;
        this.push(logical ? 'NEWLINE' : 'NL', '\n', this.pos);
        if (logical) lineHasCode = false;
        this.pos++;
        this.line++;
        atLineStart = true;
        continued = false;
        continue;
      }
      if (ch === '#') {
        const end = text.indexOf('\n', this.pos);
        const stop = end === -1 ? text.length : end;
        this.push('COMMENT', text.slice(this.pos, stop), this.pos);
        this.pos = stop;
        continue;
      }
      if (ch === '\\') {
        if (text.charAt(this.pos + 1) !== '\n')
          throw new TokenizeError(
            'unexpected character after line continuation character',
            this.pos,
          );
        this.pos += 2;
        this.line++;
        continued = true;
        atLineStart = true;
        continue;
      }
      continued = false;
      lineHasCode = true;
      this.readToken();
    }
    if (continued)
      throw new TokenizeError('unexpected end of file after a line continuation', this.pos);
    if (this.brackets.length > 0)
      throw new TokenizeError(
        `'${this.brackets[this.brackets.length - 1] ?? ''}' was never closed`,
        this.pos,
      );
    if (lineHasCode) this.push('NEWLINE', '', this.pos);
    while (this.indents.length > 1) {
      this.indents.pop();
      this.push('DEDENT', '', this.pos);
    }
    this.push('ENDMARKER', '', this.pos);
    return this.tokens;
  }

  private push(type: PythonTokenType, text: string, offset: number): void {
    this.tokens.push({ type, text, offset, line: this.line });
  }

  /** Measures a line's indentation and emits INDENT/DEDENT; blank and comment-only lines have none. */
  private readIndentation(): void {
    const text = this.text;
    let column = 0;
    let altColumn = 0;
    let pos = this.pos;
    for (;;) {
      const ch = text.charAt(pos);
      if (ch === ' ') {
        column++;
        altColumn++;
      } else if (ch === '\t') {
        column = (Math.floor(column / TAB_SIZE) + 1) * TAB_SIZE;
        altColumn++;
      } else if (ch === '\f') {
        column = 0;
        altColumn = 0;
      } else break;
      pos++;
    }
    const lineStart = this.pos;
    this.pos = pos;
    const next = text.charAt(pos);
    if (next === '#' || next === '\n' || next === '') return;
    const top = this.indents[this.indents.length - 1] ?? 0;
    const altTop = this.altIndents[this.altIndents.length - 1] ?? 0;
    if (column === top) {
      if (altColumn !== altTop && !this.python2) throw this.tabError();
    } else if (column > top) {
      if (altColumn <= altTop && !this.python2) throw this.tabError();
      this.indents.push(column);
      this.altIndents.push(altColumn);
      this.push('INDENT', text.slice(lineStart, pos), lineStart);
    } else {
      while (column < (this.indents[this.indents.length - 1] ?? 0)) {
        this.indents.pop();
        this.altIndents.pop();
        this.push('DEDENT', '', pos);
      }
      if (column !== (this.indents[this.indents.length - 1] ?? 0))
        throw new TokenizeError('unindent does not match any outer indentation level', pos);
      if (altColumn !== (this.altIndents[this.altIndents.length - 1] ?? 0) && !this.python2)
        throw this.tabError();
    }
  }

  private tabError(): TokenizeError {
    return new TokenizeError(
      'inconsistent use of tabs and spaces in indentation (TabError)',
      this.pos,
    );
  }

  private readToken(): void {
    const text = this.text;
    const start = this.pos;
    const ch = text.charAt(start);
    if (ch === '"' || ch === "'") {
      this.pos = this.scanString(start, '');
      this.push('STRING', text.slice(start, this.pos), start);
      return;
    }
    const code = text.codePointAt(start) ?? 0;
    const first = String.fromCodePoint(code);
    if (NAME_START.test(first)) {
      let end = start + first.length;
      while (end < text.length) {
        const next = String.fromCodePoint(text.codePointAt(end) ?? 0);
        if (!NAME_CONTINUE.test(next)) break;
        end += next.length;
      }
      const name = text.slice(start, end);
      const quote = text.charAt(end);
      if (
        (quote === '"' || quote === "'") &&
        (this.python2 ? PYTHON2_STRING_PREFIX : STRING_PREFIX).test(name)
      ) {
        this.pos = this.scanString(end, name);
        this.push('STRING', text.slice(start, this.pos), start);
        return;
      }
      this.pos = end;
      this.push('NAME', name, start);
      return;
    }
    if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(text.charAt(start + 1)))) {
      NUMBER.lastIndex = start;
      const match = NUMBER.exec(text);
      const end = start + (match?.[0].length ?? 1);
      this.pos = end;
      this.push('NUMBER', text.slice(start, end), start);
      return;
    }
    for (const operator of this.operators) {
      if (text.startsWith(operator, start)) {
        if (operator === '(' || operator === '[' || operator === '{') this.brackets.push(operator);
        const opening = CLOSING[operator];
        if (opening !== undefined) {
          const top = this.brackets.pop();
          if (top !== opening) throw new TokenizeError(`unmatched '${operator}'`, start);
        }
        this.pos = start + operator.length;
        this.push('OP', operator, start);
        return;
      }
    }
    throw new TokenizeError(
      `invalid character U+${code.toString(16).toUpperCase().padStart(4, '0')} in Python source`,
      start,
    );
  }

  /** Scans a string literal whose quote starts at `quoteStart`; returns the offset after it. */
  private scanString(quoteStart: number, prefix: string): number {
    const text = this.text;
    const quoteChar = text.charAt(quoteStart);
    const triple = text.startsWith(quoteChar.repeat(3), quoteStart);
    const quote = triple ? quoteChar.repeat(3) : quoteChar;
    const formatted = /[fFtT]/.test(prefix);
    let pos = quoteStart + quote.length;
    while (pos < text.length) {
      const ch = text.charAt(pos);
      if (ch === '\\') {
        if (text.charAt(pos + 1) === '\n') this.line++;
        pos += 2;
        continue;
      }
      if (text.startsWith(quote, pos)) return pos + quote.length;
      if (ch === '\n') {
        if (!triple) throw new TokenizeError('unterminated string literal', quoteStart);
        this.line++;
      }
      if (formatted && ch === '{') {
        if (text.charAt(pos + 1) === '{') {
          pos += 2;
          continue;
        }
        pos = this.scanReplacementField(pos + 1);
        continue;
      }
      pos++;
    }
    throw new TokenizeError(
      triple ? 'unterminated triple-quoted string literal' : 'unterminated string literal',
      quoteStart,
    );
  }

  /** Scans an f-string replacement field after its `{`, with nested brackets and strings (PEP 701). */
  private scanReplacementField(start: number): number {
    const text = this.text;
    let depth = 0;
    let pos = start;
    while (pos < text.length) {
      const ch = text.charAt(pos);
      if (ch === '"' || ch === "'") {
        let prefixStart = pos;
        while (prefixStart > start && /[rRbBfFtTuU]/.test(text.charAt(prefixStart - 1)))
          prefixStart--;
        pos = this.scanString(pos, text.slice(prefixStart, pos));
        continue;
      }
      if (ch === '\n') this.line++;
      if (ch === '(' || ch === '[' || ch === '{') depth++;
      else if (ch === ')' || ch === ']') depth--;
      else if (ch === '}') {
        if (depth === 0) return pos + 1;
        depth--;
      }
      pos++;
    }
    throw new TokenizeError('unterminated f-string replacement field', start);
  }
}
