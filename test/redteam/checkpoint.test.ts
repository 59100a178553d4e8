/**
 * Checkpoint corruption: a modified note or a stripped signature line fails verification by a
 * client holding the trust root; a tree rewritten under a running server halts its writes, and
 * fsck names the rewrite.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { peekTrustRoot } from '../../src/trust/trust-root.js';
import {
  EvidenceError,
  loadVerifierSuites,
  peekCheckpoint,
  TrustError,
  verifyCheckpointUnderRoot,
  verifyInclusionProof,
  type VerifierSuites,
} from '../../src/verify/index.js';
import { captureIo } from '../support/cli.js';
import { DATA_DIR_ENV, DATA_DIR_PASSPHRASE, openOperator } from '../support/data-dir-log.js';
import { startServe } from '../support/serve-process.js';
import { makeOwner, type Owner } from '../support/registry.js';
import { expectProblem, startTarget, type Target } from './harness.js';
import { observe } from './observe.js';

const REGISTER = '/api/v1/registry/register';
let target: Target;
let alice: Owner;
let suites: VerifierSuites;

beforeAll(async () => {
  target = await startTarget();
  alice = await makeOwner('ed25519');
  suites = await loadVerifierSuites();
  for (const name of ['ckpt_a', 'ckpt_b'])
    expect(
      (await target.post(REGISTER, alice.request({ op: 'register', nodeSpec: alice.spec(name) })))
        .status,
    ).toBe(200);
}, 60_000);

afterAll(async () => {
  await target.stop();
});

async function served() {
  const note = await (await fetch(`${target.url}/api/v1/log/checkpoint`)).text();
  const root = peekTrustRoot(await (await fetch(`${target.url}/api/v1/trust/root`)).json());
  return { note, root };
}

function refusal(run: () => unknown): TrustError {
  try {
    run();
  } catch (error) {
    if (error instanceof TrustError) {
      observe(`client: TrustError ${error.code}`);
      return error;
    }
    throw error;
  }
  throw new Error('expected a TrustError');
}

describe('RT-CKPT: checkpoint corruption', () => {
  it('RT-CKPT-1: the served checkpoint verifies, and a modified one does not (bad-signature)', async () => {
    const { note, root } = await served();
    expect(verifyCheckpointUnderRoot(note, root, { suites }).checkpoint.size).toBe(3);
    const lines = note.split('\n');
    lines[1] = String(Number(lines[1]) + 1);
    expect(refusal(() => verifyCheckpointUnderRoot(lines.join('\n'), root, { suites })).code).toBe(
      'bad-signature',
    );
  });

  it('RT-CKPT-2: a checkpoint with one of its two signature lines stripped does not verify', async () => {
    const { note, root } = await served();
    const lines = note.split('\n');
    const signatures = lines.filter((line) => line.startsWith('— '));
    expect(signatures).toHaveLength(2);
    for (const stripped of signatures) {
      const without = lines.filter((line) => line !== stripped).join('\n');
      expect(refusal(() => verifyCheckpointUnderRoot(without, root, { suites })).code).toMatch(
        /^[a-z-]+$/,
      );
    }
  });

  it('RT-CKPT-3: a leaf rewritten in the database cannot be passed off: its inclusion proof fails against the signed root, and fsck names it', async () => {
    const db = new Database(path.join(target.dataDir, 'registry.sqlite3'));
    try {
      const leaf = db.prepare('SELECT data FROM leaves WHERE idx = 2').get() as { data: Buffer };
      const forged = Buffer.from(leaf.data.toString('utf8').replace('ckpt_b', 'ckpt_x'));
      db.prepare('UPDATE leaves SET data = ? WHERE idx = 2').run(forged);
    } finally {
      db.close();
    }
    const { note } = await served();
    const checkpoint = peekCheckpoint(note);
    const served2 = new Uint8Array(
      await (await fetch(`${target.url}/api/v1/log/entries/2`)).arrayBuffer(),
    );
    expect(new TextDecoder().decode(served2)).toContain('ckpt_x');
    const proof = (await (
      await fetch(`${target.url}/api/v1/log/proof/inclusion?index=2&size=${checkpoint.size}`)
    ).json()) as { hashes: string[] };
    expect(() => {
      verifyInclusionProof(served2, 2, proof.hashes, checkpoint);
    }).toThrow(EvidenceError);
    observe('client: EvidenceError inclusion-mismatch');
    const io = captureIo({ cwd: target.dataDir, env: DATA_DIR_ENV });
    expect(await main(['fsck', '--data-dir', target.dataDir], io)).toBe(1);
    observe('fsck exit 1');
    expect(io.out()).toMatch(/problem: /);
  });
});

describe('RT-CKPT: a log that cannot vouch for itself signs nothing', () => {
  it('RT-CKPT-4: a latest checkpoint whose signature line was altered in the database halts writes at the next start (503 log-inconsistent, not ready)', async () => {
    const own = await startTarget();
    const dataDir = own.dataDir;
    try {
      const first = await own.post(
        REGISTER,
        alice.request({ op: 'register', nodeSpec: alice.spec('ckpt_self') }),
      );
      expect(first.status).toBe(200);
    } finally {
      await own.stop();
    }
    const db = new Database(path.join(dataDir, 'registry.sqlite3'));
    let size: number;
    try {
      const latest = db
        .prepare('SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1')
        .get() as { size: number; note: string };
      size = latest.size;
      db.prepare('UPDATE checkpoints SET note = ? WHERE size = ?').run(
        alterLastSignature(latest.note),
        latest.size,
      );
    } finally {
      db.close();
    }
    const restarted = await startServe(['--data-dir', dataDir], {
      MATRIZ_KEY_PASSPHRASE: DATA_DIR_PASSPHRASE,
    });
    try {
      const answer = await fetch(`${restarted.url}${REGISTER}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alice.request({ op: 'register', nodeSpec: alice.spec('ckpt_after') })),
      });
      expect(answer.status).toBe(503);
      expect(((await answer.json()) as { type: string }).type).toBe(
        'urn:matriz:problem:log-inconsistent',
      );
      expect((await fetch(`${restarted.url}/readyz`)).status).toBe(503);
      const note = await (await fetch(`${restarted.url}/api/v1/log/checkpoint`)).text();
      expect(peekCheckpoint(note).size).toBe(size);
      expect(restarted.stdout()).toMatch(
        /latest stored checkpoint does not verify under trust root v1/,
      );
    } finally {
      await restarted.stop();
    }
  });

  it('RT-CKPT-5: once the newest trust root has expired the log signs nothing (503 trust-root-expired) until an operator publishes a newer root', async () => {
    const expires = new Date(Date.now() + 4_000);
    const short = await startTarget([], { rootExpires: expires });
    try {
      const size = await short.treeSize();
      await new Promise((resolve) => setTimeout(resolve, expires.getTime() - Date.now() + 200));
      expectProblem(
        await short.post(REGISTER, alice.request({ op: 'register', nodeSpec: alice.spec('late') })),
        503,
        'trust-root-expired',
      );
      expect(await short.treeSize()).toBe(size);
      // The way out: a newer root (here with a log key rotation) signed by the root keys.
      const operator = await openOperator(short.dataDir);
      try {
        await operator.rotateLogKey({ expires: new Date(Date.now() + 86_400_000) });
      } finally {
        await operator.close();
      }
      const renewed = await short.post(
        REGISTER,
        alice.request({ op: 'register', nodeSpec: alice.spec('late') }),
      );
      expect(renewed.status, JSON.stringify(renewed.body)).toBe(200);
      await short.expectFsckClean();
    } finally {
      await short.stop();
    }
  });
});

/** The note with one byte of its last signature line's signature changed. */
function alterLastSignature(note: string): string {
  const lines = note.trimEnd().split('\n');
  const last = lines.pop() as string;
  const space = last.lastIndexOf(' ');
  const bytes = Buffer.from(last.slice(space + 1), 'base64');
  bytes.writeUInt8((bytes.readUInt8(bytes.length - 10) ^ 0x01) & 0xff, bytes.length - 10);
  return [...lines, `${last.slice(0, space + 1)}${bytes.toString('base64')}`].join('\n') + '\n';
}
