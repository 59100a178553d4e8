import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../../src/crypto/dsse.js';
import { base64Decode, base64Encode } from '../../src/crypto/encoding.js';
import { PAYLOAD_TYPES } from '../../src/crypto/payload-types.js';
import { canonicalize } from '../../src/json/canonicalize.js';
import { TrustError, type TrustErrorCode } from '../../src/trust/errors.js';
import { addSignature, signDocument, unsignedEnvelope } from '../../src/trust/signatures.js';
import {
  buildTrustRoot,
  checkServedRoot,
  parseTrustRoot,
  peekTrustRoot,
  trustRootPayload,
  verifyRootChain,
  verifyRootSelfSigned,
  type TrustRoot,
} from '../../src/trust/trust-root.js';
import { testKey, testSuites, type TestKey, type TestSuites } from './keys.js';

const ORIGIN = 'registry.test/matriz';
const NOW = new Date('2026-06-01T00:00:00Z');
const FAR = '2030-01-01T00:00:00Z';
const PAST = '2026-01-01T00:00:00Z';

type Name = 'A' | 'B' | 'C' | 'D' | 'E' | 'R' | 'L1' | 'L2';
let suites: TestSuites;
let k: Record<Name, TestKey>;

beforeAll(async () => {
  suites = await testSuites();
  k = {
    A: testKey(suites.mlDsa44),
    B: testKey(suites.mlDsa44),
    C: testKey(suites.ed25519),
    D: testKey(suites.ed25519),
    E: testKey(suites.ed25519),
    R: testKey(suites.ed25519),
    L1: testKey(suites.hybrid),
    L2: testKey(suites.hybrid),
  };
});

/** One root version as a test row describes it. */
interface Step {
  readonly version: number;
  readonly root: readonly Name[];
  readonly threshold?: number;
  readonly signers: readonly Name[];
  readonly expires?: string;
  readonly origin?: string;
  /** Edits the JSON document before it is signed. */
  readonly edit?: (doc: any) => void;
  /** Changes the payload after signing. */
  readonly tamper?: boolean;
  /** Appends a copy of the first signature (one key counted twice). */
  readonly duplicateFirstSignature?: boolean;
  readonly payloadType?: string;
}

function rootDocument(step: Step): any {
  const names = new Set<Name>([...step.root, 'E', 'R', 'L1']);
  return {
    type: 'matriz-trust-root/v1',
    origin: step.origin ?? ORIGIN,
    version: step.version,
    expires: step.expires ?? FAR,
    keys: Object.fromEntries(
      [...names].map((n) => [
        k[n].key.keyid,
        { alg: k[n].key.algorithm, public_key: base64Encode(k[n].key.publicKey) },
      ]),
    ),
    roles: {
      root: { keyids: step.root.map((n) => k[n].key.keyid), threshold: step.threshold ?? 1 },
      log: { keyids: [k.L1.key.keyid], threshold: 1 },
      enrolment: { keyids: [k.E.key.keyid], threshold: 1 },
      revocation: { keyids: [k.R.key.keyid], threshold: 1 },
    },
  };
}

function envelopeOf(step: Step): Envelope {
  const doc = rootDocument(step);
  step.edit?.(doc);
  const payload = new TextEncoder().encode(canonicalize(doc));
  let envelope = signDocument(
    step.payloadType ?? PAYLOAD_TYPES.trustRoot,
    payload,
    step.signers.map((n) => k[n].signer),
  );
  if (step.duplicateFirstSignature)
    envelope = {
      ...envelope,
      signatures: [...envelope.signatures, ...envelope.signatures.slice(0, 1)],
    };
  if (step.tamper) {
    const changed = canonicalize({ ...doc, expires: '2099-01-01T00:00:00Z' });
    envelope = { ...envelope, payload: base64Encode(new TextEncoder().encode(changed)) };
  }
  return envelope;
}

