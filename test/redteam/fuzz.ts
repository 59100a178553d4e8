/**
 * Fuzzing support for the red-team suite (test/redteam/fuzz-*.test.ts): a fixed seed and run
 * count, so that CI runs the same inputs every time, and mutations of valid samples.
 *
 * Longer runs are opt-in: `MATRIZ_FUZZ_RUNS=100000 MATRIZ_FUZZ_SEED=7 npm run test:redteam --
 * test/redteam/fuzz-` (docs/security.md, "Fuzzing"). A failure prints the seed and the path
 * fast-check needs to replay it.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { observe } from './observe.js';

/** The seed of every property; MATRIZ_FUZZ_SEED overrides it. */
export const FUZZ_SEED = integerFromEnv('MATRIZ_FUZZ_SEED') ?? 13_2026;
const RUNS_OVERRIDE = integerFromEnv('MATRIZ_FUZZ_RUNS');

/** fast-check parameters: the fixed seed, and `ciRuns` unless MATRIZ_FUZZ_RUNS says otherwise. */
export function fuzzParameters<T>(ciRuns: number): fc.Parameters<T> {
  return { seed: FUZZ_SEED, numRuns: RUNS_OVERRIDE ?? ciRuns, endOnFailure: true };
}

/** The vitest timeout of a fuzz case: CI runs are bounded; long runs may take what they need. */
export function fuzzTimeout(ciMs: number): number {
  return RUNS_OVERRIDE === undefined ? ciMs : 24 * 3_600_000;
}

function integerFromEnv(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  if (!/^\d{1,9}$/.test(text))
    throw new Error(`${name} must be a decimal integer, got ${JSON.stringify(text)}`);
  return Number(text);
}

const encoder = new TextEncoder();

/**
 * Odd byte strings an attacker inserts: a byte order mark, NUL, a lone surrogate (as CESU-8 and as
 * a JSON escape), overlong and truncated UTF-8, huge and negative numbers, deep nesting, control
 * and bidirectional characters, and the separators of the formats under test.
 */
export const ODD_INSERTS: readonly Uint8Array[] = [
  Uint8Array.of(0xef, 0xbb, 0xbf),
  Uint8Array.of(0),
  Uint8Array.of(0xed, 0xa0, 0x80),
  Uint8Array.of(0xc0, 0xaf),
  Uint8Array.of(0xe2, 0x80),
  Uint8Array.of(0xff),
  ...[
    '\\ud800',
    '\\udc00\\ud800',
    '\\u0000',
    '1e999',
    '-0',
    '123456789012345678901234567890',
    '9007199254740993',
    '-1',
    '0.5',
    '[',
    '{',
    ']',
    '}',
    '"',
    ',',
    ':',
    '\\',
    '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[',
    '{"a":'.repeat(70),
    '\n',
    '\r\n',
    '\n\n',
    '\t',
    ' ',
    '\u2014 ',
    '\u202e',
    '\u200b',
    '=',
    '+',
    '/',
    '-',
    '_',
    'null',
    'true',
    '""',
    '{}',
    '[]',
    '"__proto__":{}',
    '"constructor"',
  ].map((text) => encoder.encode(text)),
];

export type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'set'; readonly at: number; readonly byte: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'delete'; readonly at: number; readonly length: number }
  | { readonly kind: 'duplicate'; readonly at: number; readonly length: number }
  | { readonly kind: 'truncate'; readonly at: number };

