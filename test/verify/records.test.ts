/**
 * matriz/verify on the log records an operator makes about entries: a leaf reads back as what it
 * is, a `legacy-import` leaf verifies only under the enrolment role for the entry and content it
 * names, and a `claim` leaf only for the owner it names and a key not revoked.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { canonicalize } from '../../src/json/canonicalize.js';
import { sha256Digest } from '../../src/crypto/digest.js';
import { buildRevocationList, peekRevocationList } from '../../src/trust/revocations.js';
import { buildClaim } from '../../src/trust/claim.js';
import { buildLegacyImport } from '../../src/trust/legacy-import.js';
import { peekTrustRoot, type TrustRoot } from '../../src/trust/trust-root.js';
import {
  EvidenceError,
  loadVerifierSuites,
  parseLeaf,
  TrustError,
  verifyClaimLeaf,
  verifyLegacyImportLeaf,
  type VerifierSuites,
} from '../../src/verify/index.js';
import { encodeControlLeaf, encodeLeaf } from '../../src/verify/leaf.js';
import { legacySpec } from '../support/legacy-store.js';
import { logKeys, makeOwner, ORIGIN } from '../support/registry.js';
import { trustRootFor } from '../support/trust-root.js';

const AT = '2026-12-05T12:00:00.000Z';
let suites: VerifierSuites;
let root: TrustRoot;
let roles: Awaited<ReturnType<typeof trustRootFor>>;

beforeAll(async () => {
  suites = await loadVerifierSuites();
  roles = await trustRootFor(await logKeys());
  root = peekTrustRoot(roles.envelope);
});

const spec = legacySpec('imported_node', '1.0.0');
const specDigest = sha256Digest(canonicalize(spec));
const importRecord = (signer = roles.enrolment.signer) =>
  buildLegacyImport(
    {
      origin: ORIGIN,
      legacyId: 'imported_node::1796457001',
      registryId: 'imported_node@1.0.0',
      registeredAt: 1796457001.5,
      mode: 'dynamic',
      nodeSpec: spec,
      source: { sha256: `sha256:${'a'.repeat(64)}`, hmac_sha256: 'b'.repeat(64), skipped: [] },
    },
    [signer],
  );
const leafOf = (kind: 'legacy-import' | 'claim', envelope: unknown) =>
  encodeControlLeaf(kind, canonicalize(envelope), AT);

async function refusal(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a refusal');
}

describe('log leaves', () => {
  it('reads an owner write and an operator record back, and refuses anything else', () => {
    expect(parseLeaf(encodeLeaf('{"payload":"e30"}', AT, 'a@1.0.0'))).toEqual({
      kind: 'write',
      envelope: { payload: 'e30' },
      integratedAt: AT,
      registryId: 'a@1.0.0',
    });
    expect(parseLeaf(leafOf('legacy-import', importRecord())).kind).toBe('legacy-import');
    const encode = (text: string) => new TextEncoder().encode(text);
    for (const bad of [
      'not json',
      '[]',
      `{"envelope":{},"integrated_at":"${AT}","kind":"made-up"}`,
      `{"envelope":{},"integrated_at":"${AT}","kind":"claim","registry_id":"a@1"}`,
      `{"integrated_at":"${AT}","envelope":{},"registry_id":"a@1"}`,
      `{"envelope":"x","integrated_at":"${AT}","registry_id":"a@1"}`,
    ]) {
      expect(() => parseLeaf(encode(bad)), bad).toThrow(EvidenceError);
    }
  });
});

describe('legacy-import and claim records', () => {
  it('verifies a legacy import signed by the enrolment role, for the entry and content it names', async () => {
    const leaf = leafOf('legacy-import', importRecord());
    const record = await verifyLegacyImportLeaf(
      leaf,
      { registryId: 'imported_node@1.0.0', specDigest },
      root,
      suites,
    );
    expect(record).toMatchObject({ legacyId: 'imported_node::1796457001', mode: 'dynamic' });

    const wrongEntry = await refusal(
      verifyLegacyImportLeaf(leaf, { registryId: 'other@1.0.0', specDigest }, root, suites),
    );
    expect(wrongEntry).toMatchObject({ code: 'wrong-entry' });
    const otherContent = await refusal(
      verifyLegacyImportLeaf(
        leaf,
        { registryId: 'imported_node@1.0.0', specDigest: `sha256:${'0'.repeat(64)}` },
        root,
        suites,
      ),
    );
    expect(otherContent).toMatchObject({ code: 'leaf-mismatch' });
    const byRevocationRole = await refusal(
      verifyLegacyImportLeaf(
        leafOf('legacy-import', importRecord(roles.revocation.signer)),
        { registryId: 'imported_node@1.0.0', specDigest },
        root,
        suites,
      ),
    );
    expect(byRevocationRole).toBeInstanceOf(TrustError);
    expect(byRevocationRole).toMatchObject({ code: 'threshold' });
    const aClaim = await refusal(
      verifyLegacyImportLeaf(
        encodeLeaf('{"payload":"e30"}', AT, 'imported_node@1.0.0'),
        { registryId: 'imported_node@1.0.0', specDigest },
        root,
        suites,
      ),
    );
    expect(aClaim).toMatchObject({ code: 'leaf-mismatch' });
  });

  it('verifies a claim for the owner it names, and refuses it once that owner key is revoked', async () => {
    const owner = await makeOwner('ed25519');
    const claim = buildClaim(
      {
        origin: ORIGIN,
        registryId: 'imported_node@1.0.0',
        specDigest,
        owner: owner.key,
        claimedAt: AT.replace('.000', ''),
      },
      [roles.enrolment.signer],
    );
    const leaf = leafOf('claim', claim);
    const expected = { registryId: 'imported_node@1.0.0', ownerId: owner.ownerId };
    expect((await verifyClaimLeaf(leaf, expected, root, suites)).ownerId).toBe(owner.ownerId);
    const other = await makeOwner('ed25519');
    expect(
      await refusal(verifyClaimLeaf(leaf, { ...expected, ownerId: other.ownerId }, root, suites)),
    ).toMatchObject({ code: 'wrong-entry' });
    const revocations = buildRevocationList(
      {
        origin: ORIGIN,
        version: 1,
        issuedAt: new Date(AT),
        revoked: [{ keyid: owner.key.keyid, revokedAt: new Date(AT), reason: 'lost laptop' }],
      },
      [roles.revocation.signer],
    );
    expect(
      await refusal(verifyClaimLeaf(leaf, expected, root, suites, peekRevocationList(revocations))),
    ).toMatchObject({ code: 'revoked-key' });
  });
});