async function outcome(run: () => Promise<unknown>): Promise<'ok' | TrustErrorCode> {
  try {
    await run();
    return 'ok';
  } catch (error) {
    if (error instanceof TrustError) return error.code;
    throw error;
  }
}

const v1: Step = { version: 1, root: ['A'], signers: ['A'] };

interface ChainRow {
  readonly name: string;
  readonly versions: readonly Step[];
  /** Index in `versions` of the root the client already trusts (default 0). */
  readonly pinned?: number;
  /** Indexes in `versions` served as candidates (default: everything after `pinned`). */
  readonly serve?: readonly number[];
  readonly now?: Date;
  readonly expect: 'ok' | TrustErrorCode;
  readonly finalVersion?: number;
}

// In the manner of tuf-conformance: each row is a root history, what the client pinned, what
// it is served, and the verdict.
const CHAIN: readonly ChainRow[] = [
  {
    name: 'a normal rotation of root keys A -> B -> C',
    versions: [
      v1,
      { version: 2, root: ['B'], signers: ['A', 'B'] },
      { version: 3, root: ['C'], signers: ['B', 'C'] },
    ],
    expect: 'ok',
    finalVersion: 3,
  },
  {
    name: 'a 2-of-3 root signed by two keys each time',
    versions: [
      { version: 1, root: ['A', 'B', 'C'], threshold: 2, signers: ['A', 'B'] },
      { version: 2, root: ['A', 'B', 'C'], threshold: 2, signers: ['B', 'C'] },
    ],
    expect: 'ok',
    finalVersion: 2,
  },
  {
    name: 'a 2-of-3 root signed by one key',
    versions: [
      { version: 1, root: ['A', 'B', 'C'], threshold: 2, signers: ['A', 'B'] },
      { version: 2, root: ['A', 'B', 'C'], threshold: 2, signers: ['C'] },
    ],
    expect: 'threshold',
  },
  {
    name: 'a 2-of-3 threshold met only by one key signing twice',
    versions: [
      { version: 1, root: ['A', 'B', 'C'], threshold: 2, signers: ['A', 'B'] },
      {
        version: 2,
        root: ['A', 'B', 'C'],
        threshold: 2,
        signers: ['A'],
        duplicateFirstSignature: true,
      },
    ],
    expect: 'threshold',
  },
  {
    name: 'a threshold met only with a key of another role (enrolment)',
    versions: [
      { version: 1, root: ['A', 'B'], threshold: 2, signers: ['A', 'B'] },
      { version: 2, root: ['A', 'B'], threshold: 2, signers: ['A', 'E'] },
    ],
    expect: 'threshold',
  },
  {
    name: 'a new root not signed by the previous root keys',
    versions: [v1, { version: 2, root: ['B'], signers: ['B'] }],
    expect: 'threshold',
  },
  {
    name: 'a new root not signed by its own root keys',
    versions: [v1, { version: 2, root: ['B'], signers: ['A'] }],
    expect: 'threshold',
  },
  {
    name: 'a skipped version (1 -> 3)',
    versions: [
      v1,
      { version: 2, root: ['A'], signers: ['A'] },
      { version: 3, root: ['A'], signers: ['A'] },
    ],
    serve: [2],
    expect: 'gap',
  },
  {
    name: 'a lower version than the pinned one',
    versions: [v1, { version: 2, root: ['A'], signers: ['A'] }],
    pinned: 1,
    serve: [0],
    expect: 'rollback',
  },
  {
    name: 'the pinned version replaced by another document',
    versions: [
      v1,
      { version: 2, root: ['A'], signers: ['A'] },
      { version: 2, root: ['A', 'B'], signers: ['A', 'B'] },
    ],
    pinned: 1,
    serve: [2],
    expect: 'rollback',
  },
  {
    name: 'an expired final root (freeze)',
    versions: [v1, { version: 2, root: ['A'], signers: ['A'], expires: PAST }],
    expect: 'expired',
  },
  {
    name: 'an expired pinned root and nothing newer',
    versions: [{ ...v1, expires: PAST }],
    expect: 'expired',
  },
  {
    name: 'an expired intermediate root (superseded)',
    versions: [
      { ...v1, expires: PAST },
      { version: 2, root: ['B'], signers: ['A', 'B'], expires: PAST },
      { version: 3, root: ['B'], signers: ['B'] },
    ],
    expect: 'ok',
    finalVersion: 3,
  },
  {
    name: 'a root that expires exactly now',
    versions: [v1, { version: 2, root: ['A'], signers: ['A'], expires: NOW.toISOString() }],
    expect: 'expired',
  },
  {
    name: 'a root for another origin',
    versions: [v1, { version: 2, root: ['A'], signers: ['A'], origin: 'other.example/log' }],
    expect: 'wrong-origin',
  },
  {
    name: 'a payload changed after signing',
    versions: [v1, { version: 2, root: ['A'], signers: ['A'], tamper: true }],
    expect: 'threshold',
  },
  {
    name: 'an unknown top-level member',
    versions: [
      v1,
      {
        version: 2,
        root: ['A'],
        signers: ['A'],
        edit: (doc) => {
          doc.comment = 'hi';
        },
      },
    ],
    expect: 'malformed',
  },
  {
    name: 'a log role key that is not hybrid',
    versions: [
      v1,
      {
        version: 2,
        root: ['A'],
        signers: ['A'],
        edit: (doc) => {
          doc.roles.log.keyids = [k.A.key.keyid];
        },
      },
    ],
    expect: 'malformed',
  },
  {
    name: 'another document type',
    versions: [
      v1,
      {
        version: 2,
        root: ['A'],
        signers: ['A'],
        edit: (doc) => {
          doc.type = 'matriz-trust-root/v2';
        },
      },
    ],
    expect: 'wrong-type',
  },
  {
    name: 'another payload type',
    versions: [
      v1,
      { version: 2, root: ['A'], signers: ['A'], payloadType: PAYLOAD_TYPES.revocations },
    ],
    expect: 'wrong-type',
  },
  {
    name: 'a role listing one keyid twice to meet its threshold',
    versions: [
      v1,
      {
        version: 2,
        root: ['A'],
        signers: ['A'],
        edit: (doc) => {
          doc.roles.root = { keyids: [k.A.key.keyid, k.A.key.keyid], threshold: 2 };
        },
      },
    ],
    expect: 'malformed',
  },
];

