/**
 * RT-FUZZ (proofs): the client verifier (src/verify) against a registry that lies. Proof hashes,
 * indexes and sizes arrive as JSON and may be anything; a hostile log may hold any leaf bytes and
 * still prove their inclusion. Every lie is refused with a typed error (EvidenceError, or the
 * checkpoint's CheckpointError), never a TypeError, and nothing but the genuine evidence verifies.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { base64Encode } from '../../src/crypto/encoding.js';
import { canonicalize } from '../../src/json/canonicalize.js';
import { signCheckpoint } from '../../src/log/checkpoint-signature.js';
import { CheckpointError } from '../../src/log/checkpoint.js';
import { consistencyProofRanges, inclusionProofRanges } from '../../src/log/proof.js';
import { TrustError } from '../../src/trust/errors.js';
import { encodeLeaf } from '../../src/verify/leaf.js';
import { verifyEntry, type RegistryEntry } from '../../src/verify/entry.js';
import { EvidenceError } from '../../src/verify/errors.js';
import { verifyConsistencyProof, verifyInclusionProof } from '../../src/verify/proofs.js';
import { verifyWriteResult } from '../../src/verify/write.js';
import { MemoryLog } from '../support/memory-log.js';
import { logKeys, makeOwner, type Owner } from '../support/registry.js';
import { fuzzParameters, fuzzTimeout, hostileBytes, Outcomes } from './fuzz.js';

const encoder = new TextEncoder();
const SIZE = 11;
let owner: Owner;
let envelope: { payload: string };
let log: MemoryLog;
let realLeaf: Uint8Array;

beforeAll(async () => {
  owner = await makeOwner('ed25519');
  envelope = owner.request({ op: 'register', nodeSpec: owner.spec('fuzz_proof') }) as never;
  realLeaf = encodeLeaf(canonicalize(envelope), '2026-05-01T00:00:00Z', 'fuzz_proof@0.1.0');
  log = new MemoryLog();
  for (let i = 0; i < SIZE; i++) log.append(i === 4 ? realLeaf : encoder.encode(`{"filler":${i}}`));
});

/** What a JSON answer can put where a number or a hash belongs. */
const wireValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: -3, max: SIZE + 3 }),
  fc.constantFrom(-0, 0.5, 2 ** 53, 2 ** 64, Number.MAX_VALUE, NaN, Infinity, -Infinity),
  fc.constantFrom(null, true, '', '4', [], {}),
  fc.string({ maxLength: 48 }),
  fc.base64String({ maxLength: 64 }),
);

function inclusionHashes(index: number, size: number): string[] {
  return inclusionProofRanges(index, size).map((range) => base64Encode(log.hash(range)));
}

/** A proof list with one element replaced, dropped, duplicated or appended, or not a list. */
const mutatedProof = (proof: readonly string[]): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc
      .tuple(fc.nat(), wireValue, fc.constantFrom('replace', 'drop', 'duplicate', 'append'))
      .map(([at, value, how]) => {
        const list: unknown[] = [...proof];
        const i = at % Math.max(list.length, 1);
        if (how === 'replace') list[i] = value;
        else if (how === 'drop') list.splice(i, 1);
        else if (how === 'duplicate') list.splice(i, 0, list[i]);
        else list.push(value);
        return list;
      }),
    wireValue,
  );

