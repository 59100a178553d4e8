import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { completedSubtrees, leafHash, rangeRefs } from '../../src/log/index.js';
import {
  StoreError,
  type RegistryEntry,
  type Store,
  type SubtreeHash,
} from '../../src/store/store.js';
import { MemoryLog } from '../support/memory-log.js';
import {
  ALL_ACTIVE_TERM,
  capabilityTerm,
  laneTerm,
  ownerTerm,
  signalTerm,
} from '../../src/store/entry-documents.js';
import { compareBytes, type EntryPageQuery } from '../../src/store/entry-pages.js';

function pageQuery(
  filters: string[][],
  options: Partial<Omit<EntryPageQuery, 'filters'>> = {},
): EntryPageQuery {
  return { filters, view: 'full', limit: 50, scanLimit: 2000, maxBytes: 4 << 20, ...options };
}

function entry(id: string, overrides: Partial<RegistryEntry> = {}): RegistryEntry {
  return {
    registryId: id,
    ownerId: `GLYMPH:${'a'.repeat(64)}`,
    lane: 'candidate',
    tier: 1,
    nodeSpec: `{"metadata":{"name":"${id}"}}`,
    specDigest: `sha256:${'0'.repeat(64)}`,
    status: 'active',
    registeredIndex: 0,
    integratedAt: '2026-11-26T00:00:00Z',
    signals: ['memory_stored'],
    capabilities: ['read:memory/*'],
    ...overrides,
  };
}

/** Builds a batch the way the sequencer does: leaves, the subtrees they complete, a checkpoint. */
function batchFor(
  log: MemoryLog,
  leaves: string[],
  extra: { entries?: RegistryEntry[]; nonces?: string[] } = {},
) {
  const expectedSize = log.leaves.length;
  const subtreeHashes: SubtreeHash[] = [];
  for (const text of leaves) {
    const data = new TextEncoder().encode(text);
    const index = log.leaves.length;
    log.append(data);
    subtreeHashes.push(...completedSubtrees(index, leafHash(data), log.lookup));
  }
  return {
    expectedSize,
    leaves: leaves.map((t) => new TextEncoder().encode(t)),
    subtreeHashes,
    checkpoint: {
      size: log.leaves.length,
      note: `note for ${log.leaves.length}\n`,
      signedAt: 1_790_000_000 + log.leaves.length,
    },
    entries: extra.entries ?? [],
    nonces: (extra.nonces ?? []).map((nonce) => ({ nonce, expiresAt: 2_000 })),
  };
}