describe('verifyRootChain (TUF root update)', () => {
  it.each(CHAIN)('$name: $expect', async (row) => {
    const envelopes = row.versions.map(envelopeOf);
    const pinnedIndex = row.pinned ?? 0;
    const pinned = peekTrustRoot(envelopes[pinnedIndex]);
    const serve = row.serve ?? envelopes.map((_, i) => i).slice(pinnedIndex + 1);
    let chain: TrustRoot[] = [];
    const result = await outcome(async () => {
      chain = await verifyRootChain(
        pinned,
        serve.map((i) => envelopes[i]),
        row.now ?? NOW,
        suites.loader,
      );
    });
    expect(result).toBe(row.expect);
    if (row.finalVersion !== undefined) expect(chain.at(-1)?.version).toBe(row.finalVersion);
  });

  it('names the root, the role and who signed in a threshold refusal', async () => {
    const pinned = peekTrustRoot(envelopeOf(v1));
    const next = envelopeOf({ version: 2, root: ['B'], signers: ['B'] });
    await expect(verifyRootChain(pinned, [next], NOW, suites.loader)).rejects.toThrow(
      /trust root v2 \(root role of the trusted v1\): signed by 0 of the required 1 keys; 1 signature\(s\) by keys without that role ignored/,
    );
  });
});

