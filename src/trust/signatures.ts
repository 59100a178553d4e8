/**
 * Signing and checking the DSSE envelopes of the trust layer. Keys are checked with the suite of
 * the algorithm their trusted document names (never one the signer picks), loaded through a
 * `SuiteLoader` the caller passes: `loadSignatureSuite` from src/crypto/suites.ts fits, or
 * `preloadedSuites([...])` in a browser or a test that already holds the suites.
 */
import type { KeyAlgorithm } from '../crypto/algorithms.js';
import {
  pae,
  parseEnvelope,
  verifierFor,
  verifyEnvelope,
  type Envelope,
  type EnvelopeSigner,
} from '../crypto/dsse.js';
import { base64Decode, base64Encode } from '../crypto/encoding.js';
import { CryptoError } from '../crypto/errors.js';
import type { PublicKey } from '../crypto/keys.js';
import type { SignatureSuite } from '../crypto/suite.js';
import { TrustError } from './errors.js';

/** Where verification gets the suite for a key's algorithm. */
export type SuiteLoader = (algorithm: KeyAlgorithm) => SignatureSuite | Promise<SignatureSuite>;

/** A loader over suites already loaded; asking for any other algorithm throws `unknown-algorithm`. */
export function preloadedSuites(suites: readonly SignatureSuite[]): SuiteLoader {
  const byId = new Map(suites.map((suite) => [suite.id, suite]));
  return (algorithm) => {
    const suite = byId.get(algorithm);
    if (!suite)
      throw new CryptoError('unknown-algorithm', `no ${algorithm} suite was given to verify with`);
    return suite;
  };
}

/** An envelope over `payload` with no signatures yet: the start of a multi-party signing. */
export function unsignedEnvelope(payloadType: string, payload: Uint8Array): Envelope {
  return { payload: base64Encode(payload), payloadType, signatures: [] };
}

/**
 * Adds `signer`'s signature to `envelope` without changing its payload. Refuses
 * (`duplicate-signature`) when the envelope already carries a signature by that keyid.
 */
export function addSignature(envelope: Envelope, signer: EnvelopeSigner): Envelope {
  const parsed = readEnvelope(envelope, 'envelope');
  if (parsed.signatures.some((s) => s.keyid === signer.keyid))
    throw new TrustError(
      'duplicate-signature',
      `the envelope is already signed by key ${signer.keyid}; a key signs once`,
    );
  const payload = base64Decode(parsed.payload, 'envelope "payload"');
  const sig = base64Encode(signer.sign(pae(parsed.payloadType, payload)));
  return { ...parsed, signatures: [...parsed.signatures, { keyid: signer.keyid, sig }] };
}

/** Signs `payload` with every signer in order (none gives an unsigned envelope). */
export function signDocument(
  payloadType: string,
  payload: Uint8Array,
  signers: readonly EnvelopeSigner[],
): Envelope {
  return signers.reduce(addSignature, unsignedEnvelope(payloadType, payload));
}

export interface SignedBy {
  /** The verified payload bytes. */
  readonly payload: Uint8Array;
  /** The distinct keyids whose signature verified. */
  readonly keyids: readonly string[];
}

/**
 * Checks that `value` is a DSSE envelope of `payloadType` signed by at least `threshold`
 * distinct keys of `keys` (a key that signed twice counts once; signatures by other keys are
 * ignored). Throws `malformed`, `wrong-type`, or `threshold` naming who signed and who did not.
 */
export async function verifySignedBy(
  value: unknown,
  payloadType: string,
  keys: readonly PublicKey[],
  threshold: number,
  what: string,
  suites: SuiteLoader,
): Promise<SignedBy> {
  const envelope = readEnvelope(value, what);
  if (envelope.payloadType !== payloadType)
    throw new TrustError(
      'wrong-type',
      `${what}: payloadType is ${JSON.stringify(envelope.payloadType)}, expected ${JSON.stringify(payloadType)}`,
    );
  const verifiers = await Promise.all(
    keys.map(async (key) => verifierFor(key, await suites(key.algorithm))),
  );
  const result = verifyEnvelope(envelope, verifiers, threshold);
  if (!result.valid)
    throw new TrustError(
      'threshold',
      `${what}: signed by ${result.verifiedKeyIds.length} of the required ${threshold} keys` +
        (result.verifiedKeyIds.length > 0 ? ` (${result.verifiedKeyIds.join(', ')})` : '') +
        (result.failedKeyIds.length > 0
          ? `; signatures that do not verify: ${result.failedKeyIds.join(', ')}`
          : '') +
        (result.unknownSignatures > 0
          ? `; ${result.unknownSignatures} signature(s) by keys without that role ignored`
          : ''),
    );
  return { payload: result.payload, keyids: result.verifiedKeyIds };
}

export function readEnvelope(value: unknown, what: string): Envelope {
  try {
    const envelope = parseEnvelope(value);
    base64Decode(envelope.payload, `${what}: envelope "payload"`);
    return envelope;
  } catch (error) {
    if (error instanceof CryptoError)
      throw new TrustError('malformed', `${what}: ${error.message}`, { cause: error });
    throw error;
  }
}
