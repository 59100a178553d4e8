/**
 * The witness (src/witness/witness.ts) against C2SP tlog-witness, answer by answer, and the
 * cosignatures it makes (src/log/cosignature.ts) against C2SP tlog-cosignature: checked with
 * node:crypto's own Ed25519 over the message the spec gives, not with the code that made them.
 */
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadSignatureSuite } from '../../src/crypto/suites.js';
import type { SignatureSuite } from '../../src/crypto/suite.js';
import { base64Encode } from '../../src/crypto/encoding.js';
import { signCheckpoint } from '../../src/log/checkpoint-signature.js';
import {
  checkWitnessPolicy,
  cosignedAt,
  parseWitnessPolicy,
  parseWitnessVerifierKey,
  witnessVerifierKey,
} from '../../src/log/cosignature.js';
import { consistencyProofRanges } from '../../src/log/proof.js';
import { NoteError, parseNote } from '../../src/log/note.js';
import { parseCheckpoint } from '../../src/log/checkpoint.js';
import { Witness } from '../../src/witness/witness.js';
import { ml_dsa44 } from '@noble/post-quantum/ml-dsa.js';
import { testLogKeys } from '../support/log-keys.js';
import { MemoryLog } from '../support/memory-log.js';

const ORIGIN = 'witness.test/log';
const NAME = 'witness.test/w1';
let ed25519: SignatureSuite;
beforeAll(async () => {
  ed25519 = await loadSignatureSuite('ed25519');
});
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function logOf(size: number, tag = 'a'): MemoryLog {
  const log = new MemoryLog();
  for (let i = 0; i < size; i++) log.append(new TextEncoder().encode(`{"${tag}":${i}}`));
  return log;
}

function setup() {
  const keys = testLogKeys(ORIGIN);
  const pair = ed25519.generateKeyPair();
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'matriz-witness-'));
  dirs.push(stateDir);
  const make = () =>
    new Witness({
      name: NAME,
      publicKey: pair.publicKey,
      secretKey: pair.secretKey,
      suite: ed25519,
      logs: new Map([[ORIGIN, keys.verifier]]),
      stateDir,
      clock: () => 1_790_000_000_000,
    });
  const note = (log: MemoryLog, size = log.leaves.length, signer = keys.signer) =>
    signCheckpoint({ origin: ORIGIN, size, rootHash: log.root(size), extensions: [] }, signer, 1);
  const proof = (log: MemoryLog, from: number, to: number) =>
    consistencyProofRanges(from, to)
      .map((range) => `${base64Encode(log.hash(range))}\n`)
      .join('');
  return { keys, pair, stateDir, make, note, proof };
}

