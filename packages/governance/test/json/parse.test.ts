import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJson, type ParseResult } from '../../src/json/parse.js';

function error(result: ParseResult) {
  if (result.ok) throw new Error('expected a parse failure');
  return result.error;
}

function ok(result: ParseResult) {
  if (!result.ok) throw new Error(`expected success, got ${result.error.message}`);
  return result;
}

describe('parseJson', () => {
  it('returns the same values as JSON.parse for any JSON text (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(undefined, 0, 2, '\t'), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        expect(ok(parseJson(text)).value).toStrictEqual(JSON.parse(text));
      }),
      { numRuns: 500 },
    );
  });

  it('parses UTF-8 bytes the same way as the decoded string (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        expect(ok(parseJson(new TextEncoder().encode(text))).value).toStrictEqual(JSON.parse(text));
      }),
      { numRuns: 200 },
    );
  });

  it('locates every value and member name by JSON Pointer', () => {
    const parsed = ok(parseJson('{\n  "a": [1, {"b/c": true}],\n  "d~": null\n}'));
    expect(parsed.locate('')).toMatchObject({ line: 1, column: 1 });
    expect(parsed.locate('/a')).toMatchObject({ line: 2, column: 8 });
    expect(parsed.locate('/a/1/b~1c')).toMatchObject({ line: 2, column: 20 });
    expect(parsed.locateKey('/a/1/b~1c')).toMatchObject({ line: 2, column: 13 });
    expect(parsed.locate('/d~0')).toMatchObject({ line: 3, column: 9 });
    expect(parsed.locate('/missing')).toBeUndefined();
  });

  it('counts columns in UTF-16 code units and lines across CRLF and CR', () => {
    const parsed = ok(parseJson('{"é😀": 1,\r\n"x":\r2}'));
    expect(parsed.locate('/é😀')).toMatchObject({ line: 1, column: 9 });
    expect(parsed.locate('/x')).toMatchObject({ line: 3, column: 1 });
  });

  it('refuses a duplicate member name and points at the second one', () => {
    const e = error(parseJson('{\n  "a": 1,\n  "a": 2\n}'));
    expect(e.code).toBe('duplicate-key');
    expect(e).toMatchObject({ line: 3, column: 3, pointer: '/a' });
    expect(e.message).toBe('duplicate member name "a"; it is first used at line 2, column 3');
  });

  it('finds duplicates inside nested objects', () => {
    expect(error(parseJson('{"x": [{"k": 1, "k": 1}]}'))).toMatchObject({
      code: 'duplicate-key',
      pointer: '/x/0/k',
    });
  });

  it('reports a syntax error with its line and column', () => {
    const e = error(parseJson('{\n  "a": 1,\n  "b": ,\n}'));
    expect(e).toMatchObject({ code: 'syntax', line: 3, column: 8 });
    expect(e.message).toContain('expected a JSON value');
  });

  it.each([
    ['', 'unexpected end of input'],
    ['{"a": 1', "expected ',' or '}'"],
    ['[1 2]', "expected ',' or ']'"],
    ['{a: 1}', 'expected a member name in double quotes'],
    ["{'a': 1}", 'single quote'],
    ['{"a" 1}', "expected ':'"],
    ['[01]', 'invalid number'],
    ['[1.]', 'invalid number'],
    ['[-]', 'invalid number'],
    ['[.5]', 'expected a JSON value'],
    ['[1e]', 'invalid number'],
    ['[tru]', 'expected a JSON value'],
    ['"abc', 'unterminated string'],
    ['"a\tb"', 'control character U+0009'],
    ['"\\x"', 'invalid escape sequence'],
    ['"\\u12G4"', 'four hexadecimal digits'],
    ['{} {}', 'after the end of the JSON value'],
    ['[1,]', 'expected a JSON value'],
    ['NaN', 'expected a JSON value'],
  ])('refuses %j: %s', (text, message) => {
    const e = error(parseJson(text));
    expect(e.code).toBe('syntax');
    expect(e.message).toContain(message);
  });

  it('refuses nesting deeper than the limit, and accepts exactly the limit', () => {
    expect(ok(parseJson('['.repeat(64) + ']'.repeat(64))).value).toBeDefined();
    const e = error(parseJson('['.repeat(65) + ']'.repeat(65)));
    expect(e).toMatchObject({ code: 'too-deep', line: 1, column: 65 });
    expect(error(parseJson('{"a":{"b":1}}', { maxDepth: 1 })).code).toBe('too-deep');
  });

  it('refuses input larger than maxBytes, counting UTF-8 bytes', () => {
    expect(error(parseJson(`"${'a'.repeat(20)}"`, { maxBytes: 21 }))).toMatchObject({
      code: 'too-large',
      line: 1,
      column: 1,
    });
    expect(ok(parseJson(`"${'a'.repeat(19)}"`, { maxBytes: 21 })).value).toBe('a'.repeat(19));
    expect(error(parseJson('"éééééééééé"', { maxBytes: 21 })).code).toBe('too-large');
    expect(error(parseJson(new Uint8Array(22).fill(0x20), { maxBytes: 21 })).code).toBe(
      'too-large',
    );
  });

  it('refuses invalid UTF-8 and points at the bad byte', () => {
    const bytes = new Uint8Array([
      ...new TextEncoder().encode('{\n "a": "x'),
      0xff,
      ...new TextEncoder().encode('"}'),
    ]);
    const e = error(parseJson(bytes));
    expect(e).toMatchObject({ code: 'invalid-utf8', line: 2, column: 9 });
    expect(e.message).toContain('0xff');
  });

  it.each([
    ['overlong encoding', [0x22, 0xc0, 0xaf, 0x22]],
    ['encoded surrogate', [0x22, 0xed, 0xa0, 0x80, 0x22]],
    ['truncated sequence', [0x22, 0xe2, 0x82, 0x22]],
    ['beyond U+10FFFF', [0x22, 0xf4, 0x90, 0x80, 0x80, 0x22]],
  ])('refuses ill-formed UTF-8: %s', (_name, bytes) => {
    expect(error(parseJson(new Uint8Array(bytes))).code).toBe('invalid-utf8');
  });

  it('accepts and records a UTF-8 byte order mark', () => {
    const parsed = ok(
      parseJson(new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('{"a":1}')])),
    );
    expect(parsed.value).toStrictEqual({ a: 1 });
    expect(parsed.hadByteOrderMark).toBe(true);
    expect(parsed.locate('/a')).toMatchObject({ line: 1, column: 6 });
  });

  it('refuses lone surrogates, raw or escaped (I-JSON)', () => {
    expect(error(parseJson('"\\ud800"')).code).toBe('not-i-json');
    expect(error(parseJson('"\\udc00x"')).code).toBe('not-i-json');
    expect(error(parseJson('"\\ud800\\u0041"')).code).toBe('not-i-json');
    expect(error(parseJson('"\ud800"')).code).toBe('not-i-json');
    expect(ok(parseJson('"\\ud83d\\ude00"')).value).toBe('😀');
  });

  it('refuses numbers that overflow a double (I-JSON)', () => {
    expect(error(parseJson('[1e400]'))).toMatchObject({ code: 'not-i-json', pointer: '/0' });
  });

  it('records integers a double cannot hold exactly', () => {
    const parsed = ok(
      parseJson(
        '{"big": 12345678901234567891, "fine": 9007199254740993.5, "exact": 18014398509481984}',
      ),
    );
    expect(parsed.inexactIntegers).toStrictEqual(['/big']);
  });

  it('keeps "__proto__" an ordinary own property, as JSON.parse does', () => {
    const value = ok(parseJson('{"__proto__": {"polluted": true}}')).value as Record<
      string,
      unknown
    >;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toStrictEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('decodes every escape', () => {
    expect(ok(parseJson('"\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9"')).value).toBe('"\\/\b\f\n\r\té');
  });
});