const position = fc.nat({ max: 1 << 20 });

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: position, bit: fc.nat({ max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: position, byte: fc.nat({ max: 255 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: position,
    bytes: fc.oneof(fc.constantFrom(...ODD_INSERTS), fc.uint8Array({ minLength: 1, maxLength: 8 })),
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    at: position,
    length: fc.integer({ min: 1, max: 16 }),
  }),
  fc.record({
    kind: fc.constant('duplicate' as const),
    at: position,
    length: fc.integer({ min: 1, max: 64 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
);

/** One to four mutations in a row: most inputs are near-valid, the ones that reach deep code. */
export const mutations: fc.Arbitrary<Mutation[]> = fc.array(mutation, {
  minLength: 1,
  maxLength: 4,
});

export function mutate(input: Uint8Array, steps: readonly Mutation[]): Uint8Array {
  let bytes = Array.from(input);
  for (const m of steps) {
    const at = m.at % (bytes.length + 1);
    switch (m.kind) {
      case 'flip':
        if (at < bytes.length) bytes[at] = (bytes[at] ?? 0) ^ (1 << m.bit);
        break;
      case 'set':
        if (at < bytes.length) bytes[at] = m.byte;
        break;
      case 'insert':
        bytes.splice(at, 0, ...m.bytes);
        break;
      case 'delete':
        bytes.splice(at, m.length);
        break;
      case 'duplicate':
        bytes.splice(at, 0, ...bytes.slice(at, at + m.length));
        break;
      case 'truncate':
        bytes = bytes.slice(0, at);
        break;
    }
  }
  return Uint8Array.from(bytes);
}

/** Mutated copies of one of `samples`. */
export function mutatedFrom(samples: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(fc.constantFrom(...samples), mutations)
    .map(([sample, steps]) => mutate(sample, steps));
}

/** Mutated samples, and now and then plain random bytes. */
export function hostileBytes(samples: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 9, arbitrary: mutatedFrom(samples) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }) },
  );
}

/** Strings with any UTF-16 code unit, lone surrogates included. */
export const anyString = (maxLength = 64): fc.Arbitrary<string> =>
  fc.string({ unit: fc.nat({ max: 0xffff }).map((n) => String.fromCharCode(n)), maxLength });

export type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Tallies a parser's outcomes across a property: accepted inputs, and refusals by error code.
 * `refusal` fails the case unless the error is one of the parser's typed errors with a string
 * `code` and a message; `report` records the tally for the red-team report.
 */
export class Outcomes {
  accepted = 0;
  private readonly refusals = new Map<string, number>();

  constructor(private readonly errorClasses: readonly ErrorClass[]) {}

  /** Runs `parse`; returns its value, or undefined after checking a refusal is typed. */
  run<T>(parse: () => T): T | undefined {
    let value: T;
    try {
      value = parse();
    } catch (error) {
      this.refusal(error);
      return undefined;
    }
    this.accepted++;
    return value;
  }

  /** Like `run`, for parsers that return a promise. */
  async runAsync<T>(parse: () => Promise<T>): Promise<T | undefined> {
    let value: T;
    try {
      value = await parse();
    } catch (error) {
      this.refusal(error);
      return undefined;
    }
    this.accepted++;
    return value;
  }

  refusal(error: unknown): void {
    if (!this.errorClasses.some((errorClass) => error instanceof errorClass)) throw error;
    const { code, slug, message } = error as { code?: unknown; slug?: unknown; message: string };
    const stableCode = typeof code === 'string' ? code : slug;
    expect(typeof stableCode, `a refusal without a code: ${message}`).toBe('string');
    expect(message.length, 'a refusal without a message').toBeGreaterThan(0);
    const key = `${(error as Error).name} ${String(stableCode)}`;
    this.refusals.set(key, (this.refusals.get(key) ?? 0) + 1);
  }

  get refused(): number {
    return [...this.refusals.values()].reduce((a, b) => a + b, 0);
  }

  /** Records `<n> inputs: <accepted> accepted, refused: <name code> ×n, …` for the report. */
  report(what: string): void {
    const refusals = [...this.refusals.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([key, n]) => `${key} ×${n}`)
      .join(', ');
    observe(
      `${what}: ${this.accepted + this.refused} inputs (seed ${FUZZ_SEED}), ${this.accepted} accepted, refused: ${refusals || 'none'}`,
    );
  }
}
