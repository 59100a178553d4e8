/**
 * RT-FUZZ (write requests): the registry's request parser (src/registry/request.ts), which every
 * POST to /register and /deregister reaches after the body parser. Mutated signed requests, and
 * requests whose payload bytes are mutated before they are sent, are refused with a
 * RegistryProblem (a documented problem type), or decode to the request the owner signed.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { signEnvelope, signerFor, type EnvelopeSigner } from '../../src/crypto/dsse.js';
import { base64Decode, base64Encode } from '../../src/crypto/encoding.js';
import { loadSignatureSuite } from '../../src/crypto/suites.js';
import { parseJson } from '../../src/json/parse.js';
import { PROBLEMS, RegistryProblem } from '../../src/registry/problems.js';
import {
  decodeWriteRequest,
  envelopeCheckWith,
  REQUEST_PAYLOAD_TYPE,
} from '../../src/registry/request.js';
import { makeOwner, type Owner } from '../support/registry.js';
import { fuzzParameters, fuzzTimeout, hostileBytes, mutations, mutate, Outcomes } from './fuzz.js';

const check = envelopeCheckWith((algorithm) => loadSignatureSuite(algorithm));
const encoder = new TextEncoder();
let owner: Owner;
let signer: EnvelopeSigner;
let register: { payload: string; payloadType: string; signatures: unknown[] };
let deregister: typeof register;

beforeAll(async () => {
  owner = await makeOwner('ed25519');
  signer = signerFor(owner.key, owner.secretKey, await loadSignatureSuite('ed25519'));
  register = owner.request({ op: 'register', nodeSpec: owner.spec('fuzz_request') }) as never;
  deregister = owner.request({
    op: 'deregister',
    registryId: 'fuzz_request@0.1.0',
  }) as never;
});

function body(bytes: Uint8Array): unknown {
  const parsed = parseJson(bytes);
  return parsed.ok ? parsed.value : undefined;
}

/** Every refusal is a problem type docs/api.md lists (PROBLEMS is that list). */
function expectDocumented(outcomes: Outcomes, error: unknown): void {
  outcomes.refusal(error);
  expect(Object.keys(PROBLEMS)).toContain((error as RegistryProblem).slug);
}

describe('RT-FUZZ: write requests', () => {
  it(
    'RT-FUZZ-8: a mutated signed request body is refused with a documented problem, or decodes to the signed request',
    async () => {
      const samples = [register, deregister].map((r) => encoder.encode(JSON.stringify(r)));
      const outcomes = new Outcomes([RegistryProblem]);
      await fc.assert(
        fc.asyncProperty(hostileBytes(samples), async (bytes) => {
          const value = body(bytes);
          if (value === undefined) return; // the body parser refuses it first (RT-FUZZ-1)
          let request;
          try {
            request = await decodeWriteRequest(value, check);
          } catch (error) {
            expectDocumented(outcomes, error);
            return;
          }
          outcomes.accepted++;
          // The signature vouches for the payload: an accepted mutation changed nothing signed.
          expect([register.payload, deregister.payload]).toContain(
            (value as { payload: string }).payload,
          );
          expect(request.ownerId).toBe(owner.ownerId);
        }),
        fuzzParameters(500),
      );
      outcomes.report('request bodies');
      expect(outcomes.refused).toBeGreaterThan(0);
    },
    fuzzTimeout(30_000),
  );

  it(
    'RT-FUZZ-9: mutated payload bytes (before any signature check) are refused with a documented problem',
    async () => {
      const payloads = [register, deregister].map((r) => base64Decode(r.payload));
      const outcomes = new Outcomes([RegistryProblem]);
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(0, 1),
          mutations,
          fc.boolean(),
          async (which, steps, resign) => {
            const sample = [register, deregister][which] as typeof register;
            const payload = mutate(payloads[which] as Uint8Array, steps);
            // Half the time the owner signs the mutated payload: the checks after the signature
            // (canonical form, nonce, time, op, NodeSpec) see it too.
            const envelope = resign
              ? { ...sample, ...signedAs(payload) }
              : { ...sample, payload: base64Encode(payload) };
            try {
              await decodeWriteRequest(envelope, check);
            } catch (error) {
              expectDocumented(outcomes, error);
              return;
            }
            outcomes.accepted++;
          },
        ),
        fuzzParameters(500),
      );
      outcomes.report('request payloads');
      expect(outcomes.refused).toBeGreaterThan(0);
    },
    fuzzTimeout(30_000),
  );
});

/** The envelope fields of `payload` signed by the owner, as a client with the key would send. */
function signedAs(payload: Uint8Array): { payload: string; signatures: unknown[] } {
  const { payload: encoded, signatures } = signEnvelope(REQUEST_PAYLOAD_TYPE, payload, [signer]);
  return { payload: encoded, signatures: [...signatures] };
}
