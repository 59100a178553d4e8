import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalize,
  CanonicalizationError,
  formatCanonical,
} from '../../src/json/canonicalize.js';
import { parseJson } from '../../src/json/parse.js';

/** The double whose IEEE 754 bit pattern is `hex`. */
function fromBits(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

describe('canonicalize (RFC 8785)', () => {
  it('produces the output of RFC 8785 section 3.2.2 for its example input', () => {
    const input =
      '{\n  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n' +
      '  "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",\n' +
      '  "literals": [null, true, false]\n}';
    const parsed = parseJson(input);
    if (!parsed.ok) throw new Error(parsed.error.message);
    expect(canonicalize(parsed.value)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts member names by UTF-16 code units (RFC 8785 section 3.2.3)', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    expect(canonicalize(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it.each([
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ])('serializes the double 0x%s as %s (RFC 8785 Appendix B)', (bits, expected) => {
    expect(canonicalize(fromBits(bits))).toBe(expected);
  });

  it.each([
    ['7fffffffffffffff', 'NaN'],
    ['7ff0000000000000', 'Infinity'],
  ])('refuses the double 0x%s (%s)', (bits) => {
    expect(() => canonicalize(fromBits(bits))).toThrow(CanonicalizationError);
  });

  it('refuses lone surrogates, in values and in member names, naming the pointer', () => {
    expect(() => canonicalize({ a: ['\ud800'] })).toThrow(
      expect.objectContaining({ pointer: '/a/0' }) as Error,
    );
    expect(() => canonicalize({ '\udc00': 1 })).toThrow(CanonicalizationError);
  });

  it('refuses values JSON cannot represent', () => {
    expect(() => canonicalize({ f: () => 1 })).toThrow(/function/);
    expect(() => canonicalize(new Date(0))).toThrow(/plain objects/);
    expect(() => canonicalize(10n)).toThrow(/bigint/);
  });

  it('is idempotent and round-trips through the parser (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const canonical = canonicalize(value);
        const reparsed = parseJson(canonical);
        if (!reparsed.ok) throw new Error(reparsed.error.message);
        expect(reparsed.value).toStrictEqual(JSON.parse(JSON.stringify(value)));
        expect(canonicalize(reparsed.value)).toBe(canonical);
      }),
      { numRuns: 1000 },
    );
  });

  it('serializes every double as ECMAScript does, and reads it back exactly (property)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        const text = canonicalize(n);
        expect(text).toBe(Object.is(n, -0) ? '0' : String(n));
        expect(Number(text)).toBe(n === 0 ? 0 : n);
      }),
      { numRuns: 2000 },
    );
  });

  it('does not depend on member insertion order (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })), (object) => {
        const reversed = Object.fromEntries(Object.entries(object).reverse());
        expect(canonicalize(reversed)).toBe(canonicalize(object));
      }),
    );
  });
});

describe('formatCanonical', () => {
  it('indents by two spaces, sorts members, and ends with one newline', () => {
    expect(formatCanonical({ b: [1, { d: 2, c: [] }], a: {} })).toBe(
      '{\n  "a": {},\n  "b": [\n    1,\n    {\n      "c": [],\n      "d": 2\n    }\n  ]\n}\n',
    );
  });

  it('holds the same data as the compact canonical form (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(JSON.parse(formatCanonical(value))).toStrictEqual(JSON.parse(canonicalize(value)));
      }),
    );
  });
});
