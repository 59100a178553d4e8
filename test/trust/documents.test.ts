import { beforeAll, describe, expect, it } from 'vitest';
import { base64Encode } from '../../src/crypto/encoding.js';
import { ownerId } from '../../src/crypto/keys.js';
import { PAYLOAD_TYPES } from '../../src/crypto/payload-types.js';
import { canonicalize } from '../../src/json/canonicalize.js';
import { buildEnrolment, parseEnrolment, verifyEnrolment } from '../../src/trust/enrolment.js';
import { TrustError, type TrustErrorCode } from '../../src/trust/errors.js';
import {
  buildRevocationList,
  parseRevocationList,
  verifyRevocationList,
  type RevocationList,
  type RevocationListInput,
} from '../../src/trust/revocations.js';
import { buildLogRotation, verifyLogRotation } from '../../src/trust/rotation.js';
import { signDocument } from '../../src/trust/signatures.js';
import { buildTrustRoot, peekTrustRoot, type TrustRoot } from '../../src/trust/trust-root.js';
import { testKey, testSuites, type TestKey, type TestSuites } from './keys.js';

const ORIGIN = 'registry.test/matriz';
let suites: TestSuites;
let A: TestKey, E: TestKey, R1: TestKey, R2: TestKey, owner: TestKey, L1: TestKey, L2: TestKey;
let L3: TestKey;
let root: TrustRoot;
let rootV2: TrustRoot;

function makeRoot(version: number, logKeys: readonly TestKey[]): TrustRoot {
  return peekTrustRoot(
    buildTrustRoot({
      origin: ORIGIN,
      version,
      expires: '2030-01-01T00:00:00Z',
      keys: [A.key, E.key, R1.key, R2.key, ...logKeys.map((l) => l.key)],
      roles: {
        root: { keyids: [A.key.keyid], threshold: 1 },
        log: { keyids: logKeys.map((l) => l.key.keyid), threshold: 1 },
        enrolment: { keyids: [E.key.keyid], threshold: 1 },
        revocation: { keyids: [R1.key.keyid, R2.key.keyid], threshold: 2 },
      },
    }),
  );
}

beforeAll(async () => {
  suites = await testSuites();
  [A, E, R1, R2, owner] = [
    testKey(suites.mlDsa44),
    testKey(suites.ed25519),
    testKey(suites.ed25519),
    testKey(suites.mlDsa44),
    testKey(suites.mlDsa44),
  ];
  [L1, L2, L3] = [testKey(suites.hybrid), testKey(suites.hybrid), testKey(suites.hybrid)];
  root = makeRoot(1, [L1]);
  rootV2 = makeRoot(2, [L1, L2]);
});

async function outcome(run: () => Promise<unknown>): Promise<'ok' | TrustErrorCode> {
  try {
    await run();
    return 'ok';
  } catch (error) {
    if (error instanceof TrustError) return error.code;
    throw error;
  }
}

const keyid = (c: string) => c.repeat(64);
const entry = (c: string, reason = 'key compromised') => ({
  keyid: keyid(c),
  revokedAt: '2026-03-01T00:00:00Z',
  reason,
});
const list = (version: number, revoked: RevocationListInput['revoked']): RevocationListInput => ({
  origin: ORIGIN,
  version,
  issuedAt: '2026-03-02T00:00:00Z',
  revoked,
});