/** The conformance suite every Store implementation must pass. */
export function describeStoreConformance(
  name: string,
  open: () => Promise<Store>,
  reopen?: () => Promise<Store>,
): void {
  describe(`${name} store conformance`, () => {
    let store: Store;
    let log: MemoryLog;

    beforeEach(async () => {
      store = await open();
      log = new MemoryLog();
    });

    afterEach(async () => {
      await store.close();
    });

    it('starts empty', async () => {
      expect(await store.treeSize()).toBe(0);
      expect(await store.latestCheckpoint()).toBeUndefined();
      expect(await store.getEntry('x@1.0.0')).toBeUndefined();
      expect(await store.queryEntries({ limit: 10 })).toStrictEqual([]);
    });

    it('appends a batch atomically: leaves, subtree hashes, checkpoint, entries, nonces', async () => {
      const e = entry('alpha@1.0.0', {
        signals: ['a.done', 'b.start'],
        capabilities: ['read:x/*', 'emit:y'],
      });
      await store.append(
        batchFor(log, ['leaf 0', 'leaf 1', 'leaf 2'], { entries: [e], nonces: ['n1', 'n2'] }),
      );
      expect(await store.treeSize()).toBe(3);
      expect((await store.readLeaves(0, 3)).map((b) => new TextDecoder().decode(b))).toStrictEqual([
        'leaf 0',
        'leaf 1',
        'leaf 2',
      ]);
      expect(await store.readLeaves(1, 2)).toHaveLength(1);
      const refs = rangeRefs({ start: 0, end: 3 });
      expect(await store.readSubtreeHashes(refs)).toStrictEqual(
        refs.map((r) => log.lookup(r.level, r.index)),
      );
      expect(await store.latestCheckpoint()).toStrictEqual({
        size: 3,
        note: 'note for 3\n',
        signedAt: 1_790_000_003,
      });
      expect(await store.checkpointAt(3)).toStrictEqual(await store.latestCheckpoint());
      expect(await store.checkpointAt(2)).toBeUndefined();
      expect(await store.getEntry('alpha@1.0.0')).toStrictEqual({
        ...e,
        capabilities: ['emit:y', 'read:x/*'],
      });
      expect(await store.nonceSeen('n1', 1_000)).toBe(true);
      expect(await store.nonceSeen('n3', 1_000)).toBe(false);
    });

    it('keeps every stored hash a later proof needs across many batches', async () => {
      for (let b = 0; b < 12; b++) {
        await store.append(
          batchFor(
            log,
            Array.from({ length: 1 + (b % 5) }, (_, i) => `leaf ${b}.${i}`),
          ),
        );
      }
      const size = await store.treeSize();
      expect(size).toBe(log.leaves.length);
      for (const end of [1, 7, size]) {
        const refs = rangeRefs({ start: 0, end });
        expect(await store.readSubtreeHashes(refs)).toStrictEqual(
          refs.map((r) => log.lookup(r.level, r.index)),
        );
      }
      expect((await store.latestCheckpoint())?.size).toBe(size);
    });

    it('refuses a batch built on a stale tree size, and changes nothing', async () => {
      await store.append(batchFor(log, ['a']));
      const stale = batchFor(new MemoryLog(), ['b'], {
        entries: [entry('beta@1.0.0')],
        nonces: ['nb'],
      });
      await expect(store.append(stale)).rejects.toMatchObject({ code: 'size-conflict' });
      expect(await store.treeSize()).toBe(1);
      expect(await store.getEntry('beta@1.0.0')).toBeUndefined();
      expect(await store.nonceSeen('nb', 0)).toBe(false);
    });

    it('refuses a reused nonce and rolls back the whole batch', async () => {
      await store.append(batchFor(log, ['a'], { nonces: ['same'] }));
      const replay = batchFor(log, ['b', 'c'], {
        entries: [entry('gamma@1.0.0')],
        nonces: ['fresh', 'same'],
      });
      await expect(store.append(replay)).rejects.toBeInstanceOf(StoreError);
      await expect(store.append({ ...replay })).rejects.toMatchObject({ code: 'nonce-conflict' });
      expect(await store.treeSize()).toBe(1);
      expect((await store.latestCheckpoint())?.size).toBe(1);
      expect(await store.getEntry('gamma@1.0.0')).toBeUndefined();
      expect(await store.nonceSeen('fresh', 0)).toBe(false);
      expect(await store.readLeaves(0, 10)).toHaveLength(1);
    });

    it('records trust documents by kind and version, and the latest enrolment per owner', async () => {
      const owner = `GLYMPH:${'b'.repeat(64)}`;
      await store.append({
        ...batchFor(log, ['root v1', 'enrol']),
        trustDocuments: [{ kind: 'trust-root', version: 1, envelope: '{"v":1}', logIndex: 0 }],
        enrolments: [
          {
            ownerId: owner,
            lanes: ['core', 'lukhas'],
            maxTier: 5,
            logIndex: 1,
            enrolledAt: '2026-11-26T00:00:00Z',
          },
        ],
      });
      await store.append({
        ...batchFor(log, ['root v2', 'revocations v1', 're-enrol']),
        trustDocuments: [
          { kind: 'trust-root', version: 2, envelope: '{"v":2}', logIndex: 2 },
          { kind: 'revocations', version: 1, envelope: '{"r":1}', logIndex: 3 },
        ],
        enrolments: [
          {
            ownerId: owner,
            lanes: ['core'],
            maxTier: 3,
            logIndex: 4,
            enrolledAt: '2026-11-27T00:00:00Z',
          },
        ],
      });
      expect(await store.trustDocument('trust-root')).toStrictEqual({
        kind: 'trust-root',
        version: 2,
        envelope: '{"v":2}',
        logIndex: 2,
      });
      expect((await store.trustDocument('trust-root', 1))?.envelope).toBe('{"v":1}');
      expect(await store.trustDocument('trust-root', 3)).toBeUndefined();
      expect((await store.trustDocument('revocations'))?.version).toBe(1);
      expect(await store.enrolment(owner)).toStrictEqual({
        ownerId: owner,
        lanes: ['core'],
        maxTier: 3,
        logIndex: 4,
        enrolledAt: '2026-11-27T00:00:00Z',
      });
      expect(await store.enrolment(`GLYMPH:${'c'.repeat(64)}`)).toBeUndefined();
      expect(await store.listEnrolments()).toStrictEqual([await store.enrolment(owner)]);
    });

    it('refuses a trust document version recorded before, and rolls back the whole batch', async () => {
      await store.append({
        ...batchFor(log, ['root v1']),
        trustDocuments: [{ kind: 'trust-root', version: 1, envelope: '{"v":1}', logIndex: 0 }],
      });
      const again = {
        ...batchFor(log, ['root v1 again'], { entries: [entry('delta@1.0.0')] }),
        trustDocuments: [
          { kind: 'trust-root' as const, version: 1, envelope: '{"v":"other"}', logIndex: 1 },
        ],
      };
      await expect(store.append(again)).rejects.toThrow(/trust-root version 1 is already recorded/);
      expect(await store.treeSize()).toBe(1);
      expect((await store.trustDocument('trust-root'))?.envelope).toBe('{"v":1}');
      expect(await store.getEntry('delta@1.0.0')).toBeUndefined();
    });

    it('refuses a checkpoint that does not match the new size', async () => {
      const batch = batchFor(log, ['a', 'b']);
      await expect(
        store.append({ ...batch, checkpoint: { ...batch.checkpoint, size: 3 } }),
      ).rejects.toMatchObject({ code: 'invalid' });
      expect(await store.treeSize()).toBe(0);
    });

    it('says which subtree hash is missing', async () => {
      await expect(store.readSubtreeHashes([{ level: 3, index: 9 }])).rejects.toMatchObject({
        code: 'missing-hash',
      });
    });

    it('updates an entry in place on deregistration, keeping it reserved', async () => {
      await store.append(batchFor(log, ['reg'], { entries: [entry('delta@1.0.0')] }));
      const gone = entry('delta@1.0.0', { status: 'deregistered', deregisteredIndex: 1 });
      await store.append(batchFor(log, ['dereg'], { entries: [gone] }));
      expect(await store.getEntry('delta@1.0.0')).toMatchObject({
        status: 'deregistered',
        deregisteredIndex: 1,
        registeredIndex: 0,
      });
      expect((await store.queryPage(pageQuery([[ALL_ACTIVE_TERM]]))).rows).toStrictEqual([]);
      expect(await store.queryEntries({ limit: 10 })).toMatchObject([{ status: 'deregistered' }]);
    });

    it('lists the versions of a node name with their owners, and only that name, with provenance and claims kept', async () => {
      const bob = `GLYMPH:${'b'.repeat(64)}`;
      const names = [
        'node@1.0.0',
        'node@2.0.0-rc.1',
        'node.x@1.0.0',
        'node-2@1.0.0',
        'nodeA@1.0.0',
        'node_x@1.0.0',
        'nod@1.0.0',
        'Node@1.0.0',
      ];
      await store.append(
        batchFor(log, names, {
          entries: names.map((id, i) =>
            entry(id, {
              registeredIndex: i,
              ...(id === 'node@2.0.0-rc.1'
                ? { ownerId: bob, provenance: 'legacy-import' as const, claimedIndex: 7 }
                : {}),
            }),
          ),
        }),
      );
      expect(await store.versionsOf('node')).toStrictEqual([
        { registryId: 'node@1.0.0', ownerId: `GLYMPH:${'a'.repeat(64)}` },
        { registryId: 'node@2.0.0-rc.1', ownerId: bob },
      ]);
      expect(await store.versionsOf('nod')).toStrictEqual([
        { registryId: 'nod@1.0.0', ownerId: `GLYMPH:${'a'.repeat(64)}` },
      ]);
      expect(await store.versionsOf('absent')).toStrictEqual([]);
      expect(await store.getEntry('node@2.0.0-rc.1')).toMatchObject({
        provenance: 'legacy-import',
        claimedIndex: 7,
      });
      expect((await store.getEntry('node@1.0.0'))?.provenance).toBeUndefined();

      // lookUp answers the same for many keys at once: absent ids left out, every name a key.
      await store.append({
        ...batchFor(log, ['n']),
        nonces: [
          { nonce: 'live', expiresAt: 300 },
          { nonce: 'expired', expiresAt: 100 },
        ],
      });
      const state = await store.lookUp({
        registryIds: ['node@1.0.0', 'node@2.0.0-rc.1', 'absent@1.0.0', 'node@1.0.0'],
        names: ['node', 'nod', 'absent', 'Node'],
        nonces: ['live', 'expired', 'never'],
        now: 200,
      });
      expect([...state.entries.keys()].sort()).toStrictEqual(['node@1.0.0', 'node@2.0.0-rc.1']);
      expect(state.entries.get('node@2.0.0-rc.1')).toStrictEqual(
        await store.getEntry('node@2.0.0-rc.1'),
      );
      expect(Object.fromEntries(state.versions)).toStrictEqual({
        node: await store.versionsOf('node'),
        nod: await store.versionsOf('nod'),
        absent: [],
        Node: [{ registryId: 'Node@1.0.0', ownerId: `GLYMPH:${'a'.repeat(64)}` }],
      });
      expect([...state.seenNonces]).toStrictEqual(['live']);
      const none = await store.lookUp({ registryIds: [], names: [], nonces: [], now: 0 });
      expect([none.entries.size, none.versions.size, none.seenNonces.size]).toStrictEqual([
        0, 0, 0,
      ]);
    });

    it('applies many entries in one batch, new and changed, each with its own signals and capabilities', async () => {
      await store.append(
        batchFor(log, ['r0', 'r1'], {
          entries: [
            entry('one@1.0.0', { signals: ['s.a'], capabilities: ['read:a/*'] }),
            entry('two@1.0.0', { signals: ['s.b', 's.c'], capabilities: [], registeredIndex: 1 }),
          ],
        }),
      );
      // One batch: a deregistration (changed entry, new signal list) and two new entries.
      await store.append(
        batchFor(log, ['d0', 'r2', 'r3'], {
          entries: [
            entry('one@1.0.0', {
              status: 'deregistered',
              deregisteredIndex: 2,
              signals: ['s.z'],
              capabilities: ['emit:z'],
            }),
            entry('three@1.0.0', { signals: [], capabilities: ['write:t', 'read:t/*'] }),
            entry('four@1.0.0', { signals: ['s.b'], capabilities: ['read:a/*'] }),
          ],
        }),
      );
      expect(await store.getEntry('one@1.0.0')).toMatchObject({
        status: 'deregistered',
        deregisteredIndex: 2,
        signals: ['s.z'],
        capabilities: ['emit:z'],
      });
      expect(await store.getEntry('two@1.0.0')).toMatchObject({
        signals: ['s.b', 's.c'],
        capabilities: [],
      });
      expect(await store.getEntry('three@1.0.0')).toMatchObject({
        signals: [],
        capabilities: ['read:t/*', 'write:t'],
      });
      const ids = async (terms: string[]) =>
        (await store.queryPage(pageQuery([terms]))).rows.map((row) => row.registryId);
      expect(await ids([signalTerm('s.b')])).toStrictEqual(['four@1.0.0', 'two@1.0.0']);
      // one@1.0.0 was deregistered in the batch: listed under none of its old or new terms.
      expect(await ids([signalTerm('s.a')])).toStrictEqual([]);
      expect(await ids([signalTerm('s.z')])).toStrictEqual([]);
      expect(await ids([capabilityTerm('read:a/*')])).toStrictEqual(['four@1.0.0']);
      expect(await ids([capabilityTerm('read:t/*'), capabilityTerm('write:t')])).toStrictEqual([
        'three@1.0.0',
      ]);
    });

    it('lists every entry, of any status, in registry id order, page by page (for fsck)', async () => {
      await store.append(
        batchFor(log, ['1', '2', '3', '4'], {
          entries: [
            entry('c@1.0.0', { status: 'deregistered', deregisteredIndex: 3 }),
            entry('a@1.0.0'),
            entry('b@1.0.0'),
            entry('B@2.0.0'),
          ],
        }),
      );
      const ids = async (query: Parameters<Store['queryEntries']>[0]) =>
        (await store.queryEntries(query)).map((e) => e.registryId);
      expect(await ids({ limit: 10 })).toStrictEqual(['B@2.0.0', 'a@1.0.0', 'b@1.0.0', 'c@1.0.0']);
      expect(await ids({ limit: 2 })).toStrictEqual(['B@2.0.0', 'a@1.0.0']);
      expect(await ids({ after: 'a@1.0.0', limit: 2 })).toStrictEqual(['b@1.0.0', 'c@1.0.0']);
      expect(await ids({ after: 'c@1.0.0', limit: 2 })).toStrictEqual([]);
    });

    it('serves each entry as stored JSON built at write time, whole or as a summary, and keeps it current on deregistration', async () => {
      const spec = '{"metadata":{"name":"one","version":"1.2.3"},"z":[1,2.5,"é"]}';
      const one = entry('one@1.2.3', {
        nodeSpec: spec,
        signals: ['s.a', 's.b'],
        capabilities: ['read:memory/*'],
        lane: 'core',
        tier: 2,
      });
      await store.append(batchFor(log, ['1'], { entries: [one] }));
      const full = await store.queryPage(pageQuery([[signalTerm('s.a')]]));
      expect(full.next).toBeNull();
      expect(full.rows).toHaveLength(1);
      expect(full.rows[0]?.ownerId).toBe(one.ownerId);
      const served = full.rows[0]?.body.toString() ?? '';
      expect(served.endsWith(`"node_spec":${spec}}`)).toBe(true);
      expect(JSON.parse(served)).toStrictEqual({
        registry_id: 'one@1.2.3',
        owner_id: one.ownerId,
        lane: 'core',
        tier: 2,
        status: 'active',
        spec_digest: one.specDigest,
        log_index: 0,
        integrated_at: one.integratedAt,
        provenance: 'owner',
        node_spec: JSON.parse(spec) as unknown,
      });
      const summary = await store.queryPage({
        ...pageQuery([[laneTerm('core')]]),
        view: 'summary',
      });
      expect(summary.rows.map((row) => JSON.parse(row.body.toString()) as unknown)).toStrictEqual([
        {
          registry_id: 'one@1.2.3',
          owner_id: one.ownerId,
          lane: 'core',
          tier: 2,
          version: '1.2.3',
          signals: ['s.a', 's.b'],
          capabilities: ['read:memory/*'],
        },
      ]);
      await store.append(
        batchFor(log, ['2'], {
          entries: [{ ...one, status: 'deregistered', deregisteredIndex: 1 }],
        }),
      );
      // GET answers any status: the stored answer follows the entry.
      const gone = await store.servedEntry('one@1.2.3');
      expect(JSON.parse(gone?.body.toString() ?? '{}')).toMatchObject({
        status: 'deregistered',
        deregistered_log_index: 1,
      });
      expect(gone?.ownerId).toBe(one.ownerId);
      expect(await store.servedEntry('nothing@1.0.0')).toBeUndefined();
      for (const term of [
        ALL_ACTIVE_TERM,
        signalTerm('s.a'),
        laneTerm('core'),
        ownerTerm(one.ownerId),
      ])
        expect((await store.queryPage(pageQuery([[term]]))).rows).toStrictEqual([]);
    });

    it('answers a page with the entry as it is now, after a change that keeps it active (a cached answer is never stale)', async () => {
      const imported = entry('claimed@1.0.0', { provenance: 'legacy-import', registeredIndex: 0 });
      await store.append(batchFor(log, ['1'], { entries: [imported] }));
      const read = async () =>
        (await store.queryPage(pageQuery([[signalTerm('memory_stored')]]))).rows.map(
          (row) =>
            [row.ownerId, JSON.parse(row.body.toString()) as Record<string, unknown>] as const,
        );
      expect((await read())[0]?.[1]).not.toHaveProperty('claimed_log_index');
      expect((await read())[0]?.[1]).not.toHaveProperty('claimed_log_index');
      const owner = `GLYMPH:${'d'.repeat(64)}`;
      await store.append(
        batchFor(log, ['2'], { entries: [{ ...imported, ownerId: owner, claimedIndex: 1 }] }),
      );
      const [[ownerId, json] = []] = await read();
      expect(ownerId).toBe(owner);
      expect(json).toMatchObject({ owner_id: owner, claimed_log_index: 1 });
    });

    it('reads query pages by index term: one filter with a seek, several by probing the smallest, with keyset cursors and the scan and byte bounds', async () => {
      const owner = `GLYMPH:${'b'.repeat(64)}`;
      const entries = Array.from({ length: 30 }, (_, i) =>
        entry(`n${String(i).padStart(2, '0')}@1.0.0`, {
          signals: i % 2 === 0 ? ['even'] : ['odd'],
          capabilities: i % 3 === 0 ? ['read:memory/*', 'emit:x/y'] : ['*:memory/a'],
          ownerId: i < 5 ? owner : `GLYMPH:${'a'.repeat(64)}`,
          lane: i % 5 === 0 ? 'core' : 'candidate',
        }),
      );
      await store.append(batchFor(log, ['1'], { entries }));
      const ids = async (query: EntryPageQuery) => {
        const page = await store.queryPage(query);
        return {
          ids: page.rows.map((row) => row.registryId),
          next: page.next,
          examined: page.examined,
        };
      };
      const name = (i: number) => `n${String(i).padStart(2, '0')}@1.0.0`;
      const range = (from: number, to: number, step = 1) =>
        Array.from({ length: Math.ceil((to - from) / step) }, (_, k) => name(from + k * step));
      expect(await ids(pageQuery([[signalTerm('even')]], { limit: 3 }))).toStrictEqual({
        ids: [name(0), name(2), name(4)],
        next: name(4),
        examined: 4,
      });
      expect(
        await ids(pageQuery([[signalTerm('even')]], { limit: 3, after: name(24) })),
      ).toStrictEqual({
        ids: [name(26), name(28)],
        next: null,
        examined: 2,
      });
      // A capability filter: the union of its terms' ranges, each id once.
      expect(
        (
          await ids(
            pageQuery([[capabilityTerm('read:memory/*'), capabilityTerm('*:memory/a')]], {
              limit: 50,
            }),
          )
        ).ids,
      ).toStrictEqual(range(0, 30));
      // Several filters: owner (5 entries) drives; even signal and core lane are probed.
      expect(
        await ids(
          pageQuery([[signalTerm('even')], [laneTerm('core')], [ownerTerm(owner)]], { limit: 10 }),
        ),
      ).toStrictEqual({ ids: [name(0)], next: null, examined: 5 });
      expect(
        (await ids(pageQuery([[laneTerm('core')], [signalTerm('odd')]], { limit: 10 }))).ids,
      ).toStrictEqual([name(5), name(15), name(25)]);
      // The scan bound: a short page and a cursor after the last id examined.
      expect(
        await ids(
          pageQuery([[signalTerm('odd')], [signalTerm('even')]], { limit: 10, scanLimit: 4 }),
        ),
      ).toStrictEqual({ ids: [], next: name(7), examined: 4 });
      // A filter with no terms, or a term nothing is listed under, matches nothing.
      expect((await ids(pageQuery([[signalTerm('none')]]))).ids).toStrictEqual([]);
      expect((await ids(pageQuery([[], [signalTerm('even')]]))).ids).toStrictEqual([]);
      // The byte bound: at least one entry, and the cursor after the last one sent.
      const two = (await store.queryPage(pageQuery([[ALL_ACTIVE_TERM]], { limit: 2 }))).rows;
      const size = two.reduce((sum, row) => sum + row.body.length, 0);
      expect(
        await ids(pageQuery([[ALL_ACTIVE_TERM]], { limit: 10, maxBytes: size })),
      ).toMatchObject({
        ids: [name(0), name(1)],
        next: name(1),
      });
      expect(
        (await ids(pageQuery([[ALL_ACTIVE_TERM]], { limit: 10, maxBytes: 1 }))).ids,
      ).toStrictEqual([name(0)]);
    });

    it('narrows query pages to a node name prefix: a range of registry ids, alone or with other filters, page by page', async () => {
      // [id, signal, lane, active]; '-' < '.' < '@' < '_' < 's' in byte order.
      const table: [string, string, 'core' | 'candidate', boolean][] = [
        ['A@1.0.0', 's.x', 'core', true],
        ['memory@1.0.0', 's.x', 'core', true],
        ['memory_adapte@1.0.0', 's.x', 'core', true],
        ['memory_adapter-x@1.0.0', 's.y', 'core', true],
        ['memory_adapter.v3@1.0.0', 's.x', 'candidate', true],
        ['memory_adapter@0.1.0', 's.x', 'core', true],
        ['memory_adapter@0.2.0', 's.x', 'core', false],
        ['memory_adapter@1.0.0', 's.y', 'core', true],
        ['memory_adapter_v2@0.1.0', 's.x', 'core', true],
        ['memory_adapter_v2@0.2.0', 's.x', 'candidate', true],
        ['memory_adapters@1.0.0', 's.x', 'core', true],
        ['memory_adaptes@1.0.0', 's.x', 'core', true],
        ['Memory_adapter@1.0.0', 's.x', 'core', true],
        ['memoryz@1.0.0', 's.x', 'core', true],
        // Many entries past the range matching every filter: the multi-filter path reads ahead.
        ...Array.from(
          { length: 30 },
          (_, i) => [`n${String(i).padStart(2, '0')}@1.0.0`, 's.x', 'core', true] as const,
        ).map((row) => [...row] as [string, string, 'core' | 'candidate', boolean]),
      ];
      await store.append(
        batchFor(log, ['1', '2'], {
          entries: table.map(([id, signal, lane, active]) =>
            entry(id, {
              signals: [signal],
              lane,
              ...(active ? {} : { status: 'deregistered', deregisteredIndex: 1 }),
            }),
          ),
        }),
      );
      const page = async (query: EntryPageQuery) => {
        const read = await store.queryPage(query);
        return {
          ids: read.rows.map((row) => row.registryId),
          next: read.next,
          examined: read.examined,
        };
      };
      const versions = [
        'memory_adapter-x@1.0.0',
        'memory_adapter.v3@1.0.0',
        'memory_adapter@0.1.0',
        'memory_adapter@1.0.0',
        'memory_adapter_v2@0.1.0',
        'memory_adapter_v2@0.2.0',
        'memory_adapters@1.0.0',
      ];
      // Every active version of every name starting with the prefix, and nothing examined past it.
      expect(
        await page(pageQuery([[ALL_ACTIVE_TERM]], { prefix: 'memory_adapter' })),
      ).toStrictEqual({ ids: versions, next: null, examined: versions.length });
      // One node's versions: the ids whose name is the prefix.
      expect(versions.filter((id) => id.split('@')[0] === 'memory_adapter')).toStrictEqual([
        'memory_adapter@0.1.0',
        'memory_adapter@1.0.0',
      ]);
      expect(
        (await page(pageQuery([[ALL_ACTIVE_TERM]], { prefix: 'memory_adapter_v2' }))).ids,
      ).toStrictEqual(['memory_adapter_v2@0.1.0', 'memory_adapter_v2@0.2.0']);
      // Case matters, as in registry ids.
      expect((await page(pageQuery([[ALL_ACTIVE_TERM]], { prefix: 'Memory' }))).ids).toStrictEqual([
        'Memory_adapter@1.0.0',
      ]);
      // A prefix nothing starts with: nothing, and no cursor.
      for (const prefix of ['memory_adapterz', 'memory_adapter_v3', 'nothing', 'zz'])
        expect(await page(pageQuery([[ALL_ACTIVE_TERM]], { prefix }))).toStrictEqual({
          ids: [],
          next: null,
          examined: 0,
        });
      // With other filters (AND): the name range narrows each one's range.
      expect(
        await page(pageQuery([[signalTerm('s.x')]], { prefix: 'memory_adapter' })),
      ).toStrictEqual({
        ids: [
          'memory_adapter.v3@1.0.0',
          'memory_adapter@0.1.0',
          'memory_adapter_v2@0.1.0',
          'memory_adapter_v2@0.2.0',
          'memory_adapters@1.0.0',
        ],
        next: null,
        examined: 5,
      });
      expect(
        (
          await page(
            pageQuery([[signalTerm('s.x')], [laneTerm('core')]], { prefix: 'memory_adapter' }),
          )
        ).ids,
      ).toStrictEqual(['memory_adapter@0.1.0', 'memory_adapter_v2@0.1.0', 'memory_adapters@1.0.0']);
      expect(
        await page(
          pageQuery([[laneTerm('core')], [signalTerm('s.y')]], { prefix: 'memory_adapter' }),
        ),
      ).toStrictEqual({
        ids: ['memory_adapter-x@1.0.0', 'memory_adapter@1.0.0'],
        next: null,
        examined: 2,
      });
      expect(
        (
          await page(
            pageQuery([[laneTerm('candidate')], [signalTerm('s.y')]], {
              prefix: 'memory_adapter',
            }),
          )
        ).ids,
      ).toStrictEqual([]);
      // A page that ends where the range ends has no cursor; one entry short of it has one.
      expect(
        await page(pageQuery([[ALL_ACTIVE_TERM]], { prefix: 'memory_adapter', limit: 7 })),
      ).toMatchObject({ ids: versions, next: null });
      expect(
        await page(
          pageQuery([[signalTerm('s.x')], [laneTerm('core')]], {
            prefix: 'memory_adapter',
            limit: 2,
          }),
        ),
      ).toMatchObject({
        ids: ['memory_adapter@0.1.0', 'memory_adapter_v2@0.1.0'],
        next: 'memory_adapter_v2@0.1.0',
      });
      expect(
        await page(
          pageQuery([[signalTerm('s.x')], [laneTerm('core')]], {
            prefix: 'memory_adapter',
            limit: 3,
          }),
        ),
      ).toMatchObject({
        ids: ['memory_adapter@0.1.0', 'memory_adapter_v2@0.1.0', 'memory_adapters@1.0.0'],
        next: null,
      });
      // A cursor before the range starts at the range; one inside it goes on from there; one
      // past it (or at its last id) finds nothing, with no cursor.
      expect(
        (await page(pageQuery([[ALL_ACTIVE_TERM]], { prefix: 'memory_adapter', after: 'A@1.0.0' })))
          .ids,
      ).toStrictEqual(versions);
      expect(
        (
          await page(
            pageQuery([[ALL_ACTIVE_TERM]], {
              prefix: 'memory_adapter',
              after: 'memory_adapter@0.1.0',
            }),
          )
        ).ids,
      ).toStrictEqual(versions.slice(3));
      for (const after of ['memory_adapters@1.0.0', 'memory_adaptes@1.0.0', 'n05@1.0.0', 'zzz'])
        for (const filters of [[[ALL_ACTIVE_TERM]], [[signalTerm('s.x')], [laneTerm('core')]]])
          expect(
            await page(pageQuery(filters, { prefix: 'memory_adapter', after })),
            after,
          ).toStrictEqual({ ids: [], next: null, examined: 0 });

      // Page by page, for every limit, alone and with filters, and with a small scan bound:
      // every matching id exactly once, in order, and no cursor after the last page.
      const all = async (query: EntryPageQuery) => {
        const seen: string[] = [];
        let after: string | undefined;
        for (let pages = 0; pages < 100; pages++) {
          const read = await store.queryPage({
            ...query,
            ...(after === undefined ? {} : { after }),
          });
          expect(read.rows.length).toBeLessThanOrEqual(query.limit);
          seen.push(...read.rows.map((row) => row.registryId));
          if (read.next === null) return seen;
          after = read.next;
        }
        throw new Error('no last page');
      };
      const filterSets: [string[][], (row: (typeof table)[number]) => boolean][] = [
        [[[ALL_ACTIVE_TERM]], () => true],
        [[[signalTerm('s.x')]], ([, signal]) => signal === 's.x'],
        [
          [[laneTerm('core')], [signalTerm('s.x')]],
          ([, signal, lane]) => signal === 's.x' && lane === 'core',
        ],
        [
          [[signalTerm('s.y')], [laneTerm('core')]],
          ([, signal, lane]) => signal === 's.y' && lane === 'core',
        ],
      ];
      for (const prefix of ['memory_adapter', 'memory', 'm', 'memory_adapter_', 'n0', 'q'])
        for (const [filters, keep] of filterSets) {
          const expected = table
            .filter((row) => row[3] && row[0].startsWith(prefix) && keep(row))
            .map(([id]) => id)
            .sort(compareBytes);
          for (const limit of [1, 2, 3, 5, 50])
            for (const scanLimit of [2, 2000])
              expect(
                await all(pageQuery(filters, { prefix, limit, scanLimit })),
                `${prefix} ${JSON.stringify(filters)} limit ${limit} scan ${scanLimit}`,
              ).toStrictEqual(expected);
        }
    });

    it('prunes expired nonces only', async () => {
      await store.append({
        ...batchFor(log, ['x']),
        nonces: [
          { nonce: 'old', expiresAt: 100 },
          { nonce: 'new', expiresAt: 300 },
        ],
      });
      expect(await store.nonceSeen('old', 150)).toBe(false);
      expect(await store.nonceCount()).toBe(2);
      expect(await store.pruneNonces(200)).toBe(1);
      expect(await store.nonceSeen('new', 200)).toBe(true);
      expect(await store.nonceCount()).toBe(1);
    });

    it("stores the empty log's size-0 checkpoint from a batch without leaves", async () => {
      await store.append(batchFor(log, []));
      expect(await store.treeSize()).toBe(0);
      expect(await store.latestCheckpoint()).toStrictEqual({
        size: 0,
        note: 'note for 0\n',
        signedAt: 1_790_000_000,
      });
    });

    it('replaces the checkpoint of the same size when a batch without leaves re-signs the tree', async () => {
      await store.append(batchFor(log, ['a', 'b']));
      const resigned = { size: 2, note: 'note for 2, later\n', signedAt: 1_790_000_060 };
      await store.append({ ...batchFor(log, []), checkpoint: resigned });
      expect(await store.treeSize()).toBe(2);
      expect(await store.latestCheckpoint()).toStrictEqual(resigned);
      expect(await store.checkpointAt(2)).toStrictEqual(resigned);
      await expect(
        store.append({ ...batchFor(log, []), expectedSize: 1, checkpoint: resigned }),
      ).rejects.toMatchObject({ code: 'size-conflict' });
    });

    it('reads a snapshot as of one moment while appends go on, and writes it into an empty store', async () => {
      await store.append({
        ...batchFor(log, ['a', 'b', 'c'], { entries: [entry('snap@1.0.0')], nonces: ['n1'] }),
        trustDocuments: [{ kind: 'trust-root', version: 1, envelope: '{"v":1}', logIndex: 0 }],
        enrolments: [
          {
            ownerId: 'GLYMPH:o',
            lanes: ['core'],
            maxTier: 3,
            logIndex: 1,
            enrolledAt: '2026-11-26T00:00:00Z',
          },
        ],
      });
      const snapshot = await store.openSnapshot();
      await store.append(batchFor(log, ['after the snapshot']));
      const records = [];
      for await (const record of snapshot.records()) records.push(record);
      await snapshot.close();
      expect(snapshot.size).toBe(3);
      expect(snapshot.checkpoint?.size).toBe(3);
      expect(snapshot.trustDocuments).toHaveLength(1);
      expect(records.filter((r) => r.type === 'leaf')).toHaveLength(3);
      expect(records.filter((r) => r.type === 'checkpoint')).toHaveLength(1);
      expect(records.map((r) => r.type)).toContain('nonce');

      const target = await open();
      try {
        let seen = 0;
        await target.writeSnapshot(3, records, async (view) => {
          seen = await view.treeSize();
        });
        expect(seen).toBe(3);
        expect(await target.treeSize()).toBe(3);
        expect(await target.getEntry('snap@1.0.0')).toStrictEqual(
          await store.getEntry('snap@1.0.0'),
        );
        expect(await target.enrolment('GLYMPH:o')).toMatchObject({ maxTier: 3 });
        expect(await target.queryPage(pageQuery([[signalTerm('memory_stored')]]))).toStrictEqual(
          await store.queryPage(pageQuery([[signalTerm('memory_stored')]])),
        );
        expect(await target.readLeaves(0, 3)).toStrictEqual(await store.readLeaves(0, 3));
        await expect(
          target.writeSnapshot(3, records, () => Promise.resolve()),
        ).rejects.toMatchObject({ code: 'not-empty' });
      } finally {
        await target.close();
      }
    });

    it('commits nothing of a snapshot write whose verification throws', async () => {
      await store.append(batchFor(log, ['a']));
      const snapshot = await store.openSnapshot();
      const records = [];
      for await (const record of snapshot.records()) records.push(record);
      await snapshot.close();
      const target = await open();
      try {
        await expect(
          target.writeSnapshot(1, records, () => Promise.reject(new Error('refused'))),
        ).rejects.toThrow('refused');
        expect(await target.treeSize()).toBe(0);
        expect(await target.readLeaves(0, 1)).toStrictEqual([]);
      } finally {
        await target.close();
      }
    });

    if (reopen) {
      it('keeps what was appended across a close and reopen', async () => {
        await store.append(
          batchFor(log, ['persisted'], { entries: [entry('eps@1.0.0')], nonces: ['kept'] }),
        );
        await store.close();
        store = await reopen();
        expect(await store.treeSize()).toBe(1);
        expect(await store.getEntry('eps@1.0.0')).toBeDefined();
        expect(await store.nonceSeen('kept', 0)).toBe(true);
      });
    }
  });
}
