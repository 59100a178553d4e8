import { describe, expect, it } from 'vitest';
import {
  pae,
  parseEnvelope,
  signEnvelope,
  signerFor,
  verifierFor,
  verifyEnvelope,
  type EnvelopeSigner,
  type EnvelopeVerifier,
} from '../../src/crypto/dsse.js';
import { publicKeyOf } from '../../src/crypto/keys.js';
import { PAYLOAD_TYPES } from '../../src/crypto/payload-types.js';
import { loadSignatureSuite } from '../../src/crypto/suites.js';

const payload = new TextEncoder().encode('{"node_type":"matriz.memory.adapter"}');

async function identity(
  alg: 'ml-dsa-44' | 'ed25519' | 'falcon-512' | 'hybrid-ml-dsa-44-ed25519',
): Promise<{ signer: EnvelopeSigner; verifier: EnvelopeVerifier }> {
  const suite = await loadSignatureSuite(alg);
  const pair = suite.generateKeyPair();
  const key = publicKeyOf(alg, pair.publicKey);
  return { signer: signerFor(key, pair.secretKey, suite), verifier: verifierFor(key, suite) };
}

describe('DSSE PAE', () => {
  it('matches the DSSE specification example', () => {
    // DSSE protocol.md, "Test case": PAE("http://example.com/HelloWorld", "hello world").
    expect(
      new TextDecoder().decode(
        pae('http://example.com/HelloWorld', new TextEncoder().encode('hello world')),
      ),
    ).toBe('DSSEv1 29 http://example.com/HelloWorld 11 hello world');
  });

  it('counts bytes, not characters', () => {
    expect(new TextDecoder().decode(pae('é', new Uint8Array(3)).subarray(0, 13))).toBe(
      'DSSEv1 2 é 3',
    );
  });
});

describe('DSSE envelopes', () => {
  it('sign with several algorithms and verify against a threshold', async () => {
    const a = await identity('ml-dsa-44');
    const b = await identity('ed25519');
    const c = await identity('hybrid-ml-dsa-44-ed25519');
    const envelope = signEnvelope(PAYLOAD_TYPES.nodeSpec, payload, [a.signer, b.signer]);
    expect(envelope.payloadType).toBe('application/vnd.matriz.nodespec.v1+json');
    expect(Buffer.from(envelope.payload, 'base64')).toEqual(Buffer.from(payload));

    const result = verifyEnvelope(envelope, [a.verifier, b.verifier, c.verifier], 2);
    expect(result).toMatchObject({
      valid: true,
      threshold: 2,
      verifiedKeyIds: [a.signer.keyid, b.signer.keyid],
      failedKeyIds: [],
      unknownSignatures: 0,
    });
    expect(result.payload).toEqual(payload);
    expect(verifyEnvelope(envelope, [a.verifier, b.verifier, c.verifier], 3).valid).toBe(false);
  });

  it('never counts a duplicated key id twice', async () => {
    const a = await identity('ml-dsa-44');
    const b = await identity('ed25519');
    const envelope = signEnvelope('t', payload, [a.signer, a.signer]);
    const result = verifyEnvelope(envelope, [a.verifier, b.verifier, a.verifier], 2);
    expect(result.valid).toBe(false);
    expect(result.verifiedKeyIds).toEqual([a.signer.keyid]);
  });

  it('ignores signatures by unknown keys and without a key id', async () => {
    const a = await identity('ed25519');
    const stranger = await identity('ed25519');
    const envelope = signEnvelope('t', payload, [stranger.signer, a.signer]);
    const noKeyId = {
      ...envelope,
      signatures: [...envelope.signatures, { sig: envelope.signatures[1]?.sig }],
    };
    const result = verifyEnvelope(noKeyId, [a.verifier], 1);
    expect(result).toMatchObject({ valid: true, unknownSignatures: 2 });
  });

  it('fails when the payload, its type or a signature is changed', async () => {
    const a = await identity('falcon-512');
    const envelope = signEnvelope('t', payload, [a.signer]);
    const otherPayload = { ...envelope, payload: Buffer.from('other').toString('base64') };
    const otherType = { ...envelope, payloadType: 'u' };
    const garbled = {
      ...envelope,
      signatures: [{ keyid: a.signer.keyid, sig: 'not base64!' }],
    };
    for (const forged of [otherPayload, otherType, garbled]) {
      const result = verifyEnvelope(forged, [a.verifier], 1);
      expect(result.valid).toBe(false);
      expect(result.failedKeyIds).toEqual([a.signer.keyid]);
    }
  });

  it('a bad signature followed by a good one from the same key counts once, as verified', async () => {
    const a = await identity('ed25519');
    const good = signEnvelope('t', payload, [a.signer]);
    const envelope = {
      ...good,
      signatures: [
        { keyid: a.signer.keyid, sig: Buffer.alloc(64).toString('base64') },
        ...good.signatures,
      ],
    };
    expect(verifyEnvelope(envelope, [a.verifier])).toMatchObject({
      valid: true,
      verifiedKeyIds: [a.signer.keyid],
      failedKeyIds: [],
    });
  });

  it('refuses malformed envelopes, impossible thresholds and signing with no key', async () => {
    const a = await identity('ed25519');
    for (const value of [
      null,
      [],
      { payloadType: 1, payload: '', signatures: [] },
      { payloadType: 't', payload: 1, signatures: [] },
      { payloadType: 't', payload: '', signatures: {} },
      { payloadType: 't', payload: '', signatures: [1] },
      { payloadType: 't', payload: '', signatures: [{ keyid: 'x' }] },
      { payloadType: 't', payload: '', signatures: [{ keyid: 1, sig: '' }] },
    ])
      expect(() => parseEnvelope(value)).toThrow(/not a DSSE envelope/);
    const envelope = signEnvelope('t', payload, [a.signer]);
    expect(() => verifyEnvelope(envelope, [a.verifier], 2)).toThrow(/threshold must be between/);
    const crowded = {
      ...envelope,
      signatures: Array(65).fill(envelope.signatures[0]) as unknown[],
    };
    expect(() => verifyEnvelope(crowded, [a.verifier], 1)).toThrow(/more than 64 signatures/);
    expect(() => verifyEnvelope(envelope, [a.verifier], 0)).toThrow(/threshold/);
    expect(() => signEnvelope('t', payload, [])).toThrow(/at least one signer/);
    const suite = await loadSignatureSuite('ml-dsa-44');
    expect(() => verifierFor(publicKeyOf('ed25519', new Uint8Array(32)), suite)).toThrow(
      /is ed25519 but the suite is ml-dsa-44/,
    );
  });
});
