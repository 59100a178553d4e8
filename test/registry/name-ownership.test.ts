/**
 * A node name belongs to the owner of its first version (issue 13's name squatting finding):
 * another key cannot register the next version of someone else's node, even after every
 * version was deregistered, and fsck replays the rule the sequencer applied.
 */
import { describe, expect, it } from 'vitest';
import { loadSignatureSuite } from '../../src/crypto/suites.js';
import { fsck } from '../../src/registry/fsck.js';
import { makeOwner, makeRegistry, type TestRegistry, refusal } from '../support/registry.js';

async function clean(t: TestRegistry) {
  const report = await fsck({
    store: t.store,
    verifier: t.keys.verifier,
    loadSuite: loadSignatureSuite,
  });
  expect(report.problems).toEqual([]);
  return report;
}

describe('node names belong to the owner of their first version', () => {
  it('refuses another owner a new version of the name, also after every version was deregistered', async () => {
    const t = await makeRegistry();
    const alice = await makeOwner('ed25519');
    const mallory = await makeOwner('ed25519');
    const register = (owner: typeof alice, version: string, name = 'kernel') =>
      t.registry.register(owner.request({ op: 'register', nodeSpec: owner.spec(name, version) }));
    await register(alice, '1.0.0');

    const squat = await refusal(register(mallory, '1.0.1'));
    expect(squat.slug).toBe('not-owner');
    expect(squat.status).toBe(403);
    expect(squat.detail).toContain(`the node name kernel belongs to ${alice.ownerId}`);
    expect(await t.store.treeSize()).toBe(1);

    await register(alice, '1.0.1');
    await register(mallory, '1.0.0', 'kernel-fork');
    for (const version of ['1.0.0', '1.0.1'])
      await t.registry.deregister(
        `kernel@${version}`,
        alice.request({ op: 'deregister', registryId: `kernel@${version}` }),
      );
    expect((await refusal(register(mallory, '2.0.0'))).slug).toBe('not-owner');
    expect((await register(alice, '2.0.0')).registry_id).toBe('kernel@2.0.0');
    expect((await clean(t)).entries).toBe(4);
  });

  it('decides two owners racing for a new name in one batch by log order: the first holds it', async () => {
    const t = await makeRegistry({ maxDelayMs: 50 });
    const alice = await makeOwner('ed25519');
    const mallory = await makeOwner('ed25519');
    const outcomes = await Promise.allSettled([
      t.registry.register(
        alice.request({ op: 'register', nodeSpec: alice.spec('fresh', '1.0.0') }),
      ),
      t.registry.register(
        mallory.request({ op: 'register', nodeSpec: mallory.spec('fresh', '2.0.0') }),
      ),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected']);
    const rejected = outcomes[1] as PromiseRejectedResult;
    expect(rejected.reason).toMatchObject({ slug: 'not-owner' });
    expect(await t.store.versionsOf('fresh')).toEqual([
      { registryId: 'fresh@1.0.0', ownerId: alice.ownerId },
    ]);
    await clean(t);
  });
});

describe('one registry id grammar for registration and deregistration', () => {
  it('refuses versions a deregistration could not name, or a terminal would render: control characters, spaces, underscores, bidi and zero-width', async () => {
    const t = await makeRegistry();
    const alice = await makeOwner('ed25519');
    for (const version of [
      '1.0.0_rc1',
      '2 beta',
      '1.0.0\u001b[31m',
      '1.0.0\n',
      '1.0.0\u0000',
      '1.0.0\u202e',
      '1.0\u200b.0',
      'x'.repeat(65),
    ]) {
      const refused = await refusal(
        t.registry.register(
          alice.request({ op: 'register', nodeSpec: alice.spec('odd', version) }),
        ),
      );
      expect(refused.slug, JSON.stringify(version)).toBe('schema-violation');
      expect(refused.extensions.errors).toEqual([
        expect.objectContaining({ pointer: '/node_spec/metadata/version' }),
      ]);
    }
    expect(await t.store.treeSize()).toBe(0);
    for (const version of ['1.0.0', '2.0.0-rc.1+build.5', '0.1']) {
      const { registry_id: id } = await t.registry.register(
        alice.request({ op: 'register', nodeSpec: alice.spec('odd', version) }),
      );
      // Whatever registers can be deregistered by its owner.
      await t.registry.deregister(id, alice.request({ op: 'deregister', registryId: id }));
    }
    await clean(t);
  });
});
