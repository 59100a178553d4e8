/**
 * Signed payloads have one byte form and one meaning (issue 13, low findings): a byte order mark
 * before otherwise canonical JSON, and times Date.parse would normalise (Feb 30, 24:00:00), are
 * refused, in write requests and in trust documents alike.
 */
import { describe, expect, it } from 'vitest';
import { signEnvelope, signerFor } from '../../src/crypto/dsse.js';
import { base64Decode } from '../../src/crypto/encoding.js';
import { publicKeyOf } from '../../src/crypto/keys.js';
import { loadSignatureSuite } from '../../src/crypto/suites.js';
import { canonicalize } from '../../src/json/canonicalize.js';
import { RegistryProblem } from '../../src/registry/problems.js';
import { buildWriteRequest } from '../../src/registry/request-builder.js';
import {
  decodeWriteRequest,
  envelopeCheckWith,
  REQUEST_PAYLOAD_TYPE,
} from '../../src/registry/request.js';
import { enrolmentPayload, parseEnrolment } from '../../src/trust/enrolment.js';
import { TrustError } from '../../src/trust/errors.js';
import { ORIGIN, makeOwner } from '../support/registry.js';

const check = envelopeCheckWith(loadSignatureSuite);
const BOM = [0xef, 0xbb, 0xbf];

async function owner() {
  const suite = await loadSignatureSuite('ed25519');
  const pair = suite.generateKeyPair();
  const key = publicKeyOf('ed25519', pair.publicKey);
  return { key, signer: signerFor(key, pair.secretKey, suite) };
}

async function refusal(body: unknown): Promise<RegistryProblem> {
  try {
    await decodeWriteRequest(body, check);
  } catch (error) {
    if (error instanceof RegistryProblem) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('write requests have one byte form and one meaning', () => {
  it('refuses a correctly signed payload with a byte order mark before its canonical JSON', async () => {
    const { key, signer } = await owner();
    const sent = buildWriteRequest(
      { op: 'deregister', registryId: 'a@1.0.0' },
      { owner: key, signer, origin: ORIGIN },
    );
    const bytes = base64Decode(sent.payload);
    await expect(decodeWriteRequest(sent, check)).resolves.toMatchObject({ op: 'deregister' });
    const withBom = signEnvelope(REQUEST_PAYLOAD_TYPE, new Uint8Array([...BOM, ...bytes]), [
      signer,
    ]);
    const refused = await refusal(withBom);
    expect(refused.slug).toBe('invalid-request');
    expect(refused.detail).toMatch(/canonical/);
  });

  it('checks an owner key read before as fully as a new one (a wrong keyid, owner_id or algorithm with the same key bytes)', async () => {
    const { key, signer } = await owner();
    const first = buildWriteRequest(
      { op: 'deregister', registryId: 'a@1.0.0' },
      { owner: key, signer, origin: ORIGIN },
    );
    await expect(decodeWriteRequest(first, check)).resolves.toMatchObject({ owner: key });
    const payload = JSON.parse(new TextDecoder().decode(base64Decode(first.payload))) as Record<
      string,
      unknown
    >;
    const keyJson = payload.owner_public_key as Record<string, unknown>;
    const withKey = (changed: Record<string, unknown>) =>
      signEnvelope(
        REQUEST_PAYLOAD_TYPE,
        new TextEncoder().encode(canonicalize({ ...payload, owner_public_key: changed })),
        [signer],
      );
    const wrongKeyid = await refusal(withKey({ ...keyJson, keyid: 'f'.repeat(64) }));
    expect(wrongKeyid.slug).toBe('bad-signature');
    expect(wrongKeyid.detail).toMatch(/"keyid" .* does not match the key/);
    const wrongOwner = await refusal(withKey({ ...keyJson, owner_id: `GLYMPH:${'f'.repeat(64)}` }));
    expect(wrongOwner.detail).toMatch(/"owner_id" does not match the key/);
    // The same 32 bytes read as another algorithm: not the cached key (its length is wrong).
    const otherAlgorithm = await refusal(
      withKey({ alg: 'ml-dsa-44', public_key: keyJson.public_key }),
    );
    expect(otherAlgorithm.slug).toBe('bad-signature');
    expect(otherAlgorithm.detail).toMatch(/cannot verify/);
    // And the key as first sent still decodes, from the cache.
    await expect(decodeWriteRequest(first, check)).resolves.toMatchObject({ owner: key });
  });

  it('refuses issued_at times that do not exist instead of normalising them', async () => {
    const { key, signer } = await owner();
    const sent = buildWriteRequest(
      { op: 'deregister', registryId: 'a@1.0.0' },
      { owner: key, signer, origin: ORIGIN },
    );
    const payload = JSON.parse(new TextDecoder().decode(base64Decode(sent.payload))) as Record<
      string,
      unknown
    >;
    for (const issuedAt of [
      '2026-02-30T10:00:00Z',
      '2026-11-26T24:00:00Z',
      '2026-11-26T12:60:00Z',
      '2026-13-01T00:00:00Z',
    ]) {
      const envelope = signEnvelope(
        REQUEST_PAYLOAD_TYPE,
        new TextEncoder().encode(canonicalize({ ...payload, issued_at: issuedAt })),
        [signer],
      );
      const refused = await refusal(envelope);
      expect(refused.slug, issuedAt).toBe('invalid-request');
      expect(refused.detail).toMatch(/issued_at/);
    }
  });
});

describe('trust documents have one byte form', () => {
  it('refuses an enrolment payload with a byte order mark', async () => {
    const alice = await makeOwner('ed25519');
    const payload = enrolmentPayload({
      origin: ORIGIN,
      owner: alice.key,
      lanes: ['core'],
      maxTier: 3,
      enrolledAt: '2026-12-05T12:00:00Z',
    });
    expect(parseEnrolment(payload).ownerId).toBe(alice.ownerId);
    expect(() => parseEnrolment(new Uint8Array([...BOM, ...payload]))).toThrow(TrustError);
  });
});
