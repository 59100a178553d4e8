/**
 * Go's published sumdb vectors (test/fixtures/go-sumdb/README.md) against matriz/verify: what
 * Go's sumdb/note opens we open, with the same verified and unverified signatures, and what it
 * refuses we refuse with a typed error; Go's tree hashes and proofs verify, and corrupted ones
 * do not. Committed fixtures: no Go needed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { base64Decode, base64Encode } from '../../src/crypto/encoding.js';
import { leafHash } from '../../src/log/hash.js';
import { hex32 } from '../../src/log/note.js';
import {
  CheckpointError,
  EvidenceError,
  loadVerifierSuites,
  NoteError,
  peekCheckpoint,
  verifyCheckpointByWitnesses,
  verifyConsistencyProof,
  verifyInclusionProof,
  verifyNote,
  type VerifierSuites,
} from '../../src/verify/index.js';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/go-sumdb');

interface NoteVectors {
  text: string;
  keys: Record<string, string>;
  bad_keys: { why: string; vkey: string }[];
  open: { why: string; note: string; keys: string[]; verified: string[]; unverified: string[] }[];
  refuse: { why: string; note?: string; note_base64?: string; keys: string[]; go_error: string }[];
  tree: { record: string; record_hash: string; size: number; text: string };
}

interface TlogVectors {
  leaves: string[];
  tree_hashes: string[];
  inclusion: { size: number; index: number; proof: string[] }[];
  consistency: { size: number; old_size: number; proof: string[] }[];
}

const notes = JSON.parse(
  readFileSync(path.join(FIXTURES, 'note-vectors.json'), 'utf8'),
) as NoteVectors;
const tlog = JSON.parse(
  readFileSync(path.join(FIXTURES, 'tlog-vectors.json'), 'utf8'),
) as TlogVectors;
const encoder = new TextEncoder();
const PETER = notes.keys.PeterNeumann ?? '';

let suites: VerifierSuites;
beforeAll(async () => {
  suites = await loadVerifierSuites();
});

function flipFirstBit(hash: Uint8Array | undefined): void {
  if (hash) hash[0] = (hash[0] ?? 0) ^ 1;
}

/** The error `run` throws (fails the test when it throws nothing). */
function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a refusal, but it was accepted');
}

const keysOf = (names: string[]) => names.map((name) => notes.keys[name] ?? name);
const namesOf = (lines: readonly { name: string }[]) => lines.map((line) => line.name);

