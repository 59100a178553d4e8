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
import { DATA_DIR_ENV } from '../support/data-dir-log.js';
import { makeOwner, type Owner } from '../support/registry.js';
import { startTarget, type Target } from './harness.js';
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