describe('verifyRootSelfSigned (first contact)', () => {
  it('accepts a version 1 signed by its own root role', async () => {
    const root = await verifyRootSelfSigned(envelopeOf(v1), suites.loader, {
      now: NOW,
      origin: ORIGIN,
    });
    expect(root).toMatchObject({ version: 1, origin: ORIGIN, expires: FAR });
    expect(root.roles.root.keyids).toStrictEqual([k.A.key.keyid]);
  });

  it.each<[string, Step, TrustErrorCode]>([
    ['signed by a key outside the root role', { ...v1, signers: ['E'] }, 'threshold'],
    ['for another origin', { ...v1, origin: 'other.example/log' }, 'wrong-origin'],
    ['expired', { ...v1, expires: PAST }, 'expired'],
  ])('refuses a root %s', async (_name, step, code) => {
    expect(
      await outcome(() =>
        verifyRootSelfSigned(envelopeOf(step), suites.loader, { now: NOW, origin: ORIGIN }),
      ),
    ).toBe(code);
  });
});

describe('checkServedRoot (client pinned at V, served latest L)', () => {
  it('tells the pinned root from a newer one', () => {
    const pinned = peekTrustRoot(envelopeOf({ version: 2, root: ['A'], signers: ['A'] }));
    expect(checkServedRoot(pinned, envelopeOf({ version: 2, root: ['A'], signers: ['A'] }))).toBe(
      'current',
    );
    expect(checkServedRoot(pinned, envelopeOf({ version: 3, root: ['A'], signers: [] }))).toBe(
      'newer',
    );
  });

  it('refuses L < V and a different document at V as rollback', () => {
    const pinned = peekTrustRoot(envelopeOf({ version: 2, root: ['A'], signers: ['A'] }));
    expect(() => checkServedRoot(pinned, envelopeOf(v1))).toThrow(
      expect.objectContaining({ code: 'rollback' }),
    );
    expect(() =>
      checkServedRoot(pinned, envelopeOf({ version: 2, root: ['B'], signers: ['B'] })),
    ).toThrow(expect.objectContaining({ code: 'rollback' }));
  });
});