describe('revocation lists', () => {
  const signedByRole = (input: RevocationListInput) =>
    buildRevocationList(input, [R1.signer, R2.signer]);

  interface Row {
    readonly name: string;
    readonly previous?: RevocationListInput;
    readonly next: RevocationListInput;
    readonly signers?: 'role' | 'one' | 'root';
    readonly expect: 'ok' | TrustErrorCode;
  }
  const ROWS: readonly Row[] = [
    { name: 'a first list', next: list(1, [entry('a')]), expect: 'ok' },
    {
      name: 'a newer list keeping every entry',
      previous: list(1, [entry('a')]),
      next: list(2, [entry('b'), entry('a')]),
      expect: 'ok',
    },
    {
      name: 'the same list again',
      previous: list(1, [entry('a')]),
      next: list(1, [entry('a')]),
      expect: 'ok',
    },
    {
      name: 'a newer list dropping an entry',
      previous: list(1, [entry('a'), entry('b')]),
      next: list(2, [entry('b')]),
      expect: 'rollback',
    },
    {
      name: 'a newer list changing an entry',
      previous: list(1, [entry('a')]),
      next: list(2, [entry('a', 'lost laptop')]),
      expect: 'rollback',
    },
    {
      name: 'an older list',
      previous: list(2, [entry('a')]),
      next: list(1, [entry('a')]),
      expect: 'rollback',
    },
    {
      name: 'the same version with other content',
      previous: list(2, [entry('a')]),
      next: list(2, [entry('a'), entry('b')]),
      expect: 'rollback',
    },
    {
      name: 'a list signed by one key of a 2-of-2 role',
      next: list(1, []),
      signers: 'one',
      expect: 'threshold',
    },
    {
      name: 'a list signed by the root role instead',
      next: list(1, []),
      signers: 'root',
      expect: 'threshold',
    },
    {
      name: 'a list for another origin',
      next: { ...list(1, []), origin: 'other.example/log' },
      expect: 'wrong-origin',
    },
  ];

  it.each(ROWS)('$name: $expect', async (row) => {
    const previous: RevocationList | undefined =
      row.previous && (await verifyRevocationList(signedByRole(row.previous), root, suites.loader));
    const signers =
      row.signers === 'one'
        ? [R1.signer]
        : row.signers === 'root'
          ? [A.signer]
          : [R1.signer, R2.signer];
    const envelope = buildRevocationList(row.next, signers);
    expect(await outcome(() => verifyRevocationList(envelope, root, suites.loader, previous))).toBe(
      row.expect,
    );
  });

  it('sorts entries by keyid when building, and refuses unsorted or duplicate entries', () => {
    const envelope = buildRevocationList(list(1, [entry('c'), entry('a')]));
    const payload = Buffer.from(envelope.payload, 'base64');
    expect(parseRevocationList(payload).revoked.map((e) => e.keyid)).toStrictEqual([
      keyid('a'),
      keyid('c'),
    ]);
    const unsorted = canonicalize({
      type: 'matriz-revocations/v1',
      origin: ORIGIN,
      version: 1,
      issued_at: '2026-03-02T00:00:00Z',
      revoked: [
        { keyid: keyid('c'), revoked_at: '2026-03-01T00:00:00Z', reason: 'x' },
        { keyid: keyid('a'), revoked_at: '2026-03-01T00:00:00Z', reason: 'x' },
      ],
    });
    expect(() => parseRevocationList(new TextEncoder().encode(unsorted))).toThrow(
      /revoked\[1\]: entries must be unique and sorted by keyid/,
    );
    expect(() => buildRevocationList(list(1, [entry('a'), entry('a')]))).toThrow(/sorted/);
  });

  it.each([
    ['an empty reason', entry('a', ''), /reason must be a non-empty string/],
    ['a reason over 500 characters', entry('a', 'x'.repeat(501)), /at most 500/],
    ['a keyid that is not 64 hex digits', { ...entry('a'), keyid: 'ABC' }, /keyid/],
    [
      'a revoked_at without a zone',
      { ...entry('a'), revokedAt: '2026-03-01T00:00:00' },
      /revoked_at/,
    ],
  ])('refuses an entry with %s', (_name, bad, message) => {
    expect(() => buildRevocationList(list(1, [bad]))).toThrow(message);
  });
});

describe('enrolment records', () => {
  const input = () => ({
    origin: ORIGIN,
    owner: owner.key,
    lanes: ['candidate', 'core'] as const,
    maxTier: 3,
    enrolledAt: new Date('2026-04-01T12:00:00Z'),
  });

  it('verifies an enrolment signed by the enrolment role', async () => {
    const enrolment = await verifyEnrolment(
      buildEnrolment(input(), [E.signer]),
      root,
      suites.loader,
    );
    expect(enrolment).toMatchObject({
      origin: ORIGIN,
      ownerId: ownerId(owner.key.keyid),
      lanes: ['candidate', 'core'],
      maxTier: 3,
      enrolledAt: '2026-04-01T12:00:00Z',
    });
    expect(enrolment.owner).toStrictEqual(owner.key);
  });

  it('refuses an enrolment signed by another role, or of a revoked owner', async () => {
    expect(
      await outcome(() =>
        verifyEnrolment(buildEnrolment(input(), [A.signer]), root, suites.loader),
      ),
    ).toBe('threshold');
    const revocations = parseRevocationList(
      Buffer.from(
        buildRevocationList(list(1, [{ ...entry('a'), keyid: owner.key.keyid }])).payload,
        'base64',
      ),
    );
    await expect(
      verifyEnrolment(buildEnrolment(input(), [E.signer]), root, suites.loader, revocations),
    ).rejects.toThrow(expect.objectContaining({ code: 'revoked-key' }));
  });

  const document = () => ({
    type: 'matriz-enrolment/v1',
    origin: ORIGIN,
    owner: { alg: owner.key.algorithm, public_key: base64Encode(owner.key.publicKey) },
    owner_id: ownerId(owner.key.keyid),
    lanes: ['core'],
    max_tier: 2,
    enrolled_at: '2026-04-01T12:00:00Z',
  });

  it.each<[string, (doc: any) => void, RegExp]>([
    ["another key's owner_id", (doc) => (doc.owner_id = ownerId(A.key.keyid)), /"owner_id"/],
    ['no lanes', (doc) => (doc.lanes = []), /"lanes" must not be empty/],
    ['a lane twice', (doc) => (doc.lanes = ['core', 'core']), /lists core twice/],
    ['an unknown lane', (doc) => (doc.lanes = ['beta']), /lanes\[0\] must be one of/],
    ['tier 8', (doc) => (doc.max_tier = 8), /"max_tier" must be an integer from 0 to 7/],
    ['an unknown member', (doc) => (doc.note = 'x'), /unknown member "note"/],
  ])('refuses %s', (_name, edit, message) => {
    const doc = document();
    parseEnrolment(new TextEncoder().encode(canonicalize(doc)));
    edit(doc);
    expect(() => parseEnrolment(new TextEncoder().encode(canonicalize(doc)))).toThrow(message);
  });
});

