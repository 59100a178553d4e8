/**
 * Signature forgery: a write the owner did not sign is refused, whatever was forged, and the log
 * does not change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64Decode, base64Encode } from '../../src/crypto/encoding.js';
import { makeOwner, type Owner } from '../support/registry.js';
import { expectProblem, startTarget, type Target } from './harness.js';

const REGISTER = '/api/v1/registry/register';
let target: Target;
let alice: Owner;
let mallory: Owner;

beforeAll(async () => {
  target = await startTarget();
  alice = await makeOwner('ml-dsa-44');
  mallory = await makeOwner('ed25519');
}, 60_000);

afterAll(async () => {
  await target.expectFsckClean();
  await target.stop();
});

type Envelope = {
  payload: string;
  payloadType: string;
  signatures: { keyid: string; sig: string }[];
};
const request = (owner: Owner, name: string) =>
  owner.request({ op: 'register', nodeSpec: owner.spec(name) }) as Envelope;

async function refusedUnchanged(body: unknown, status: number, slug: string) {
  const before = await target.treeSize();
  expectProblem(await target.post(REGISTER, body), status, slug);
  expect(await target.treeSize()).toBe(before);
}

describe('RT-FORGE: signature forgery', () => {
  it('RT-FORGE-1: random signature bytes are refused (bad-signature), nothing logged', async () => {
    const envelope = request(alice, 'forge_one');
    const sig = base64Decode(envelope.signatures[0]?.sig ?? '');
    const random = base64Encode(crypto.getRandomValues(new Uint8Array(sig.length)));
    await refusedUnchanged(
      { ...envelope, signatures: [{ keyid: envelope.signatures[0]?.keyid, sig: random }] },
      401,
      'bad-signature',
    );
  });

  it("RT-FORGE-2: a signature by another key than the payload's owner key is refused", async () => {
    const aliceRequest = request(alice, 'forge_two');
    const malloryRequest = request(mallory, 'forge_two');
    await refusedUnchanged(
      { ...aliceRequest, signatures: malloryRequest.signatures },
      401,
      'bad-signature',
    );
  });

  it("RT-FORGE-3: the owner's signature over another payload is refused", async () => {
    const signed = request(alice, 'forge_three');
    const other = request(alice, 'forge_three_other');
    await refusedUnchanged({ ...other, signatures: signed.signatures }, 401, 'bad-signature');
  });

  it('RT-FORGE-4: a payloadType swap (the signature covers the type) is refused', async () => {
    const envelope = request(alice, 'forge_four');
    await refusedUnchanged(
      { ...envelope, payloadType: 'application/vnd.matriz.enrolment+json' },
      401,
      'bad-signature',
    );
  });

  it("RT-FORGE-5: owner forgery, a NodeSpec naming another owner signed by the attacker's key, is refused (owner-mismatch)", async () => {
    const spec = mallory.spec('forge_five');
    spec.identity.owner_id = alice.ownerId;
    await refusedUnchanged(
      mallory.request({ op: 'register', nodeSpec: spec }),
      403,
      'owner-mismatch',
    );
  });

  it('RT-FORGE-6: a signature in a base64 variant (URL-safe, unpadded) of valid bytes is not a second form', async () => {
    const envelope = request(alice, 'forge_six');
    const sig = envelope.signatures[0]?.sig ?? '';
    const variant = sig.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    if (variant === sig) return; // no character to vary in this signature
    await refusedUnchanged(
      { ...envelope, signatures: [{ keyid: envelope.signatures[0]?.keyid, sig: variant }] },
      401,
      'bad-signature',
    );
  });

  it('RT-FORGE-7: the genuine request is accepted, so the refusals above were about the forgery', async () => {
    const before = await target.treeSize();
    const answer = await target.post(REGISTER, request(alice, 'forge_genuine'));
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(await target.treeSize()).toBe(before + 1);
  });

  it('RT-FORGE-8: members outside DSSE and junk signatures beside the valid one are not logged: the leaf keeps only what was signed and verified', async () => {
    const envelope = request(alice, 'forge_eight');
    const valid = envelope.signatures[0] as { keyid: string; sig: string };
    const padded = {
      ...envelope,
      note: 'unsigned text a reader might take for part of the record',
      signatures: [
        { keyid: valid.keyid, sig: base64Encode(new Uint8Array(64).fill(7)) },
        { keyid: 'not-a-key-of-this-request', sig: 'AAAA' },
        valid,
        { sig: base64Encode(new Uint8Array(3300)) },
      ],
    };
    const before = await target.treeSize();
    const answer = await target.post(REGISTER, padded);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(await target.treeSize()).toBe(before + 1);
    const leaf = (await (
      await fetch(`${target.url}/api/v1/log/entries/${String(answer.body.index)}`)
    ).json()) as { envelope: Record<string, unknown> };
    expect(leaf.envelope).toStrictEqual({
      payload: envelope.payload,
      payloadType: envelope.payloadType,
      signatures: [valid],
    });
    // The same signed request with other padding is the same request: a replay.
    expectProblem(await target.post(REGISTER, { ...padded, note: 'other' }), 409, 'replayed-nonce');
    expect(await target.treeSize()).toBe(before + 1);
  });
});
