import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadSignatureSuite } from '../../src/crypto/suites.js';
import type { SignatureSuite } from '../../src/crypto/suite.js';
import { openDataDir } from '../../src/operator/data-dir.js';
import { Operator } from '../../src/operator/operator.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { verifyCheckpoint } from '../../src/trust/checkpoint.js';
import { TrustError } from '../../src/trust/errors.js';
import { makeOwner } from '../support/registry.js';
import { tempDir } from '../support/tmp.js';

const FAST = { N: 2 ** 10, r: 8, p: 1 };
const PASSPHRASE = 'correct horse battery staple';
const ENV = { MATRIZ_KEY_PASSPHRASE: PASSPHRASE };

let suites: { ed25519: SignatureSuite; mlDsa44: SignatureSuite };

beforeAll(async () => {
  suites = {
    ed25519: await loadSignatureSuite('ed25519'),
    mlDsa44: await loadSignatureSuite('ml-dsa-44'),
  };
});

async function dataDir(): Promise<string> {
  const dir = tempDir();
  await openDataDir({
    dataDir: dir,
    origin: 'operator.test/log',
    passphrase: PASSPHRASE,
    scrypt: FAST,
    warn: () => undefined,
  });
  return dir;
}

const open: Operator[] = [];
async function operator(dir: string): Promise<Operator> {
  const op = await Operator.open({ dataDir: dir, env: ENV, warn: () => undefined, scrypt: FAST });
  open.push(op);
  return op;
}

afterEach(async () => {
  for (const op of open.splice(0)) await op.close();
});

describe('operator actions on a data directory', () => {
  it('records trust root v1 with the log key as the log role, and refuses a second init', async () => {
    const dir = await dataDir();
    const op = await operator(dir);
    const { root, result } = await op.trustInit();
    expect(root.version).toBe(1);
    expect(root.origin).toBe('operator.test/log');
    expect(root.roles.log.keyids).toHaveLength(1);
    expect(root.roles.root.keyids).toHaveLength(1);
    expect(result.index).toBe(0);
    // The checkpoint that records the root verifies under it.
    expect(verifyCheckpoint(result.checkpoint, root, undefined, suites).checkpoint.size).toBe(1);
    await expect(op.trustInit()).rejects.toThrow(/already has trust root v1/);
    // A second operator process sees it from the store.
    await op.close();
    open.splice(0);
    const again = await operator(dir);
    expect(again.trust.root?.digest).toBe(root.digest);
  });

  it('rotates the log key with an overlap, then retires the old key', async () => {
    const op = await operator(await dataDir());
    const { root: v1 } = await op.trustInit();
    const oldKeyid = v1.roles.log.keyids[0] as string;
    const rotated = await op.rotateLogKey();
    expect(rotated.root.version).toBe(2);
    expect(rotated.root.roles.log.keyids).toStrictEqual([oldKeyid, rotated.newKeyid]);
    // Root and rotation record in one batch: indexes 1 and 2, one checkpoint of size 3.
    expect(rotated.result.index).toBe(1);
    expect(verifyCheckpoint(rotated.result.checkpoint, v1, undefined, suites).checkpoint.size).toBe(
      3,
    );
    await expect(op.rotateLogKey()).rejects.toThrow(/retire the old key first/);
    const retired = await op.retireLogKey(oldKeyid);
    expect(retired.root.version).toBe(3);
    expect(retired.root.roles.log.keyids).toStrictEqual([rotated.newKeyid]);
    expect([...retired.root.keys.keys()]).not.toContain(oldKeyid);
    // Signed by the new key only: v1 (old key) no longer verifies it, v3 does.
    expect(() => verifyCheckpoint(retired.result.checkpoint, v1, undefined, suites)).toThrow(
      TrustError,
    );
    expect(
      verifyCheckpoint(retired.result.checkpoint, retired.root, undefined, suites).checkpoint.size,
    ).toBe(4);
    await expect(op.retireLogKey(rotated.newKeyid)).rejects.toThrow(/only log key/);
  });

  it('revokes keys in versioned lists that keep every earlier entry', async () => {
    const op = await operator(await dataDir());
    await op.trustInit();
    const a = await makeOwner();
    const b = await makeOwner();
    const first = await op.revokeKey(a.key.keyid, 'laptop stolen');
    expect(first.list.version).toBe(1);
    const second = await op.revokeKey(b.key.keyid, 'left the team');
    expect(second.list.version).toBe(2);
    expect(second.list.revoked.map((r) => r.keyid).sort()).toStrictEqual(
      [a.key.keyid, b.key.keyid].sort(),
    );
    await expect(op.revokeKey(a.key.keyid, 'again')).rejects.toThrow(/already revoked/);
    await expect(op.revokeKey('not-a-keyid', 'x')).rejects.toThrow(/is not a keyid/);
    const enrolmentKey = op.trust.root?.roles.enrolment.keyids[0] as string;
    await expect(op.revokeKey(enrolmentKey, 'x')).rejects.toThrow(
      /is an enrolment key of trust root v1/,
    );
    const logKey = op.trust.root?.roles.log.keyids[0] as string;
    await expect(op.revokeKey(logKey, 'x')).rejects.toThrow(/only log key/);
  });

  it('enrols owners into the log; a revoked owner cannot be enrolled', async () => {
    const dir = await dataDir();
    const op = await operator(dir);
    await op.trustInit();
    const owner = await makeOwner();
    const result = await op.enrolOwner(owner.key, ['core', 'lukhas'], 5);
    expect(result.index).toBe(1);
    const store = openSqliteStore({ path: `${dir}/registry.sqlite3`, readonly: true });
    try {
      expect(await store.enrolment(owner.ownerId)).toMatchObject({
        lanes: ['core', 'lukhas'],
        maxTier: 5,
        logIndex: 1,
      });
    } finally {
      await store.close();
    }
    const revoked = await makeOwner();
    await op.revokeKey(revoked.key.keyid, 'compromised');
    await expect(op.enrolOwner(revoked.key, ['core'], 3)).rejects.toMatchObject({
      slug: 'revoked-key',
    });
  });

  it('needs a trust root before any other trust record', async () => {
    const op = await operator(await dataDir());
    const owner = await makeOwner();
    await expect(op.enrolOwner(owner.key, ['core'], 3)).rejects.toThrow(/trust init/);
    await expect(op.rotateLogKey()).rejects.toThrow(/trust init/);
  });
});