describe('log rotation records', () => {
  it('verifies a rotation signed by the old and the new log key', async () => {
    const envelope = buildLogRotation(
      {
        root: rootV2,
        oldKeyids: [L1.key.keyid],
        newKeyids: [L2.key.keyid],
        rotatedAt: '2026-05-01T00:00:00Z',
      },
      [L1.signer, L2.signer],
    );
    expect(await verifyLogRotation(envelope, rootV2, suites.loader)).toMatchObject({
      trustRootVersion: 2,
      trustRootDigest: rootV2.digest,
      oldKeyids: [L1.key.keyid],
      newKeyids: [L2.key.keyid],
    });
  });

  it.each<[string, () => { envelope: unknown; previous?: TrustRoot }, TrustErrorCode | 'ok']>([
    [
      'signed by the new key only',
      () => ({
        envelope: buildLogRotation(
          {
            root: rootV2,
            oldKeyids: [L1.key.keyid],
            newKeyids: [L2.key.keyid],
            rotatedAt: '2026-05-01T00:00:00Z',
          },
          [L2.signer],
        ),
      }),
      'threshold',
    ],
    [
      'signed by the old key only',
      () => ({
        envelope: buildLogRotation(
          {
            root: rootV2,
            oldKeyids: [L1.key.keyid],
            newKeyids: [L2.key.keyid],
            rotatedAt: '2026-05-01T00:00:00Z',
          },
          [L1.signer],
        ),
      }),
      'threshold',
    ],
    [
      'naming another trust root',
      () => ({
        envelope: buildLogRotation(
          {
            root,
            oldKeyids: [L1.key.keyid],
            newKeyids: [L2.key.keyid],
            rotatedAt: '2026-05-01T00:00:00Z',
          },
          [L1.signer, L2.signer],
        ),
      }),
      'wrong-root',
    ],
    [
      'to a key outside the log role',
      () => ({
        envelope: buildLogRotation(
          {
            root: rootV2,
            oldKeyids: [L1.key.keyid],
            newKeyids: [L3.key.keyid],
            rotatedAt: '2026-05-01T00:00:00Z',
          },
          [L1.signer, L3.signer],
        ),
      }),
      'unknown-key',
    ],
    [
      'from a key only the previous root lists, given that root',
      () => {
        const current = makeRoot(3, [L2, L3]);
        return {
          envelope: buildLogRotation(
            {
              root: current,
              oldKeyids: [L1.key.keyid],
              newKeyids: [L3.key.keyid],
              rotatedAt: '2026-05-01T00:00:00Z',
            },
            [L1.signer, L3.signer],
          ),
          previous: rootV2,
        };
      },
      'ok',
    ],
  ])('rotation %s: %s', async (_name, make, code) => {
    const { envelope, previous } = make();
    const current = previous ? makeRoot(3, [L2, L3]) : rootV2;
    expect(await outcome(() => verifyLogRotation(envelope, current, suites.loader, previous))).toBe(
      code,
    );
  });

  it('refuses a rotation from a retired key when the previous root is not given', async () => {
    const current = makeRoot(3, [L2, L3]);
    const envelope = buildLogRotation(
      {
        root: current,
        oldKeyids: [L1.key.keyid],
        newKeyids: [L3.key.keyid],
        rotatedAt: '2026-05-01T00:00:00Z',
      },
      [L1.signer, L3.signer],
    );
    await expect(verifyLogRotation(envelope, current, suites.loader)).rejects.toThrow(
      /old key [0-9a-f]{64} is not a log key of trust root v3/,
    );
  });

  it('refuses a rotation envelope of another payload type', async () => {
    const envelope = buildLogRotation({
      root: rootV2,
      oldKeyids: [L1.key.keyid],
      newKeyids: [L2.key.keyid],
      rotatedAt: '2026-05-01T00:00:00Z',
    });
    const retyped = signDocument(PAYLOAD_TYPES.enrolment, Buffer.from(envelope.payload, 'base64'), [
      L1.signer,
      L2.signer,
    ]);
    expect(await outcome(() => verifyLogRotation(retyped, rootV2, suites.loader))).toBe(
      'wrong-type',
    );
  });
});