describe('RT-FUZZ: proofs from a lying registry', () => {
  it(
    'RT-FUZZ-10: mutated inclusion and consistency proofs, indexes and sizes are refused with EvidenceError; only the genuine proof verifies',
    () => {
      const head = { size: SIZE, rootHash: log.root() };
      const genuine = inclusionHashes(4, SIZE);
      verifyInclusionProof(realLeaf, 4, genuine, head);
      const inclusion = new Outcomes([EvidenceError]);
      fc.assert(
        fc.property(mutatedProof(genuine), fc.oneof(fc.constant(4), wireValue), (proof, index) => {
          const accepted = inclusion.run(() => {
            verifyInclusionProof(realLeaf, index as number, proof as string[], head);
            return true;
          });
          if (accepted) {
            expect(index).toBe(4);
            expect(proof).toEqual(genuine);
          }
        }),
        fuzzParameters(400),
      );
      inclusion.report('inclusion proofs');
      const older = { size: 6, rootHash: log.root(6) };
      const consistency = consistencyProofRanges(6, SIZE).map((r) => base64Encode(log.hash(r)));
      const consistent = new Outcomes([EvidenceError]);
      fc.assert(
        fc.property(mutatedProof(consistency), wireValue, fc.boolean(), (proof, size, lie) => {
          const claimed = lie ? { size: size as number, rootHash: older.rootHash } : older;
          const accepted = consistent.run(() => {
            verifyConsistencyProof(claimed, head, proof as string[]);
            return true;
          });
          // Only the genuine proof, or the empty tree (a prefix of every tree) with no proof.
          if (accepted)
            expect(claimed.size === 0 ? proof : [claimed.size, proof]).toEqual(
              claimed.size === 0 ? [] : [6, consistency],
            );
        }),
        fuzzParameters(400),
      );
      consistent.report('consistency proofs');
      expect(inclusion.refused).toBeGreaterThan(0);
      expect(consistent.refused).toBeGreaterThan(0);
    },
    fuzzTimeout(20_000),
  );

  it(
    'RT-FUZZ-11: any leaf bytes a hostile log proves the inclusion of are refused with EvidenceError, not a TypeError',
    () => {
      const entry: RegistryEntry = {
        registry_id: 'fuzz_proof@0.1.0',
        owner_id: owner.ownerId,
        lane: 'candidate',
        tier: 2,
        status: 'active',
        spec_digest: `sha256:${'0'.repeat(64)}`,
        log_index: 0,
        integrated_at: '2026-05-01T00:00:00Z',
        node_spec: owner.spec('fuzz_proof') as never,
      };
      const samples = [
        realLeaf,
        ...[
          'null',
          '[]',
          '{}',
          '"x"',
          '{"envelope":null}',
          '{"envelope":{"payload":"bnVsbA=="}}',
        ].map((text) => encoder.encode(text)),
      ];
      const outcomes = new Outcomes([EvidenceError, TrustError]);
      fc.assert(
        fc.property(hostileBytes(samples), fc.boolean(), (leaf, imported) => {
          // The hostile log: the leaf at index 0 of a one-leaf tree, with a valid (empty) proof.
          const hostile = new MemoryLog();
          hostile.append(leaf);
          const head = { size: 1, rootHash: hostile.root() };
          const claimed = imported ? { ...entry, provenance: 'legacy-import' as const } : entry;
          outcomes.run(() => {
            verifyEntry(claimed, leaf, [], head);
          });
        }),
        fuzzParameters(400),
      );
      outcomes.report('entries over hostile leaves');
      expect(outcomes.refused).toBeGreaterThan(0);
    },
    fuzzTimeout(20_000),
  );

  it(
    'RT-FUZZ-12: a write answer over any leaf bytes a hostile log signs is refused with EvidenceError or CheckpointError',
    async () => {
      const keys = await logKeys('registry.test/fuzz');
      const samples = [
        realLeaf,
        ...[
          'null',
          '{}',
          '{"envelope":{}}',
          '{"envelope":{"payload":"bnVsbA=="},"registry_id":1}',
        ].map((text) => encoder.encode(text)),
      ];
      const outcomes = new Outcomes([EvidenceError, CheckpointError]);
      await fc.assert(
        fc.asyncProperty(hostileBytes(samples), fc.boolean(), async (leaf, idempotent) => {
          const hostile = new MemoryLog();
          hostile.append(leaf);
          const checkpoint = await signCheckpoint(
            { origin: 'registry.test/fuzz', size: 1, rootHash: hostile.root(), extensions: [] },
            keys.signer,
            1_790_000_000,
          );
          const result = {
            index: 0,
            checkpoint,
            registry_id: 'fuzz_proof@0.1.0',
            idempotent,
            inclusion_proof: { index: 0, size: 1, hashes: [] },
          };
          outcomes.run(() => verifyWriteResult(result, leaf, envelope, keys.verifier));
        }),
        fuzzParameters(150),
      );
      outcomes.report('write answers over hostile leaves');
      expect(outcomes.refused).toBeGreaterThan(0);
    },
    fuzzTimeout(40_000),
  );

  it('RT-FUZZ-13: the lies the fuzzing found are refused with EvidenceError (regressions)', async () => {
    const head = { size: SIZE, rootHash: log.root() };
    // A proof that is not a list, or holds a value that is not a hash (was a TypeError).
    for (const proof of [null, {}, 'AAAA', [null], [7]])
      expect(() => {
        verifyInclusionProof(realLeaf, 4, proof as never, head);
      }).toThrow(expect.objectContaining({ name: 'EvidenceError', code: 'malformed-proof' }));
    expect(() => {
      verifyConsistencyProof(head, head, null as never);
    }).toThrow(EvidenceError);
    // Leaf bytes `null` proved into a hostile tree (was: Cannot read properties of null).
    const hostile = new MemoryLog();
    hostile.append(encoder.encode('null'));
    const entry = { registry_id: 'x@1', log_index: 0, node_spec: {} } as RegistryEntry;
    expect(() => {
      verifyEntry(entry, encoder.encode('null'), [], { size: 1, rootHash: hostile.root() });
    }).toThrow(expect.objectContaining({ code: 'leaf-mismatch' }));
    // A leaf `{}` in a write answer (was a CanonicalizationError: undefined is not JSON).
    const keys = await logKeys('registry.test/fuzz');
    const empty = new MemoryLog();
    empty.append(encoder.encode('{}'));
    const checkpoint = await signCheckpoint(
      { origin: 'registry.test/fuzz', size: 1, rootHash: empty.root(), extensions: [] },
      keys.signer,
      1_790_000_000,
    );
    const result = {
      index: 0,
      checkpoint,
      registry_id: 'fuzz_proof@0.1.0',
      idempotent: false,
      inclusion_proof: { index: 0, size: 1, hashes: [] },
    };
    expect(() => verifyWriteResult(result, encoder.encode('{}'), envelope, keys.verifier)).toThrow(
      expect.objectContaining({ name: 'EvidenceError', code: 'leaf-mismatch' }),
    );
  });

  it(
    'RT-FUZZ-24: a write answer and an entry whose JSON a hostile registry reshaped are refused with EvidenceError or CheckpointError, not a TypeError',
    async () => {
      const keys = await logKeys('registry.test/fuzz');
      const checkpoint = await signCheckpoint(
        { origin: 'registry.test/fuzz', size: SIZE, rootHash: log.root(), extensions: [] },
        keys.signer,
        1_790_000_000,
      );
      const result = {
        index: 4,
        checkpoint,
        registry_id: 'fuzz_proof@0.1.0',
        idempotent: false,
        inclusion_proof: { index: 4, size: SIZE, hashes: inclusionHashes(4, SIZE) },
      };
      const entry = {
        registry_id: 'fuzz_proof@0.1.0',
        owner_id: owner.ownerId,
        lane: 'candidate',
        tier: 2,
        status: 'active',
        spec_digest: `sha256:${'0'.repeat(64)}`,
        log_index: 4,
        integrated_at: '2026-05-01T00:00:00Z',
        node_spec: owner.spec('fuzz_proof'),
      };
      // The genuine answer and entry verify: the property is about what the registry changed.
      verifyWriteResult(result, realLeaf, envelope, keys.verifier);
      verifyEntry(entry as never, realLeaf, result.inclusion_proof.hashes, {
        size: SIZE,
        rootHash: log.root(),
      });
      // What the fuzzing found (was: Cannot read properties of undefined, reading 'length').
      expect(() => verifyWriteResult(7 as never, realLeaf, envelope, keys.verifier)).toThrow(
        expect.objectContaining({ name: 'CheckpointError', code: 'malformed' }),
      );
      expect(() =>
        verifyWriteResult(
          { ...result, inclusion_proof: null } as never,
          realLeaf,
          envelope,
          keys.verifier,
        ),
      ).toThrow(expect.objectContaining({ name: 'EvidenceError', code: 'malformed-proof' }));
      expect(() => {
        verifyEntry(null as never, realLeaf, [], { size: SIZE, rootHash: log.root() });
      }).toThrow(expect.objectContaining({ name: 'EvidenceError', code: 'wrong-entry' }));
      /** The answer with one member (or one member of its proof) replaced by any JSON value. */
      const reshaped = (value: Record<string, unknown>, paths: string[]) =>
        fc
          .tuple(
            fc.constantFrom(...paths),
            fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }),
          )
          .map(([member, replacement]) => {
            const copy = JSON.parse(JSON.stringify(value)) as Record<string, any>;
            const [name = '', inner] = member.split('/');
            if (inner === undefined) copy[name] = replacement;
            else copy[name] = { ...copy[name], [inner]: replacement };
            return copy;
          });
      const writes = new Outcomes([EvidenceError, CheckpointError]);
      const entries = new Outcomes([EvidenceError, TrustError]);
      fc.assert(
        fc.property(
          fc.oneof(
            fc.constantFrom(null, [], 'x', 7),
            reshaped(result, [
              'index',
              'checkpoint',
              'registry_id',
              'idempotent',
              'inclusion_proof',
              'inclusion_proof/index',
              'inclusion_proof/size',
              'inclusion_proof/hashes',
            ]),
          ),
          (answer) => {
            writes.run(() => verifyWriteResult(answer as never, realLeaf, envelope, keys.verifier));
          },
        ),
        fuzzParameters(300),
      );
      fc.assert(
        fc.property(
          fc.oneof(
            fc.constantFrom(null, [], 'x', 7),
            reshaped(entry, ['registry_id', 'owner_id', 'log_index', 'provenance', 'node_spec']),
          ),
          (answer) => {
            entries.run(() => {
              verifyEntry(answer as never, realLeaf, result.inclusion_proof.hashes, {
                size: SIZE,
                rootHash: log.root(),
              });
            });
          },
        ),
        fuzzParameters(300),
      );
      writes.report('reshaped write answers');
      entries.report('reshaped entries');
      expect(writes.refused).toBeGreaterThan(0);
      expect(entries.refused).toBeGreaterThan(0);
    },
    fuzzTimeout(40_000),
  );
});
