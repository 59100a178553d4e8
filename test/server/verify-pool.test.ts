import { afterAll, describe, expect, it } from 'vitest';
import { base64Encode } from '../../src/crypto/encoding.js';
import { VerifyPool } from '../../src/server/verify-pool.js';
import { makeOwner } from '../support/registry.js';

const pool = new VerifyPool(2);
afterAll(async () => {
  await pool.close();
});

describe('the verify pool', () => {
  it('checks owner signatures in worker threads, with the same verdicts as in-thread checks', async () => {
    const alice = await makeOwner('ml-dsa-44');
    const mallory = await makeOwner('ed25519');
    const good = alice.request({ op: 'register', nodeSpec: alice.spec() }) as {
      signatures: { keyid: string; sig: string }[];
    };
    const bad = {
      ...good,
      signatures: good.signatures.map((s) => ({ ...s, sig: base64Encode(new Uint8Array(2420)) })),
    };
    const results = await Promise.all([
      pool.check(good, alice.key),
      pool.check(bad, alice.key),
      pool.check(good, mallory.key),
      ...Array.from({ length: 20 }, () => pool.check(good, alice.key)),
    ]);
    expect(results.slice(0, 3)).toStrictEqual([
      { valid: true, ownerSigned: true },
      { valid: false, ownerSigned: true },
      { valid: false, ownerSigned: false },
    ]);
    expect(results.slice(3).every((r) => r.valid)).toBe(true);
  });

  it('rejects, rather than hangs, on an envelope that is not one', async () => {
    const alice = await makeOwner('ed25519');
    await expect(pool.check({ nonsense: true }, alice.key)).rejects.toThrow(
      /payload|envelope|expected/,
    );
  });
});