describe('tlog-witness add-checkpoint', () => {
  it('cosigns the first checkpoint, then only consistent ones from the size it has, and remembers across restarts', async () => {
    const t = setup();
    const witness = t.make();
    const log = logOf(20);
    const first = await witness.addCheckpoint(`old 0\n\n${await t.note(log, 8)}`);
    expect(first.status).toBe(200);
    expect(first.body).toMatch(/^— witness\.test\/w1 [A-Za-z0-9+/]+=*\n$/);

    // The cosignature per tlog-cosignature: key ID, big-endian timestamp, Ed25519 over the
    // "cosignature/v1" message, checked with node:crypto.
    const note8 = await t.note(log, 8);
    const bytes = Buffer.from(first.body.trim().split(' ')[2] ?? '', 'base64');
    const vkey = parseWitnessVerifierKey(witnessVerifierKey(NAME, t.pair.publicKey));
    expect(bytes.readUInt32BE(0)).toBe(vkey.keyId);
    expect(bytes.readBigUInt64BE(4)).toBe(1_790_000_000n);
    const text = parseNote(note8).text;
    expect(
      verify(
        null,
        Buffer.from(`cosignature/v1\ntime 1790000000\n${text}`),
        createPublicKey({
          key: {
            kty: 'OKP',
            crv: 'Ed25519',
            x: Buffer.from(t.pair.publicKey).toString('base64url'),
          },
          format: 'jwk',
        }),
        bytes.subarray(12),
      ),
    ).toBe(true);

    // Old size 0 again: 409 with the size it has, as text/x.tlog.size.
    const stale = await witness.addCheckpoint(`old 0\n\n${await t.note(log, 12)}`);
    expect(stale).toEqual({ status: 409, contentType: 'text/x.tlog.size', body: '8\n' });
    const next = await t
      .make()
      .addCheckpoint(`old 8\n${t.proof(log, 8, 12)}\n${await t.note(log, 12)}`);
    expect(next.status).toBe(200);
    // A restarted witness has the state the last one wrote.
    expect((await t.make().latest(ORIGIN))?.size).toBe(12);
    // The same size again (a fresher signature): cosigned with an empty proof.
    expect((await witness.addCheckpoint(`old 12\n\n${await t.note(log, 12)}`)).status).toBe(200);
  });

  it('refuses a fork: an inconsistent proof (422) or another tree of its size (409), keeping the evidence', async () => {
    const t = setup();
    const witness = t.make();
    const log = logOf(10);
    const fork = logOf(16, 'b');
    expect((await witness.addCheckpoint(`old 0\n\n${await t.note(log)}`)).status).toBe(200);
    const inconsistent = await witness.addCheckpoint(
      `old 10\n${t.proof(fork, 10, 16)}\n${await t.note(fork)}`,
    );
    expect(inconsistent.status).toBe(422);
    expect(inconsistent.body).toBe(
      'the checkpoint of size 16 is not consistent with the checkpoint of size 10 this witness cosigned\n',
    );
    const sameSize = await witness.addCheckpoint(`old 10\n\n${await t.note(fork, 10)}`);
    expect(sameSize).toEqual({ status: 409, contentType: 'text/x.tlog.size', body: '10\n' });
    expect((await witness.latest(ORIGIN))?.size).toBe(10);
    expect(readdirSync(path.join(t.stateDir, 'evidence'))).toHaveLength(2);
  });

  it.each([
    ['no blank line', 'old 0\n', 400, /empty line/],
    ['a bad old line', 'old 01\n\nx', 400, /"old <size>"/],
    ['a proof line that is no hash', 'old 0\nnot-base64\n\nx', 400, /proof line 1/],
    ['64 proof lines', `old 0\n${`${'A'.repeat(43)}=\n`.repeat(64)}\nx`, 400, /at most 63/],
    ['no checkpoint', 'old 0\n\nnot a note', 400, /not a signed checkpoint note/],
  ])('answers 400 for %s', async (_why, body, status, message) => {
    const answer = await setup().make().addCheckpoint(body);
    expect(answer.status).toBe(status);
    expect(answer.body).toMatch(message);
  });

  it('answers 404 for a log it does not witness, 403 for a checkpoint its key did not sign, 400 for old > size', async () => {
    const t = setup();
    const witness = t.make();
    const log = logOf(4);
    const other = testLogKeys('other.test/log');
    const unknown = await signCheckpoint(
      { origin: 'other.test/log', size: 4, rootHash: log.root(), extensions: [] },
      other.signer,
      1,
    );
    expect((await witness.addCheckpoint(`old 0\n\n${unknown}`)).status).toBe(404);
    const impostor = testLogKeys(ORIGIN);
    const forged = await t.note(log, 4, impostor.signer);
    const refused = await witness.addCheckpoint(`old 0\n\n${forged}`);
    expect(refused.status).toBe(403);
    expect((await witness.addCheckpoint(`old 5\n\n${await t.note(log)}`)).status).toBe(400);
    expect(await witness.latest(ORIGIN)).toBeUndefined();
  });

  it('serializes calls for one log: of two racing checkpoints only the consistent order is taken', async () => {
    const t = setup();
    const witness = t.make();
    const log = logOf(30);
    await witness.addCheckpoint(`old 0\n\n${await t.note(log, 5)}`);
    const [a, b] = await Promise.all([
      witness.addCheckpoint(`old 5\n${t.proof(log, 5, 10)}\n${await t.note(log, 10)}`),
      witness.addCheckpoint(`old 5\n${t.proof(log, 5, 20)}\n${await t.note(log, 20)}`),
    ]);
    // The first in wins; the second finds the size moved (409), never a rollback.
    expect([a.status, b.status]).toEqual([200, 409]);
    expect((await witness.latest(ORIGIN))?.size).toBe(10);
  });
});

