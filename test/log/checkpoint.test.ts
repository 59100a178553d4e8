import { describe, expect, it } from 'vitest';
import { base64Encode } from '../../src/crypto/encoding.js';
import {
  CheckpointError,
  consistencyProofRanges,
  ed25519VerifierKey,
  formatCheckpoint,
  formatNote,
  inclusionProofRanges,
  MAX_NOTE_SIGNATURES,
  NoteError,
  openCheckpoint,
  parseCheckpoint,
  parseEd25519VerifierKey,
  parseNote,
  signCheckpoint,
  type Checkpoint,
} from '../../src/log/index.js';
import { goInteropAvailable, runGoVerifier } from '../support/go-interop.js';
import { testLogKeys } from '../support/log-keys.js';
import { MemoryLog } from '../support/memory-log.js';

const ORIGIN = 'registry.test/matriz';
const keys = testLogKeys(ORIGIN);

function checkpointOf(log: MemoryLog, size = log.leaves.length): Checkpoint {
  return { origin: ORIGIN, size, rootHash: log.root(size), extensions: [] };
}

function logOf(size: number): MemoryLog {
  const log = new MemoryLog();
  for (let i = 0; i < size; i++) log.append(new TextEncoder().encode(`{"entry":${i}}`));
  return log;
}

describe('checkpoint text (C2SP tlog-checkpoint)', () => {
  it('formats origin, decimal size and base64 root hash, one per line', () => {
    const rootHash = new Uint8Array(32).fill(7);
    expect(formatCheckpoint({ origin: ORIGIN, size: 42, rootHash, extensions: ['ext one'] })).toBe(
      `${ORIGIN}\n42\n${base64Encode(rootHash)}\next one\n`,
    );
  });

  it('round-trips through the parser', () => {
    const checkpoint = checkpointOf(logOf(9));
    expect(parseCheckpoint(formatCheckpoint(checkpoint))).toStrictEqual(checkpoint);
  });

  it.each([
    ['no final newline', `${ORIGIN}\n1\n${base64Encode(new Uint8Array(32))}`],
    ['a leading zero in the size', `${ORIGIN}\n01\n${base64Encode(new Uint8Array(32))}\n`],
    ['a negative size', `${ORIGIN}\n-1\n${base64Encode(new Uint8Array(32))}\n`],
    ['a short root hash', `${ORIGIN}\n1\n${base64Encode(new Uint8Array(31))}\n`],
    ['a root hash that is not base64', `${ORIGIN}\n1\nnot base64!\n`],
    ['a missing line', `${ORIGIN}\n1\n`],
    ['an empty extension line', `${ORIGIN}\n1\n${base64Encode(new Uint8Array(32))}\n\n`],
    ['an origin with a space', `bad origin\n1\n${base64Encode(new Uint8Array(32))}\n`],
  ])('refuses %s', (_name, text) => {
    expect(() => parseCheckpoint(text)).toThrow(CheckpointError);
  });
});

describe('signed notes (C2SP signed-note)', () => {
  const text = `${ORIGIN}\n1\n${base64Encode(new Uint8Array(32))}\n`;

  it('round-trips text and signatures', () => {
    const note = {
      text,
      signatures: [
        { name: 'a.example/k', keyId: 0xdeadbeef, signature: new Uint8Array([1, 2, 3]) },
      ],
    };
    const formatted = formatNote(note);
    expect(formatted).toBe(`${text}\n— a.example/k 3q2+7wECAw==\n`);
    expect(parseNote(formatted)).toStrictEqual(note);
  });

  it.each([
    ['no blank line before the signatures', `${text}— a b3JpZ2lu\n`],
    ['a line without the em dash', `${text}\n- a.example/k 3q2+7wECAw==\n`],
    ['a signature shorter than a key ID', `${text}\n— a.example/k AAAA\n`],
    ['a control character', `${text.replace('\n', '\t')}\n— a.example/k 3q2+7wECAw==\n`],
    ['a name with a plus', `${text}\n— a+b 3q2+7wECAw==\n`],
  ])('refuses %s', (_name, note) => {
    expect(() => parseNote(note)).toThrow(NoteError);
  });

  it('keeps repeated signature lines of one key (as Go does), and refuses too many signatures', () => {
    expect(parseNote(`${text}\n— k 3q2+7wECAw==\n— k 3q2+7wECAw==\n`).signatures).toHaveLength(2);
    const many = Array.from(
      { length: MAX_NOTE_SIGNATURES + 1 },
      (_, i) => `— k${i} 3q2+7wECAw==\n`,
    ).join('');
    expect(() => parseNote(`${text}\n${many}`)).toThrow(
      expect.objectContaining({ code: 'too-large' }),
    );
  });

  it('caps the size of a note before parsing it', () => {
    expect(() => parseNote(`${text}\n— k ${'A'.repeat(70_000)}\n`)).toThrow(/larger than/);
  });
});