describe('parseTrustRoot', () => {
  const payloadOf = (doc: unknown) => new TextEncoder().encode(canonicalize(doc));
  const codeOf = (doc: unknown): string => {
    try {
      parseTrustRoot(payloadOf(doc));
      return 'ok';
    } catch (error) {
      return (error as TrustError).code;
    }
  };

  it.each<[string, (doc: any) => void, RegExp]>([
    ['a missing role', (doc) => delete doc.roles.revocation, /missing role "revocation"/],
    ['an unknown role', (doc) => (doc.roles.admin = doc.roles.root), /unknown role "admin"/],
    ['a threshold of 0', (doc) => (doc.roles.root.threshold = 0), /roles\.root\.threshold/],
    [
      'a threshold above the number of keys',
      (doc) => (doc.roles.enrolment.threshold = 2),
      /roles\.enrolment\.threshold must be an integer from 1 to 1/,
    ],
    ['a fractional threshold', (doc) => (doc.roles.root.threshold = 1.5), /threshold/],
    ['version 0', (doc) => (doc.version = 0), /"version"/],
    ['a local-time expiry', (doc) => (doc.expires = '2030-01-01T00:00:00+01:00'), /"expires"/],
    ['an impossible date', (doc) => (doc.expires = '2030-02-30T00:00:00Z'), /"expires"/],
    [
      'a keyid that does not match its key',
      (doc) => {
        doc.keys = Object.fromEntries(
          Object.entries(doc.keys).map(([id, key], i) => [i === 0 ? '0'.repeat(64) : id, key]),
        );
      },
      /does not match the key|is not in "keys"/,
    ],
    [
      'a role naming a key not in "keys"',
      (doc) => doc.roles.log.keyids.push('f'.repeat(64)),
      /roles\.log\.keyids: f{64} is not in "keys"/,
    ],
    ['an unknown member in a role', (doc) => (doc.roles.log.note = 'x'), /unknown member "note"/],
  ])('refuses %s, naming the field', (_name, edit, message) => {
    const doc = rootDocument({ version: 1, root: ['A'], signers: [] });
    edit(doc);
    expect(() => parseTrustRoot(payloadOf(doc))).toThrow(message);
    expect(codeOf(doc)).toBe('malformed');
  });

  it('refuses non-canonical JSON and duplicate members', () => {
    const doc = rootDocument(v1);
    const pretty = new TextEncoder().encode(JSON.stringify(doc, null, 2));
    expect(() => parseTrustRoot(pretty)).toThrow(/not RFC 8785 canonical/);
    const text = canonicalize(doc).replace('{', '{"version":1,');
    expect(() => parseTrustRoot(new TextEncoder().encode(text))).toThrow(/not JSON/);
  });

  it('refuses two keys sharing key material (an ML-DSA key inside a hybrid)', () => {
    const doc = rootDocument(v1);
    const hybridPublic = new Uint8Array([
      ...k.A.key.publicKey,
      ...k.L2.key.publicKey.slice(suites.mlDsa44.lengths.publicKey),
    ]);
    const hybrid = { alg: 'hybrid-ml-dsa-44-ed25519', public_key: base64Encode(hybridPublic) };
    const hybridId = testKeyId('hybrid-ml-dsa-44-ed25519', hybridPublic);
    doc.keys[hybridId] = hybrid;
    doc.roles.root = { keyids: [k.A.key.keyid, hybridId], threshold: 2 };
    expect(() => parseTrustRoot(payloadOf(doc))).toThrow(/share key material/);
  });

  it('round-trips a built root and records the payload digest', () => {
    const input = {
      origin: ORIGIN,
      version: 1,
      expires: new Date(FAR),
      keys: [k.A.key, k.E.key, k.R.key, k.L1.key],
      roles: {
        root: { keyids: [k.A.key.keyid], threshold: 1 },
        log: { keyids: [k.L1.key.keyid], threshold: 1 },
        enrolment: { keyids: [k.E.key.keyid], threshold: 1 },
        revocation: { keyids: [k.R.key.keyid], threshold: 1 },
      },
    };
    const envelope = buildTrustRoot(input, [k.A.signer]);
    const root = parseTrustRoot(base64Decode(envelope.payload));
    expect(root.expires).toBe(FAR);
    expect(root.keys.get(k.L1.key.keyid)).toStrictEqual(k.L1.key);
    expect(root.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(trustRootPayload(input)).toStrictEqual(base64Decode(envelope.payload));
    expect(() => buildTrustRoot({ ...input, version: 0 })).toThrow(TrustError);
  });
});

describe('multi-party signing', () => {
  it('adds signatures without changing the payload, once per key', async () => {
    const step: Step = { version: 1, root: ['A', 'B', 'C'], threshold: 3, signers: [] };
    const payload = new TextEncoder().encode(canonicalize(rootDocument(step)));
    let envelope = unsignedEnvelope(PAYLOAD_TYPES.trustRoot, payload);
    for (const n of ['A', 'B', 'C'] as const) envelope = addSignature(envelope, k[n].signer);
    expect(envelope.payload).toBe(base64Encode(payload));
    expect((await verifyRootSelfSigned(envelope, suites.loader)).version).toBe(1);
    expect(() => addSignature(envelope, k.B.signer)).toThrow(
      expect.objectContaining({ code: 'duplicate-signature' }),
    );
  });
});

function testKeyId(alg: 'hybrid-ml-dsa-44-ed25519', publicKey: Uint8Array): string {
  // Same derivation as src/crypto/keys.ts, spelled out so the test does not lean on it.
  return testSha256Hex(new Uint8Array([...new TextEncoder().encode(alg), 0, ...publicKey]));
}

function testSha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
