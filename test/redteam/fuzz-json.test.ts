/**
 * RT-FUZZ (JSON): the strict JSON parser every request body, document and key file goes through.
 * Mutated NodeSpecs and envelopes, odd bytes and random bytes are refused with a code and a
 * position inside the input, or parse to exactly what JSON.parse reads and re-serialize
 * (RFC 8785) to text that parses to the same value.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalize } from '../../src/json/canonicalize.js';
import { parseJson, type JsonErrorCode } from '../../src/json/parse.js';
import { exampleSources } from '../support/examples.js';
import { makeOwner } from '../support/registry.js';
import { anyString, fuzzParameters, fuzzTimeout, hostileBytes } from './fuzz.js';
import { observe } from './observe.js';

const CODES: readonly JsonErrorCode[] = [
  'invalid-utf8',
  'too-large',
  'syntax',
  'duplicate-key',
  'too-deep',
  'not-i-json',
];
const encoder = new TextEncoder();

function checkParse(input: string | Uint8Array, tally: Map<string, number>): void {
  const parsed = parseJson(input, { maxBytes: 64 * 1024 });
  if (!parsed.ok) {
    const { code, message, line, column, offset } = parsed.error;
    tally.set(code, (tally.get(code) ?? 0) + 1);
    expect(CODES).toContain(code);
    expect(message.length).toBeGreaterThan(0);
    expect(line).toBeGreaterThanOrEqual(1);
    expect(column).toBeGreaterThanOrEqual(1);
    expect(offset).toBeGreaterThanOrEqual(0);
    expect(offset).toBeLessThanOrEqual(input.length);
    return;
  }
  tally.set('accepted', (tally.get('accepted') ?? 0) + 1);
  // What the strict parser accepts, JSON.parse reads the same way (never a second meaning).
  expect(parsed.value).toStrictEqual(JSON.parse(parsed.text));
  const canonical = canonicalize(parsed.value);
  const again = parseJson(canonical, { maxBytes: 1 << 20 });
  expect(again.ok && canonicalize(again.value)).toBe(canonical);
}

function tallyLine(what: string, tally: Map<string, number>): string {
  return `${what}: ${[...tally.entries()].map(([k, n]) => `${k} ×${n}`).join(', ')}`;
}

describe('RT-FUZZ: strict JSON', () => {
  it(
    'RT-FUZZ-1: mutated NodeSpecs and envelopes (bit flips, truncation, duplication, BOM, NUL, lone surrogates, huge numbers, deep nesting) are refused with a code and position, or parse as JSON.parse does',
    async () => {
      const owner = await makeOwner('ed25519');
      const samples = [
        ...[...exampleSources().values()].slice(0, 3).map((text) => encoder.encode(text)),
        encoder.encode(
          JSON.stringify(owner.request({ op: 'register', nodeSpec: owner.spec('fuzz_json') })),
        ),
        encoder.encode('{"a":[1,-0,1e300,"\\u00e9\\ud83d\\ude00",true,null,{}],"b":{"c":""}}'),
      ];
      const tally = new Map<string, number>();
      fc.assert(
        fc.property(hostileBytes(samples), (bytes) => {
          checkParse(bytes, tally);
        }),
        fuzzParameters(600),
      );
      observe(tallyLine('bytes', tally));
      // Mutations reach both sides: the property saw refusals and acceptances.
      expect(tally.get('accepted') ?? 0).toBeGreaterThan(0);
      expect(tally.get('syntax') ?? 0).toBeGreaterThan(0);
    },
    fuzzTimeout(20_000),
  );

  it(
    'RT-FUZZ-2: strings with any UTF-16 code unit and random JSON-ish text never throw',
    () => {
      const tally = new Map<string, number>();
      const jsonish = fc
        .array(
          fc.oneof(
            anyString(8),
            fc.constantFrom('{', '}', '[', ']', ',', ':', '"', '\\u', '-', '0', 'e', '.', ' '),
          ),
          { maxLength: 40 },
        )
        .map((parts) => parts.join(''));
      fc.assert(
        fc.property(fc.oneof(anyString(200), jsonish), (text) => {
          checkParse(text, tally);
        }),
        fuzzParameters(600),
      );
      observe(tallyLine('text', tally));
      expect(tally.get('syntax') ?? 0).toBeGreaterThan(0);
    },
    fuzzTimeout(20_000),
  );

  it('RT-FUZZ-3: nesting far past the depth limit is refused (too-deep), not a stack overflow', () => {
    for (const open of ['[', '{"a":']) {
      const text = open.repeat(100_000);
      const parsed = parseJson(text, { maxBytes: 1 << 20 });
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) {
        expect(parsed.error.code).toBe('too-deep');
        observe(`${open}×100000: ${parsed.error.code} at column ${parsed.error.column}`);
      }
    }
  });
});
