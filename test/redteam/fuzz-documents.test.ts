/**
 * RT-FUZZ (documents): the parsers of signed evidence a client or the server reads from outside:
 * DSSE envelopes, signed notes and checkpoints, and the trust layer's documents (trust root,
 * revocation list, enrolment, claim, takedown, log rotation, legacy import). Mutated valid
 * samples are refused with the parser's typed error, or read back to the same meaning; a
 * mutation never turns into a different document that still verifies.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseEnvelope, verifyEnvelope, verifierFor } from '../../src/crypto/dsse.js';
import { base64Encode } from '../../src/crypto/encoding.js';
import { CryptoError } from '../../src/crypto/errors.js';
import { publicKeyFromJson, publicKeyToJson } from '../../src/crypto/keys.js';
import { canonicalize } from '../../src/json/canonicalize.js';
import { parseJson } from '../../src/json/parse.js';
import { CheckpointError, formatCheckpoint, parseCheckpoint } from '../../src/log/checkpoint.js';
import { signCheckpoint } from '../../src/log/checkpoint-signature.js';
import { formatNote, NoteError, parseNote } from '../../src/log/note.js';
import { ed25519VerifierKey, parseEd25519VerifierKey } from '../../src/log/note-keys.js';
import { claimPayload, parseClaim } from '../../src/trust/claim.js';
import { enrolmentPayload, parseEnrolment } from '../../src/trust/enrolment.js';
import { TrustError } from '../../src/trust/errors.js';
import { legacyImportPayload, parseLegacyImport } from '../../src/trust/legacy-import.js';
import { parseRevocationList, revocationListPayload } from '../../src/trust/revocations.js';
import { logRotationPayload, parseLogRotation } from '../../src/trust/rotation.js';
import { parseTakedown, takedownPayload } from '../../src/trust/takedown.js';
import { buildTrustRoot, parseTrustRoot, trustRootPayload } from '../../src/trust/trust-root.js';
import { verifyCheckpointWithKeys } from '../../src/verify/checkpoint.js';
import { EvidenceError } from '../../src/verify/errors.js';
import { encodeLeaf, parseLeaf } from '../../src/verify/leaf.js';
import { verifyTrustRootChain } from '../../src/verify/trust.js';
import { MemoryLog } from '../support/memory-log.js';
import { logKeys } from '../support/registry.js';
import { testKey, testSuites, type TestKey, type TestSuites } from '../trust/keys.js';
import { fuzzParameters, fuzzTimeout, hostileBytes, mutatedFrom, Outcomes } from './fuzz.js';

const ORIGIN = 'registry.test/fuzz';
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const DIGEST = `sha256:${'ab'.repeat(32)}`;

let suites: TestSuites;
let A: TestKey, L: TestKey, L2: TestKey;

beforeAll(async () => {
  suites = await testSuites();
  [A, L, L2] = [testKey(suites.ed25519), testKey(suites.hybrid), testKey(suites.hybrid)];
});

/** Parses bytes as JSON the way the server and the CLI do; undefined when they refuse first. */
function json(bytes: Uint8Array): unknown {
  const parsed = parseJson(bytes);
  return parsed.ok ? parsed.value : undefined;
}

function trustRootInput(version = 1) {
  return {
    origin: ORIGIN,
    version,
    expires: '2099-01-01T00:00:00Z',
    keys: [A.key, L.key],
    roles: {
      root: { keyids: [A.key.keyid], threshold: 1 },
      log: { keyids: [L.key.keyid], threshold: 1 },
      enrolment: { keyids: [A.key.keyid], threshold: 1 },
      revocation: { keyids: [A.key.keyid], threshold: 1 },
    },
  };
}