describe('hybrid-signed checkpoints', () => {
  const log = logOf(13);

  it('open with both signatures and report the signing time', async () => {
    const note = await signCheckpoint(checkpointOf(log), keys.signer, 1_790_000_000);
    const opened = openCheckpoint(note, keys.verifier, ORIGIN);
    expect(opened).toStrictEqual({
      ok: true,
      checkpoint: checkpointOf(log),
      timestamp: 1_790_000_000,
    });
  });

  it('refuse a note stripped of either signature (downgrade)', async () => {
    const note = await signCheckpoint(checkpointOf(log), keys.signer, 1_790_000_000);
    const lines = note.split('\n');
    const [edLine, mlLine] = lines.filter((l) => l.startsWith('—'));
    for (const stripped of [note.replace(`${edLine}\n`, ''), note.replace(`${mlLine}\n`, '')]) {
      const opened = openCheckpoint(stripped, keys.verifier);
      expect(opened).toMatchObject({ ok: false, problem: 'missing-signature' });
    }
  });

  it('refuse a changed size, root or signature, and ignore lines from unknown keys', async () => {
    const note = await signCheckpoint(checkpointOf(log), keys.signer, 1_790_000_000);
    const other = await signCheckpoint(checkpointOf(log, 12), keys.signer, 1_790_000_000);
    const forgedText = note.replace(`\n13\n`, '\n12\n');
    expect(openCheckpoint(forgedText, keys.verifier)).toMatchObject({
      ok: false,
      problem: 'bad-signature',
    });
    // Splice the signatures of one checkpoint onto another's text.
    const spliced =
      other.slice(0, other.indexOf('\n\n') + 2) + note.slice(note.indexOf('\n\n') + 2);
    expect(openCheckpoint(spliced, keys.verifier)).toMatchObject({
      ok: false,
      problem: 'bad-signature',
    });
    const stranger = testLogKeys('someone.else/log');
    const foreign = await signCheckpoint(
      { ...checkpointOf(log), origin: ORIGIN },
      stranger.signer,
      1,
    );
    const withExtraLine = `${note}${foreign.split('\n').filter((l) => l.startsWith('—'))[0] ?? ''}\n`;
    expect(openCheckpoint(withExtraLine, keys.verifier)).toMatchObject({ ok: true });
    expect(openCheckpoint(note, stranger.verifier)).toMatchObject({
      ok: false,
      problem: 'missing-signature',
    });
  });

  it('refuse a checkpoint for another origin', async () => {
    const note = await signCheckpoint(checkpointOf(log), keys.signer, 1);
    expect(openCheckpoint(note, keys.verifier, 'other.example/log')).toMatchObject({
      ok: false,
      problem: 'wrong-origin',
    });
    expect(openCheckpoint('garbage', keys.verifier)).toMatchObject({
      ok: false,
      problem: 'malformed',
    });
  });

  it('publish a Go sumdb/note verifier key that parses back to the same key', () => {
    const vkey = ed25519VerifierKey(ORIGIN, keys.verifier.ed25519PublicKey);
    expect(vkey).toMatch(/^registry\.test\/matriz\+[0-9a-f]{8}\+/);
    expect(parseEd25519VerifierKey(vkey).publicKey).toStrictEqual(keys.verifier.ed25519PublicKey);
    expect(() => parseEd25519VerifierKey(vkey.replace(/\+[0-9a-f]{8}\+/, '+00000000+'))).toThrow(
      /key ID/,
    );
    // A key whose base64 contains '+' still splits into name, key ID and key, as in Go.
    const plusKey = new Uint8Array(32).fill(0xfb);
    expect(ed25519VerifierKey(ORIGIN, plusKey).split('+').length).toBeGreaterThan(3);
    expect(parseEd25519VerifierKey(ed25519VerifierKey(ORIGIN, plusKey)).publicKey).toStrictEqual(
      plusKey,
    );
  });
});

describe.runIf(goInteropAvailable())("interop with Go's golang.org/x/mod/sumdb", () => {
  it('opens our checkpoints with sumdb/note and checks our proofs with sumdb/tlog', async () => {
    const log = logOf(37);
    const note = await signCheckpoint(checkpointOf(log), keys.signer, 1_790_000_000);
    const inclusion = [0, 1, 17, 36].map((index) => ({
      index,
      size: 37,
      leaf: base64Encode(log.leaves[index] as Uint8Array),
      proof: inclusionProofRanges(index, 37).map((r) => base64Encode(log.hash(r))),
      root: base64Encode(log.root()),
    }));
    const consistency = [1, 8, 20, 36, 37].map((from) => ({
      from,
      to: 37,
      from_root: base64Encode(log.root(from)),
      to_root: base64Encode(log.root()),
      proof: consistencyProofRanges(from, 37).map((r) => base64Encode(log.hash(r))),
    }));
    const tampered = {
      ...inclusion[2],
      leaf: base64Encode(new TextEncoder().encode('{"entry":99}')),
    };
    const result = runGoVerifier({
      vkey: ed25519VerifierKey(ORIGIN, keys.verifier.ed25519PublicKey),
      note,
      inclusion: [...inclusion, tampered],
      consistency,
    });
    expect(result.note_error).toBe('ok');
    expect(result.note_text).toBe(formatCheckpoint(checkpointOf(log)));
    expect(result.inclusion).toStrictEqual(['ok', 'ok', 'ok', 'ok', 'invalid transparency proof']);
    expect(result.consistency).toStrictEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
  });

  it('Go opens a checkpoint signed by two log keys (a rotation overlap) with either key', async () => {
    const log = logOf(7);
    const newer = testLogKeys(ORIGIN);
    const note = await signCheckpoint(checkpointOf(log), [keys.signer, newer.signer], 1);
    for (const key of [keys, newer]) {
      const result = runGoVerifier({
        vkey: ed25519VerifierKey(ORIGIN, key.verifier.ed25519PublicKey),
        note,
      });
      expect(result.note_error).toBe('ok');
      expect(result.note_text).toBe(formatCheckpoint(checkpointOf(log)));
    }
  });

  it('Go refuses our checkpoint when the text is changed', async () => {
    const log = logOf(5);
    const note = await signCheckpoint(checkpointOf(log), keys.signer, 1);
    const result = runGoVerifier({
      vkey: ed25519VerifierKey(ORIGIN, keys.verifier.ed25519PublicKey),
      note: note.replace('\n5\n', '\n6\n'),
    });
    expect(result.note_error).toMatch(/invalid signature/);
  });
});
