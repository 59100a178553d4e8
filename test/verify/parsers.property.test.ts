/**
 * Property: any single mutation of a valid input (a byte flipped, inserted or deleted, or a
 * truncation) is either refused with the parser's typed error, or parses to a value that formats
 * back to exactly the mutated input. No other exception, no silently different reading.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, formatCheckpoint, parseCheckpoint } from '../../src/log/checkpoint.js';
import { signCheckpoint } from '../../src/log/checkpoint-signature.js';
import { formatNote, NoteError, parseNote } from '../../src/log/note.js';
import { TrustError } from '../../src/trust/errors.js';
import {
  parseRevocationList,
  revocationListPayload,
  type RevocationList,
} from '../../src/trust/revocations.js';
import { parseTrustRoot, trustRootPayload, type TrustRoot } from '../../src/trust/trust-root.js';
import { MemoryLog } from '../support/memory-log.js';
import { checkpointSigner, testKey, testSuites, type TestKey } from '../trust/keys.js';

const ORIGIN = 'registry.test/properties';
const encoder = new TextEncoder();
const RUNS = { numRuns: 400 };

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'insert'; at: number; byte: number }
  | { kind: 'delete'; at: number }
  | { kind: 'truncate'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    bit: fc.integer({ min: 0, max: 7 }),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    byte: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function mutate(input: Uint8Array, m: Mutation): Uint8Array {
  const at = m.at % (input.length + (m.kind === 'insert' ? 1 : 0));
  const bytes = Array.from(input);
  if (m.kind === 'flip') bytes[at] = (bytes[at] ?? 0) ^ (1 << m.bit);
  else if (m.kind === 'insert') bytes.splice(at, 0, m.byte);
  else if (m.kind === 'delete') bytes.splice(at, 1);
  else bytes.length = at;
  return Uint8Array.from(bytes);
}

/** Runs `parse` on the mutated bytes: a refusal must be `errorClass`, an acceptance round-trips. */
function refusedOrRoundTrips<T>(
  valid: Uint8Array,
  parse: (bytes: Uint8Array) => T,
  format: (value: T) => Uint8Array,
  errorClass: new (...args: never[]) => Error,
  /** Whether the mutated bytes are an input of the parser at all (default: all are). */
  applicable: (bytes: Uint8Array) => boolean = () => true,
): void {
  let accepted = 0;
  fc.assert(
    fc.property(mutation, (m) => {
      const mutated = mutate(valid, m);
      fc.pre(applicable(mutated));
      let value: T;
      try {
        value = parse(mutated);
      } catch (error) {
        expect(error).toBeInstanceOf(errorClass);
        expect(typeof (error as { code?: unknown }).code).toBe('string');
        return;
      }
      accepted++;
      expect(Buffer.from(format(value)).equals(Buffer.from(mutated))).toBe(true);
    }),
    RUNS,
  );
  // The valid input itself parses and round-trips (the property is not vacuous).
  expect(Buffer.from(format(parse(valid))).equals(Buffer.from(valid))).toBe(true);
  expect(accepted).toBeLessThan(RUNS.numRuns);
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

let A: TestKey, L: TestKey;
let note: string;

beforeAll(async () => {
  const suites = await testSuites();
  [A, L] = [testKey(suites.ed25519), testKey(suites.hybrid)];
  const log = new MemoryLog();
  for (let i = 0; i < 6; i++) log.append(encoder.encode(`leaf ${i}`));
  note = await signCheckpoint(
    { origin: ORIGIN, size: 6, rootHash: log.root(), extensions: ['ext line'] },
    checkpointSigner(L, ORIGIN, suites),
    1_790_000_000,
  );
});

describe('parsers under single mutations', () => {
  it('the signed note parser refuses a mutated note with NoteError or reads it back unchanged', () => {
    refusedOrRoundTrips(
      encoder.encode(note),
      (bytes) => parseNote(bytes),
      (value) => encoder.encode(formatNote(value)),
      NoteError,
    );
  });

  it('the checkpoint parser refuses mutated text with CheckpointError or reads it back unchanged', () => {
    const text = parseNote(note).text;
    refusedOrRoundTrips(
      encoder.encode(text),
      (bytes) => parseCheckpoint(new TextDecoder().decode(bytes)),
      (value) => encoder.encode(formatCheckpoint(value)),
      CheckpointError,
      // The checkpoint parser reads text: byte strings that are not UTF-8 are the note's concern.
      isUtf8,
    );
  });

  it('the trust root parser refuses a mutated payload with TrustError or reads it back unchanged', () => {
    const payload = trustRootPayload({
      origin: ORIGIN,
      version: 3,
      expires: '2030-01-01T00:00:00Z',
      keys: [A.key, L.key],
      roles: {
        root: { keyids: [A.key.keyid], threshold: 1 },
        log: { keyids: [L.key.keyid], threshold: 1 },
        enrolment: { keyids: [A.key.keyid], threshold: 1 },
        revocation: { keyids: [A.key.keyid], threshold: 1 },
      },
    });
    refusedOrRoundTrips(
      payload,
      parseTrustRoot,
      (root: TrustRoot) =>
        trustRootPayload({
          origin: root.origin,
          version: root.version,
          expires: root.expires,
          keys: [...root.keys.values()],
          roles: root.roles,
        }),
      TrustError,
    );
  });

  it('the revocation list parser refuses a mutated payload with TrustError or reads it back unchanged', () => {
    const payload = revocationListPayload({
      origin: ORIGIN,
      version: 2,
      issuedAt: '2026-05-01T00:00:00Z',
      revoked: [{ keyid: L.key.keyid, revokedAt: '2026-05-01T00:00:00Z', reason: 'leaked' }],
    });
    refusedOrRoundTrips(
      payload,
      parseRevocationList,
      (list: RevocationList) =>
        revocationListPayload({
          origin: list.origin,
          version: list.version,
          issuedAt: list.issued_at,
          revoked: list.revoked.map((r) => ({
            keyid: r.keyid,
            revokedAt: r.revoked_at,
            reason: r.reason,
          })),
        }),
      TrustError,
    );
  });
});