describe('RT-FUZZ: signed documents', () => {
  it(
    'RT-FUZZ-4: a mutated DSSE envelope is refused (CryptoError) or fails to verify, unless its payload and type are the signed ones',
    () => {
      const suite = suites.ed25519;
      const signed = buildTrustRoot(trustRootInput(), [A.signer]);
      const sample = encoder.encode(JSON.stringify(signed));
      const verifier = verifierFor(A.key, suite);
      const signedPayload = parseEnvelope(signed).payload;
      const outcomes = new Outcomes([CryptoError]);
      // The unmutated envelope verifies: the property is about the mutations.
      expect(verifyEnvelope(signed, [verifier]).valid).toBe(true);
      fc.assert(
        fc.property(hostileBytes([sample]), (bytes) => {
          const value = json(bytes);
          const result = outcomes.run(() => verifyEnvelope(value, [verifier]));
          if (!result?.valid) return;
          // A valid verification vouches for exactly the signed type and payload bytes.
          expect(result.payloadType).toBe(signed.payloadType);
          expect(base64Encode(result.payload)).toBe(signedPayload);
        }),
        fuzzParameters(500),
      );
      outcomes.report('DSSE envelopes');
      expect(outcomes.refused).toBeGreaterThan(0);
    },
    fuzzTimeout(30_000),
  );

  it(
    'RT-FUZZ-5: a mutated checkpoint note is refused (NoteError, CheckpointError) or verifies to the signed checkpoint',
    async () => {
      const keys = await logKeys(ORIGIN);
      const log = new MemoryLog();
      for (let i = 0; i < 5; i++) log.append(encoder.encode(`leaf ${i}`));
      const checkpoint = { origin: ORIGIN, size: 5, rootHash: log.root(), extensions: ['x y'] };
      const note = await signCheckpoint(checkpoint, keys.signer, 1_790_000_000);
      const parsing = new Outcomes([NoteError, CheckpointError]);
      const verifying = new Outcomes([NoteError, CheckpointError]);
      fc.assert(
        fc.property(hostileBytes([encoder.encode(note)]), (bytes) => {
          // The note parser reads bytes and text; accepted notes and checkpoints round-trip.
          const parsed = parsing.run(() => parseNote(bytes));
          if (parsed) {
            expect(formatNote(parsed)).toBe(decoder.decode(bytes));
            const text = parsing.run(() => parseCheckpoint(parsed.text));
            if (text) expect(formatCheckpoint(text)).toBe(parsed.text);
          }
          const verified = verifying.run(() =>
            verifyCheckpointWithKeys(decoder.decode(bytes), keys.verifier),
          );
          if (verified) {
            expect(verified.checkpoint.size).toBe(5);
            expect(base64Encode(verified.checkpoint.rootHash)).toBe(base64Encode(log.root()));
            expect(verified.checkpoint.extensions).toEqual(['x y']);
          }
        }),
        fuzzParameters(300),
      );
      parsing.report('note and checkpoint parsing');
      verifying.report('checkpoint verification');
      expect(verifying.refused).toBeGreaterThan(0);
    },
    fuzzTimeout(40_000),
  );

  it(
    'RT-FUZZ-6: mutated trust documents (root, revocations, enrolment, claim, takedown, rotation, legacy import) are refused with TrustError or are exactly canonical',
    () => {
      const root = parseTrustRoot(trustRootPayload(trustRootInput(3)));
      const documents: [string, Uint8Array, (payload: Uint8Array) => unknown][] = [
        ['trust root', trustRootPayload(trustRootInput(3)), parseTrustRoot],
        [
          'revocation list',
          revocationListPayload({
            origin: ORIGIN,
            version: 2,
            issuedAt: '2026-05-01T00:00:00Z',
            revoked: [{ keyid: L.key.keyid, revokedAt: '2026-05-01T00:00:00Z', reason: 'leak' }],
          }),
          parseRevocationList,
        ],
        [
          'enrolment',
          enrolmentPayload({
            origin: ORIGIN,
            owner: A.key,
            lanes: ['candidate', 'core'],
            maxTier: 3,
            enrolledAt: '2026-05-01T00:00:00Z',
          }),
          parseEnrolment,
        ],
        [
          'claim',
          claimPayload({
            origin: ORIGIN,
            registryId: 'fuzz_node@1.0.0',
            specDigest: DIGEST,
            owner: A.key,
            claimedAt: '2026-05-01T00:00:00Z',
          }),
          parseClaim,
        ],
        [
          'takedown',
          takedownPayload({
            origin: ORIGIN,
            registryId: 'fuzz_node@1.0.0',
            specDigest: DIGEST,
            reason: 'court order',
            takenDownAt: '2026-05-01T00:00:00Z',
          }),
          parseTakedown,
        ],
        [
          'log rotation',
          logRotationPayload({
            root: root,
            oldKeyids: [L.key.keyid],
            newKeyids: [L2.key.keyid],
            rotatedAt: '2026-05-01T00:00:00Z',
          }),
          parseLogRotation,
        ],
        [
          'legacy import',
          legacyImportPayload({
            origin: ORIGIN,
            legacyId: 'fuzz_node::1796457001',
            registryId: 'fuzz_node@1.0.0',
            registeredAt: 1796457001.5,
            mode: 'dynamic',
            nodeSpec: { metadata: { name: 'fuzz_node' }, deep: [[[{ a: -0.5 }]]] },
            source: { sha256: DIGEST, hmac_sha256: 'b'.repeat(64), skipped: [] },
          }),
          parseLegacyImport,
        ],
      ];
      for (const [what, payload, parse] of documents) {
        const outcomes = new Outcomes([TrustError]);
        // The sample itself parses: the property is about the mutations.
        expect(
          outcomes.run(() => parse(payload)),
          what,
        ).toBeDefined();
        fc.assert(
          fc.property(mutatedFrom([payload]), (bytes) => {
            if (outcomes.run(() => parse(bytes)) === undefined) return;
            // Accepted: the bytes are the one canonical form of what they say.
            expect(canonicalize(JSON.parse(decoder.decode(bytes)))).toBe(decoder.decode(bytes));
          }),
          fuzzParameters(250),
        );
        outcomes.report(what);
        expect(outcomes.refused, what).toBeGreaterThan(0);
      }
    },
    fuzzTimeout(30_000),
  );

  it(
    'RT-FUZZ-7: a trust root chain of mutated envelopes is refused with TrustError, or verifies to the signed roots',
    async () => {
      const v1 = buildTrustRoot(trustRootInput(1), [A.signer]);
      const v2 = buildTrustRoot(trustRootInput(2), [A.signer]);
      const samples = [v1, v2].map((envelope) => encoder.encode(JSON.stringify(envelope)));
      const outcomes = new Outcomes([TrustError]);
      const options = { suites: { load: suites.loader }, now: new Date('2026-06-01T00:00:00Z') };
      // The unmutated chain verifies: the property is about the mutations.
      expect((await verifyTrustRootChain(v1, [v2], options)).newest.version).toBe(2);
      await fc.assert(
        fc.asyncProperty(hostileBytes(samples), fc.boolean(), async (bytes, asCandidate) => {
          const value = json(bytes);
          const chain = await outcomes.runAsync(() =>
            asCandidate
              ? verifyTrustRootChain(v1, [value], options)
              : verifyTrustRootChain(value, [], options),
          );
          if (!chain) return;
          expect(chain.newest.origin).toBe(ORIGIN);
          expect(chain.newest.version).toBe(asCandidate ? 2 : chain.pinned.version);
        }),
        fuzzParameters(300),
      );
      outcomes.report('trust root chains');
      expect(outcomes.refused).toBeGreaterThan(0);
    },
    fuzzTimeout(30_000),
  );

  it(
    'RT-FUZZ-22: mutated note verifier keys, public key JSON and log leaves are refused with their typed errors, or read back the same',
    () => {
      const vkey = ed25519VerifierKey('witness.example/w1', A.key.publicKey);
      const vkeys = new Outcomes([NoteError]);
      fc.assert(
        fc.property(mutatedFrom([encoder.encode(vkey)]), (bytes) => {
          const text = decoder.decode(bytes);
          const parsed = vkeys.run(() => parseEd25519VerifierKey(text));
          if (parsed) expect(ed25519VerifierKey(parsed.name, parsed.publicKey)).toBe(text);
        }),
        fuzzParameters(300),
      );
      vkeys.report('note verifier keys');
      const keyJson = encoder.encode(JSON.stringify(publicKeyToJson(A.key)));
      const keys = new Outcomes([CryptoError]);
      fc.assert(
        fc.property(hostileBytes([keyJson]), (bytes) => {
          const value = json(bytes);
          const key = keys.run(() => publicKeyFromJson(value, 'owner_public_key'));
          if (key) expect(key.keyid).toBe(A.key.keyid);
        }),
        fuzzParameters(300),
      );
      keys.report('public key JSON');
      const leaf = encodeLeaf(
        canonicalize(buildTrustRoot(trustRootInput(), [A.signer])),
        '2026-05-01T00:00:00Z',
        'fuzz_node@1.0.0',
      );
      const leaves = new Outcomes([EvidenceError]);
      fc.assert(
        fc.property(hostileBytes([leaf]), (bytes) => {
          if (leaves.run(() => parseLeaf(bytes)) === undefined) return;
          expect(canonicalize(JSON.parse(decoder.decode(bytes)))).toBe(decoder.decode(bytes));
        }),
        fuzzParameters(300),
      );
      leaves.report('log leaves');
      for (const outcomes of [vkeys, keys, leaves]) expect(outcomes.refused).toBeGreaterThan(0);
    },
    fuzzTimeout(20_000),
  );
});
