/** The Python tokenizer against CPython's `tokenize` behaviour, case by case. */
import { describe, expect, it } from 'vitest';
import { analyzePython } from '../../src/noop/python-key.js';
import { compilePolicy, DEFAULT_POLICY_SOURCE } from '../../src/noop/policy.js';
import { compareKeys } from '../../src/noop/equality-key.js';
import { tokenizePython } from '../../src/noop/python-tokenizer.js';

function types(source: string): string[] {
  const result = tokenizePython(source);
  if (!result.ok) throw new Error(result.message);
  return result.tokens.map((t) =>
    t.type === 'OP' || t.type === 'NAME' || t.type === 'NUMBER' ? t.text : t.type,
  );
}

function failure(source: string): string {
  const result = tokenizePython(source);
  return result.ok ? '' : result.message;
}

const policy = compilePolicy(DEFAULT_POLICY_SOURCE);
function samePython(a: string, b: string): boolean {
  const x = analyzePython(a, policy);
  const y = analyzePython(b, policy);
  if (!x.ok || !y.ok) return false;
  return (
    compareKeys(x.code, y.code) === undefined &&
    compareKeys(x.comments.words, y.comments.words) === undefined
  );
}

describe('Python tokenizer', () => {
  it('emits INDENT, DEDENT and NEWLINE like tokenize, and NL for lines that end nothing', () => {
    expect(types('if a:\n    b\n\n# c\nd\n')).toEqual([
      'if',
      'a',
      ':',
      'NEWLINE',
      'INDENT',
      'b',
      'NEWLINE',
      'NL',
      'COMMENT',
      'NL',
      'DEDENT',
      'd',
      'NEWLINE',
      'ENDMARKER',
    ]);
  });

  it('joins lines inside brackets and after a backslash', () => {
    expect(types('x = (1,\n     2)\ny = 1 + \\\n    2\n')).toEqual([
      'x',
      '=',
      '(',
      '1',
      ',',
      'NL',
      '2',
      ')',
      'NEWLINE',
      'y',
      '=',
      '1',
      '+',
      '2',
      'NEWLINE',
      'ENDMARKER',
    ]);
  });

  it('adds the final NEWLINE and DEDENTs when the file ends without a line break', () => {
    expect(types('if a:\n    b')).toEqual([
      'if',
      'a',
      ':',
      'NEWLINE',
      'INDENT',
      'b',
      'NEWLINE',
      'DEDENT',
      'ENDMARKER',
    ]);
  });

  it('reads prefixed, triple-quoted and nested f-strings as one token', () => {
    const result = tokenizePython('s = rb"x" + f"{a["k"]!r:>{w}} {{x}}" + """a\n"b"\n"""\n');
    expect(
      result.ok && result.tokens.filter((t) => t.type === 'STRING').map((t) => t.text),
    ).toEqual(['rb"x"', 'f"{a["k"]!r:>{w}} {{x}}"', '"""a\n"b"\n"""']);
  });

  it('reads numbers with underscores, exponents and imaginary parts whole', () => {
    expect(types('x = 1_000 + 0x_ff + 1.5e-3j + .5\n').filter((t) => /\d/.test(t))).toEqual([
      '1_000',
      '0x_ff',
      '1.5e-3j',
      '.5',
    ]);
  });

  it('refuses what CPython refuses before parsing', () => {
    expect(failure('if a:\n        b\n\tc\n')).toContain('TabError');
    expect(failure('if a:\n    b\n  c\n')).toContain('unindent does not match');
    expect(failure('s = "abc\n')).toContain('unterminated string literal');
    expect(failure('s = """abc\n')).toContain('unterminated triple-quoted');
    expect(failure('f(a]\n')).toContain("unmatched ']'");
    expect(failure('f(a\n')).toContain('was never closed');
    expect(failure('x = 1 \\ 2\n')).toContain('after line continuation');
    expect(failure('x = 1 \\')).toContain('unexpected character after line continuation');
    expect(failure('x = $\n')).toContain('invalid character U+0024');
    expect(failure('s = f"{a\n')).toContain('unterminated');
  });

  it('treats a form feed as resetting the indentation column', () => {
    expect(types('if a:\n\f    b\n')).toContain('INDENT');
  });
});

describe('Python equality', () => {
  it('reads quote style as spelling only when the string has no quotes or escapes inside', () => {
    expect(samePython("x = 'abc'\n", 'x = "abc"\n')).toBe(true);
    expect(samePython("x = U'abc'\n", 'x = u"abc"\n')).toBe(true);
    expect(samePython("x = 'it\\'s'\n", 'x = "it\'s"\n')).toBe(false);
  });

  it('keeps a trailing comma where it makes a tuple or a subscript tuple', () => {
    expect(samePython('x[1,]\n', 'x[1]\n')).toBe(false);
    expect(samePython('x[1, 2,]\n', 'x[1, 2]\n')).toBe(true);
    expect(samePython('d = {1: 2,}\n', 'd = {1: 2}\n')).toBe(true);
    expect(samePython('from m import (a,)\n', 'from m import (a)\n')).toBe(false);
    expect(samePython('class A(B,):\n    pass\n', 'class A(B):\n    pass\n')).toBe(true);
  });

  it('reads CRLF as LF, as Python does', () => {
    expect(samePython('s = """a\nb"""\n', 's = """a\r\nb"""\r\n')).toBe(true);
  });
});
