import { describe, expect, it } from 'vitest';
import { capabilityCovers } from '../../src/nodespec/rules/capabilities.js';
import {
  capabilityQueryTerms,
  capabilityTerm,
  MAX_CAPABILITY_QUERY_NAMED_SEGMENTS,
  servedEntryJson,
  withOwnerRevokedAt,
} from '../../src/store/entry-documents.js';
import { AnswerCache, compareBytes, mergeRefs } from '../../src/store/entry-pages.js';

const answer = (registryId: string, revision: number, json = `{"id":"${registryId}"}`) => ({
  registryId,
  ownerId: 'GLYMPH:o',
  body: Buffer.from(json),
  revision,
});

describe('capability query terms', () => {
  it('are exactly the patterns that cover the query, compared with capabilityCovers', () => {
    const query = 'read:memory/episodic/x';
    const terms = capabilityQueryTerms(query) ?? [];
    expect(terms).toHaveLength(16);
    const candidates = ['read', 'write', '*'].flatMap((verb) =>
      ['memory', 'other', '*'].flatMap((a) =>
        ['episodic', '*'].flatMap((b) => ['x', 'y', '*'].map((c) => `${verb}:${a}/${b}/${c}`)),
      ),
    );
    for (const pattern of [...candidates, 'read:memory/episodic', 'read:memory/episodic/x/y'])
      expect(terms.includes(capabilityTerm(pattern)), pattern).toBe(
        capabilityCovers(pattern, query),
      );
  });

  it('keep a * of the query as *, and refuse more named segments than the bound', () => {
    expect(capabilityQueryTerms('read:*')).toStrictEqual(['c:read:*', 'c:*:*']);
    const deep = `read:${Array.from({ length: MAX_CAPABILITY_QUERY_NAMED_SEGMENTS }, (_, i) => `s${i}`).join('/')}`;
    expect(capabilityQueryTerms(deep)).toBeUndefined();
    expect(capabilityQueryTerms(deep.replace('s0', '*'))).toHaveLength(
      2 ** MAX_CAPABILITY_QUERY_NAMED_SEGMENTS,
    );
  });
});

describe('stored answers', () => {
  it('splice the stored NodeSpec text and add owner_revoked_at without reparsing', () => {
    const json = servedEntryJson({
      registryId: 'n@1.0.0',
      ownerId: 'GLYMPH:o',
      lane: 'core',
      tier: 1,
      nodeSpec: '{"a":"\\u00e9"}',
      specDigest: 'sha256:00',
      status: 'deregistered',
      registeredIndex: 3,
      deregisteredIndex: 9,
      integratedAt: 't',
      provenance: 'legacy-import',
      claimedIndex: 5,
      signals: [],
      capabilities: [],
    });
    expect(json).toBe(
      '{"registry_id":"n@1.0.0","owner_id":"GLYMPH:o","lane":"core","tier":1,"status":"deregistered","spec_digest":"sha256:00","log_index":3,"deregistered_log_index":9,"integrated_at":"t","provenance":"legacy-import","claimed_log_index":5,"node_spec":{"a":"\\u00e9"}}',
    );
    expect(
      JSON.parse(withOwnerRevokedAt(Buffer.from(json), '2026-12-01T00:00:00Z').toString()),
    ).toMatchObject({
      owner_revoked_at: '2026-12-01T00:00:00Z',
      registry_id: 'n@1.0.0',
      node_spec: { a: 'é' },
    });
  });
});

describe('AnswerCache', () => {
  it('answers only the revision it holds, and forgets what was not asked for within two generations of half the budget', () => {
    const cache = new AnswerCache(40);
    const has = (id: string, revision = 1) =>
      cache.get('full', { registryId: id, revision }) !== undefined;
    cache.set('full', answer('a', 1, 'x'.repeat(10)));
    cache.set('full', answer('b', 1, 'y'.repeat(10)));
    expect(has('a', 2)).toBe(false);
    expect(cache.get('summary', { registryId: 'a', revision: 1 })).toBeUndefined();
    expect(cache.get('full', { registryId: 'a', revision: 1 })?.body.toString()).toBe(
      'x'.repeat(10),
    );
    // c fills the generation past 20 bytes: a, b and c become the previous generation.
    cache.set('full', answer('c', 1, 'z'.repeat(15)));
    // b is asked for, so it moves back; then d fills the new generation, and what was not
    // asked for (a, c) is gone.
    expect(has('b')).toBe(true);
    cache.set('full', answer('d', 1, 'w'.repeat(15)));
    expect(has('a')).toBe(false);
    expect(has('c')).toBe(false);
    expect(has('b')).toBe(true);
    expect(has('d')).toBe(true);
    // A newer revision replaces the older one; an answer over half the budget is not kept.
    cache.set('full', answer('d', 2, 'v'.repeat(10)));
    expect(has('d', 1)).toBe(false);
    expect(cache.get('full', { registryId: 'd', revision: 2 })?.body.toString()).toBe(
      'v'.repeat(10),
    );
    cache.set('full', answer('huge', 1, 'h'.repeat(21)));
    expect(has('huge')).toBe(false);
    expect(cache.hits).toBe(5);
    expect(cache.misses).toBe(6);
  });

  it('holds nothing with a budget of 0', () => {
    const cache = new AnswerCache(0);
    cache.set('full', answer('a', 1));
    expect(cache.get('full', { registryId: 'a', revision: 1 })).toBeUndefined();
  });
});

describe('mergeRefs', () => {
  it('merges ascending lists in byte order, each id once, up to the count', () => {
    const refs = (...ids: string[]) => ids.map((registryId) => ({ registryId, revision: 1 }));
    expect(
      mergeRefs([refs('b', 'd'), refs('a', 'b', 'é'), refs(), refs('Z', 'c')], 4).map(
        (ref) => ref.registryId,
      ),
    ).toStrictEqual(['Z', 'a', 'b', 'c']);
    // UTF-8 byte order, not UTF-16 code unit order.
    expect(compareBytes('\uffff', '\u{10000}')).toBeLessThan(0);
    const samples = [
      '',
      'a',
      'ab',
      'b',
      'é',
      '\ud7ff',
      '\ue000',
      '\uffff',
      '\u{10000}',
      '\u{10ffff}',
      'a\u{10000}',
      'a\uffff',
    ];
    for (const x of samples)
      for (const y of samples)
        expect(Math.sign(compareBytes(x, y)), `${x} ${y}`).toBe(
          Math.sign(Buffer.compare(Buffer.from(x), Buffer.from(y))),
        );
    expect(['\u{10000}', '\uffff'].sort()).toStrictEqual(['\u{10000}', '\uffff']);
  });
});
