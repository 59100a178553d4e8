/**
 * Register requests reach the checks as the bytes the client sent (issue 17): parsed once, with
 * the refusals of the HTTP body parser, and every canonical form the checks produce is the one
 * `canonicalize` gives.
 */
import { describe, expect, it } from 'vitest';
import { loadSignatureSuite } from '../../src/crypto/suites.js';
import { canonicalize } from '../../src/json/canonicalize.js';
import { RegistryProblem } from '../../src/registry/problems.js';
import { RequestBytes } from '../../src/registry/request-body.js';
import {
  decodeWriteRequest,
  decodeWriteRequestBytes,
  envelopeCheckWith,
  type EnvelopeCheck,
} from '../../src/registry/request.js';
import { makeOwner } from '../support/registry.js';

const check = envelopeCheckWith(loadSignatureSuite);
const encode = (text: string) => new TextEncoder().encode(text);

async function refusalOf(text: string, maxBytes = 256 * 1024): Promise<RegistryProblem> {
  const error: unknown = await decodeWriteRequestBytes(
    new RequestBytes(encode(text), maxBytes),
    check,
  ).catch((caught: unknown) => caught);
  if (error instanceof RegistryProblem) return error;
  throw new Error(`expected a refusal, got ${String(error)}`);
}

describe('a write request decoded from its bytes', () => {
  it('is the request decoded from the parsed body, with canonical forms canonicalize agrees with', async () => {
    const alice = await makeOwner('ml-dsa-44');
    const envelope = alice.request({ op: 'register', nodeSpec: alice.spec() });
    const fromBytes = await decodeWriteRequestBytes(
      new RequestBytes(encode(JSON.stringify(envelope)), 256 * 1024),
      check,
    );
    expect(fromBytes).toStrictEqual(await decodeWriteRequest(envelope, check));
    expect(fromBytes.canonicalEnvelope).toBe(canonicalize(fromBytes.envelope));
    if (fromBytes.op !== 'register') throw new Error('expected a register request');
    expect(fromBytes.canonicalSpec).toBe(canonicalize(fromBytes.nodeSpec));
  });

  it('keeps only the signature that verified, in canonical form, whatever else the envelope held', async () => {
    const alice = await makeOwner('ed25519');
    const envelope = alice.request({ op: 'register', nodeSpec: alice.spec() }) as {
      signatures: { keyid: string; sig: string }[];
    };
    const padded = {
      junk: { z: 1, a: [true, null] },
      ...envelope,
      signatures: [{ keyid: 'someone-else', sig: 'AAAA' }, ...envelope.signatures],
    };
    const request = await decodeWriteRequestBytes(
      new RequestBytes(encode(JSON.stringify(padded)), 256 * 1024),
      check,
    );
    expect(request.envelope.signatures).toStrictEqual(envelope.signatures);
    expect(request.canonicalEnvelope).toBe(canonicalize(request.envelope));
  });

  it('serializes a verified signature that is not base64 text the slow way, still canonically', async () => {
    const alice = await makeOwner('ed25519');
    const envelope = alice.request({ op: 'register', nodeSpec: alice.spec() });
    // An EnvelopeCheck of someone else's making may hand back any string as the signature.
    const lenient: EnvelopeCheck = async (body, owner) => ({
      ...(await check(body, owner)),
      signature: { keyid: owner.keyid, sig: 'line\nbreak "quoted"' },
    });
    const request = await decodeWriteRequest(envelope, lenient);
    expect(request.canonicalEnvelope).toBe(canonicalize(request.envelope));
    expect(request.canonicalEnvelope).toContain('line\\nbreak \\"quoted\\"');
  });

  it.each([
    [
      'malformed JSON',
      '{"a": ',
      'invalid-json',
      'unexpected end of input: expected a JSON value (line 1, column 7)',
    ],
    [
      'an empty body',
      '',
      'invalid-json',
      'unexpected end of input: expected a JSON value (line 1, column 1)',
    ],
    [
      'a duplicate member name',
      '{\n "payload": {"x":1,"x":2}}',
      'duplicate-key',
      'duplicate member name "x"; it is first used at line 2, column 14 (line 2, column 20)',
    ],
    ['an array', '[]', 'invalid-parameter', 'body must be object'],
    ['a string', '"x"', 'invalid-parameter', 'body must be object'],
    ['null', 'null', 'invalid-parameter', 'body must be object'],
    [
      'an object that is no envelope',
      '{}',
      'bad-signature',
      'body is not a DSSE envelope: not a DSSE envelope: "payloadType" must be a string',
    ],
  ])('refuses %s as the HTTP body parser and schema did', async (_name, text, slug, detail) => {
    const problem = await refusalOf(text);
    expect(problem.slug).toBe(slug);
    expect(problem.detail).toBe(detail);
  });

  it('says where a parse error is, and refuses a body over the limit', async () => {
    expect((await refusalOf('{\n  "a": 1,\n  "a": 2\n}')).extensions).toStrictEqual({
      line: 3,
      column: 3,
    });
    expect((await refusalOf('{"a": "0123456789"}', 8)).slug).toBe('body-too-large');
  });
});