describe('ML-DSA-44 witnesses (tlog-cosignature type 0x06)', () => {
  it('cosign over the subtree/v1 cosigned_message, checked with @noble/post-quantum, and count in a policy', async () => {
    const mlDsa44 = await loadSignatureSuite('ml-dsa-44');
    const t = setup();
    const pair = mlDsa44.generateKeyPair();
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'matriz-witness-'));
    dirs.push(stateDir);
    const witness = new Witness({
      name: 'witness.test/pq',
      publicKey: pair.publicKey,
      secretKey: pair.secretKey,
      suite: mlDsa44,
      logs: new Map([[ORIGIN, t.keys.verifier]]),
      stateDir,
      clock: () => 1_790_000_123_000,
    });
    const log = logOf(7);
    const note = await t.note(log);
    const answer = await witness.addCheckpoint(`old 0\n\n${note}`);
    expect(answer.status).toBe(200);
    const vkey = witnessVerifierKey('witness.test/pq', pair.publicKey);
    const key = parseWitnessVerifierKey(vkey);
    expect(key.algorithm).toBe('ml-dsa-44');
    const bytes = Buffer.from(answer.body.trim().split(' ')[2] ?? '', 'base64');
    expect(bytes.readUInt32BE(0)).toBe(key.keyId);
    expect(bytes.readBigUInt64BE(4)).toBe(1_790_000_123n);
    expect(bytes.length).toBe(4 + 8 + 2420);
    // cosigned_message built here from the spec, field by field.
    const name = Buffer.from('witness.test/pq');
    const origin = Buffer.from(ORIGIN);
    const u64 = (n: bigint) => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64BE(n);
      return b;
    };
    const message = Buffer.concat([
      Buffer.from('subtree/v1\n\0'),
      Buffer.from([name.length]),
      name,
      u64(1_790_000_123n),
      Buffer.from([origin.length]),
      origin,
      u64(0n),
      u64(7n),
      Buffer.from(log.root()),
    ]);
    expect(ml_dsa44.verify(bytes.subarray(12), message, pair.publicKey)).toBe(true);
    const cosigned = parseNote(`${note}${answer.body}`);
    const policy = parseWitnessPolicy({ threshold: 1, witnesses: [{ vkey }] });
    expect(
      checkWitnessPolicy(cosigned, parseCheckpoint(cosigned.text), policy, { ed25519, mlDsa44 }),
    ).toEqual(['witness.test/pq']);
    // Without an ML-DSA-44 verifier the line cannot be judged: refused, not skipped.
    expect(() =>
      checkWitnessPolicy(cosigned, parseCheckpoint(cosigned.text), policy, { ed25519 }),
    ).toThrow(/no ML-DSA-44 verifier/);
  });
});