describe('Go sumdb/note vectors', () => {
  it.each(notes.open)('opens what Go opens: $why', (vector) => {
    const opened = verifyNote(vector.note, { keys: keysOf(vector.keys) }, suites.ed25519);
    expect(opened.text).toBe(notes.text);
    expect(namesOf(opened.verified)).toStrictEqual(vector.verified);
    expect(namesOf(opened.unverified)).toStrictEqual(vector.unverified);
  });

  it('reports the key ID Go prints for PeterNeumann (ExampleOpen: c74f20a3)', () => {
    const vector = notes.open[0];
    const opened = verifyNote(vector?.note ?? '', { keys: [PETER] }, suites.ed25519);
    expect(opened.verified.map((s) => hex32(s.keyId))).toStrictEqual(['c74f20a3']);
  });

  const expectedCode: Record<string, string> = {
    'note has no verifiable signatures': 'unverified',
    'ambiguous key EnochRoot+af0cfe78': 'ambiguous-key',
    'invalid signature for key PeterNeumann+c74f20a3': 'bad-signature',
    'malformed note': 'malformed|too-large',
  };

  it.each(notes.refuse)('refuses what Go refuses ($go_error): $why', (vector) => {
    const note =
      vector.note_base64 === undefined ? (vector.note ?? '') : base64Decode(vector.note_base64);
    const error = thrown(() => verifyNote(note, { keys: keysOf(vector.keys) }, suites.ed25519));
    expect(error).toBeInstanceOf(NoteError);
    expect((error as NoteError).code).toMatch(
      new RegExp(`^(${expectedCode[vector.go_error] ?? 'none'})$`),
    );
  });

  it('refuses a note with one signature under a two-key threshold, which Go accepts with one key', () => {
    const both = keysOf(['PeterNeumann', 'EnochRoot']);
    expect(
      verifyNote(notes.open[2]?.note ?? '', { keys: both, threshold: 2 }, suites.ed25519).verified,
    ).toHaveLength(2);
    const error = thrown(() =>
      verifyNote(notes.open[0]?.note ?? '', { keys: both, threshold: 2 }, suites.ed25519),
    );
    expect(error).toMatchObject({ name: 'NoteError', code: 'unverified' });
  });

  it('accepts the published verifier keys and refuses the two bad ones with invalid-key', () => {
    for (const vkey of Object.values(notes.keys))
      expect(
        verifyNote(notes.open[2]?.note ?? '', { keys: [vkey] }, suites.ed25519).verified,
      ).toHaveLength(1);
    for (const { vkey } of notes.bad_keys)
      expect(
        thrown(() => verifyNote(notes.open[0]?.note ?? '', { keys: [vkey] }, suites.ed25519)),
      ).toMatchObject({
        code: 'invalid-key',
      });
  });

  it('refuses every mangling of the PeterNeumann key TestNewVerifier refuses (substrings, incremented bytes)', () => {
    const note = notes.open[0]?.note ?? '';
    const manglings: string[] = [];
    for (let i = 0; i <= PETER.length; i++)
      for (let j = i + 1; j <= PETER.length; j++)
        if (i !== 0 || j !== PETER.length) manglings.push(PETER.slice(i, j));
    for (let i = 0; i < PETER.length; i++)
      manglings.push(
        PETER.slice(0, i) + String.fromCharCode(PETER.charCodeAt(i) + 1) + PETER.slice(i + 1),
      );
    const accepted = manglings.filter((vkey) => {
      try {
        verifyNote(note, { keys: [vkey] }, suites.ed25519);
        return true;
      } catch (error) {
        expect(error).toBeInstanceOf(NoteError);
        return false;
      }
    });
    expect(manglings.length).toBeGreaterThan(2000);
    expect(accepted).toStrictEqual([]);
  });

  it("hashes Go's record 'hello world' like tlog.RecordHash, and reads the go.sum tree note's size and hash", () => {
    expect(base64Encode(leafHash(encoder.encode(notes.tree.record)))).toBe(notes.tree.record_hash);
    // The go.sum origin has spaces, which C2SP checkpoints forbid: refused as a checkpoint.
    const note = `${notes.tree.text}\n— go.sum 3q2+7wECAw==\n`;
    expect(thrown(() => peekCheckpoint(note))).toMatchObject({ code: 'malformed' });
    const renamed = note.replace('go.sum database tree', 'go.sum/database/tree');
    expect(peekCheckpoint(renamed)).toMatchObject({ size: notes.tree.size });
    expect(base64Encode(peekCheckpoint(renamed).rootHash)).toBe(notes.tree.record_hash);
  });

  it('verifies a checkpoint signed by a witness key set and refuses it for another origin', () => {
    // The Go example's text is no checkpoint: refused after the signatures verify.
    const error = thrown(() =>
      verifyCheckpointByWitnesses(notes.open[0]?.note ?? '', { keys: [PETER] }, suites.ed25519),
    );
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as CheckpointError).code).toBe('malformed');
  });
});

describe('Go sumdb/tlog vectors (RFC 6962 hashing and proofs)', () => {
  const head = (size: number) => ({
    size,
    rootHash: base64Decode(tlog.tree_hashes[size - 1] ?? ''),
  });
  const leaf = (index: number) => encoder.encode(tlog.leaves[index] ?? '');

  it("verifies every inclusion proof Go's ProveRecord made, and refuses each with one flipped bit", () => {
    let refused = 0;
    for (const { size, index, proof } of tlog.inclusion) {
      verifyInclusionProof(leaf(index), index, proof, head(size));
      for (let k = 0; k < proof.length; k++) {
        const corrupt = proof.map((h) => base64Decode(h).slice());
        flipFirstBit(corrupt[k]);
        expect(
          thrown(() => {
            verifyInclusionProof(leaf(index), index, corrupt, head(size));
          }),
        ).toMatchObject({
          code: 'inclusion-mismatch',
        });
        refused++;
      }
    }
    expect(tlog.inclusion.length).toBeGreaterThan(300);
    expect(refused).toBeGreaterThan(1000);
  });

  it("verifies every consistency proof Go's ProveTree made, and refuses each with one flipped bit", () => {
    for (const { size, old_size: old, proof } of tlog.consistency) {
      verifyConsistencyProof(head(old), head(size), proof);
      for (let k = 0; k < proof.length; k++) {
        const corrupt = proof.map((h) => base64Decode(h).slice());
        flipFirstBit(corrupt[k]);
        const error = thrown(() => {
          verifyConsistencyProof(head(old), head(size), corrupt);
        });
        expect(error).toBeInstanceOf(EvidenceError);
        expect((error as EvidenceError).code).toBe('consistency-mismatch');
      }
    }
  });

  it("refuses Go's proofs presented for a neighbouring leaf or a smaller tree", () => {
    const { size, index, proof } = tlog.inclusion.find((v) => v.size === 100 && v.index === 37) ?? {
      size: 0,
      index: 0,
      proof: [],
    };
    expect(
      thrown(() => {
        verifyInclusionProof(leaf(index + 1), index + 1, proof, head(size));
      }),
    ).toMatchObject({
      code: 'inclusion-mismatch',
    });
    expect(
      thrown(() => {
        verifyConsistencyProof(head(50), head(20), []);
      }),
    ).toMatchObject({
      code: 'not-newer',
    });
  });
});