describe('witness keys and policies', () => {
  it('writes and reads witness verifier keys, refusing another type or key ID', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const raw = new Uint8Array(
      Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url'),
    );
    const vkey = witnessVerifierKey('w.example/1', raw);
    expect(parseWitnessVerifierKey(vkey).publicKey).toEqual(raw);
    const first = vkey.indexOf('+');
    const second = vkey.indexOf('+', first + 1);
    const [name, id, key] = [
      vkey.slice(0, first),
      vkey.slice(first + 1, second),
      vkey.slice(second + 1),
    ];
    expect(() => parseWitnessVerifierKey(`${name}+00000000+${key}`)).toThrow(/key ID/);
    const noteKey = Buffer.from(key, 'base64');
    noteKey[0] = 0x01;
    expect(() => parseWitnessVerifierKey(`${name}+${id}+${noteKey.toString('base64')}`)).toThrow(
      /type 0x04/,
    );
    expect(() => witnessVerifierKey('has space', raw)).toThrow(NoteError);
  });

  it('parses policies and refuses what would make them mean nothing', () => {
    const key = (n: number) =>
      witnessVerifierKey(`w.example/${n}`, ed25519.generateKeyPair().publicKey);
    const policy = parseWitnessPolicy({
      threshold: 2,
      witnesses: [{ vkey: key(1), url: 'http://127.0.0.1:1' }, { vkey: key(2) }],
    });
    expect(policy.threshold).toBe(2);
    expect(policy.witnesses[0]?.url).toBe('http://127.0.0.1:1');
    const same = key(3);
    for (const [bad, why] of [
      [{ threshold: 3, witnesses: [{ vkey: key(1) }] }, /from 1 to 1/],
      [{ threshold: 0, witnesses: [{ vkey: key(1) }] }, /from 1 to 1/],
      [{ threshold: 1, witnesses: [] }, /non-empty/],
      [{ threshold: 1, witnesses: [{ vkey: same }, { vkey: same }] }, /twice/],
      [{ threshold: 1, witnesses: [{ vkey: 'nope' }] }, /witnesses\[0\]\.vkey/],
      [{ threshold: 1, witnesses: [{ vkey: key(1), url: 'ftp://x' }] }, /http\(s\) URL/],
      [
        { threshold: 1, witnesses: Array.from({ length: 11 }, (_, i) => ({ vkey: key(i) })) },
        /at most 10/,
      ],
      [[], /JSON object/],
    ] as const)
      expect(() => parseWitnessPolicy(bad), JSON.stringify(bad).slice(0, 60)).toThrow(why);
  });

  it('a policy counts valid cosignatures of its witnesses, refuses a forged one, and ignores unknown lines', async () => {
    const t = setup();
    const log = logOf(9);
    const note = await t.note(log);
    const answer = await t.make().addCheckpoint(`old 0\n\n${note}`);
    // Another witness of the same name and log, with another key.
    const strangerKey = ed25519.generateKeyPair();
    const strangerDir = mkdtempSync(path.join(os.tmpdir(), 'matriz-witness-'));
    dirs.push(strangerDir);
    const strangerAnswer = await new Witness({
      name: NAME,
      publicKey: strangerKey.publicKey,
      secretKey: strangerKey.secretKey,
      suite: ed25519,
      logs: new Map([[ORIGIN, t.keys.verifier]]),
      stateDir: strangerDir,
    }).addCheckpoint(`old 0\n\n${note}`);
    expect(strangerAnswer.status).toBe(200);
    const cosigned = parseNote(`${note}${answer.body}${strangerAnswer.body}`);
    const checkpoint = parseCheckpoint(cosigned.text);
    const mine = { vkey: witnessVerifierKey(NAME, t.pair.publicKey) };
    const other = {
      vkey: witnessVerifierKey('witness.test/w2', ed25519.generateKeyPair().publicKey),
    };
    const one = parseWitnessPolicy({ threshold: 1, witnesses: [mine, other] });
    expect(checkWitnessPolicy(cosigned, checkpoint, one, { ed25519 })).toEqual([NAME]);
    const two = parseWitnessPolicy({ threshold: 2, witnesses: [mine, other] });
    expect(() => checkWitnessPolicy(cosigned, checkpoint, two, { ed25519 })).toThrow(
      /cosigned by 1 of the witnesses the policy names \(witness\.test\/w1\); it requires 2/,
    );
    // The stranger's line has the same name but another key: ignored, not counted.
    expect(cosigned.signatures.filter((s) => s.name === NAME)).toHaveLength(2);
    // A cosignature of another checkpoint moved onto this one does not verify: refused whole.
    const other10 = await t.note(logOf(10));
    const moved = parseNote(`${other10}${answer.body}`);
    expect(() => cosignedAt(moved, one.witnesses[0] as never, { ed25519 })).toThrow(
      /does not verify/,
    );
  });
});

describe('matriz witness serve', () => {
  it('says in one line, exit 2, that a damaged witness.json is not a witness file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'matriz-witness-'));
    dirs.push(dir);
    const { writeFileSync } = await import('node:fs');
    const { main } = await import('../../src/cli/main.js');
    const { captureIo } = await import('../support/cli.js');
    writeFileSync(path.join(dir, 'logs.json'), '{"logs": []}');
    for (const content of ['{not json', 'null', '{"format": "other"}']) {
      writeFileSync(path.join(dir, 'witness.json'), content);
      const io = captureIo({ env: {} });
      const code = await main(
        ['witness', 'serve', '--data-dir', dir, '--logs', path.join(dir, 'logs.json')],
        io,
      );
      expect(code, content).toBe(2);
      expect(io.err()).toBe(
        `matriz: error: ${path.join(dir, 'witness.json')} is not a matriz-witness/v1 file\n`,
      );
    }
  });
});
