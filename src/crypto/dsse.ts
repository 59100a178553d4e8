/**
 * DSSE envelopes (secure-systems-lab/dsse, protocol v1.0.2): signatures over
 *
 *   PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
 *
 * with LEN the ASCII decimal byte length, so that the payload type is authenticated and no two
 * (type, body) pairs encode alike. Verification counts distinct trusted key ids whose signature
 * verifies and compares the count to a threshold: signatures by unknown keys are ignored, and a
 * key that signed twice still counts once.
 */
import type { PublicKey } from './keys.js';
import { base64Decode, base64Encode, concatBytes, utf8 } from './encoding.js';
import { CryptoError } from './errors.js';
import type { SignatureSuite } from './suite.js';

export interface EnvelopeSignature {
  readonly keyid: string;
  /** Standard base64 of the signature bytes. */
  readonly sig: string;
}

export interface Envelope {
  readonly payload: string;
  readonly payloadType: string;
  readonly signatures: readonly EnvelopeSignature[];
}

/** A key able to sign: its id and a signing function over bytes. */
export interface EnvelopeSigner {
  readonly keyid: string;
  sign(message: Uint8Array): Uint8Array;
}

/** A trusted public key able to verify. */
export interface EnvelopeVerifier {
  readonly keyid: string;
  verify(signature: Uint8Array, message: Uint8Array): boolean;
}

export interface EnvelopeVerification {
  /** At least `threshold` distinct trusted keys signed. */
  readonly valid: boolean;
  readonly threshold: number;
  /** Trusted key ids with a valid signature, each once, in envelope order. */
  readonly verifiedKeyIds: readonly string[];
  /**
   * The signature that verified for each of `verifiedKeyIds`, in the same order: what a log
   * should keep of the envelope (not the unknown or failed signatures beside it).
   */
  readonly verifiedSignatures: readonly EnvelopeSignature[];
  /** Trusted key ids that signed but whose signature did not verify. */
  readonly failedKeyIds: readonly string[];
  /** Signatures whose key id is not trusted (ignored). */
  readonly unknownSignatures: number;
  readonly payloadType: string;
  readonly payload: Uint8Array;
}

/**
 * Signatures one envelope may carry. Each signature by a trusted key costs a verification, so an
 * unbounded list would let one request burn unbounded CPU; real envelopes carry a handful.
 */
export const MAX_SIGNATURES = 64;

/** DSSE v1, "Signature definition": the pre-authentication encoding. */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = utf8(payloadType);
  return concatBytes(utf8(`DSSEv1 ${type.length} `), type, utf8(` ${payload.length} `), payload);
}

export function signerFor(
  key: PublicKey,
  secretKey: Uint8Array,
  suite: SignatureSuite,
): EnvelopeSigner {
  checkSuite(key, suite);
  return { keyid: key.keyid, sign: (message) => suite.sign(message, secretKey) };
}

export function verifierFor(key: PublicKey, suite: SignatureSuite): EnvelopeVerifier {
  checkSuite(key, suite);
  return {
    keyid: key.keyid,
    verify: (signature, message) => suite.verify(signature, message, key.publicKey),
  };
}

/** Signs `payload` with every signer (at least one), in order. */
export function signEnvelope(
  payloadType: string,
  payload: Uint8Array,
  signers: readonly EnvelopeSigner[],
): Envelope {
  if (signers.length === 0)
    throw new CryptoError('invalid-argument', 'a DSSE envelope needs at least one signer');
  const message = pae(payloadType, payload);
  return {
    payload: base64Encode(payload),
    payloadType,
    signatures: signers.map((signer) => ({
      keyid: signer.keyid,
      sig: base64Encode(signer.sign(message)),
    })),
  };
}

/**
 * Checks an envelope (already-parsed JSON) against trusted keys. Throws `malformed` when the
 * value is not a DSSE envelope and `invalid-argument` for an impossible threshold; a bad
 * signature is a result (`valid: false`), not an exception.
 */
export function verifyEnvelope(
  value: unknown,
  trusted: readonly EnvelopeVerifier[],
  threshold = 1,
): EnvelopeVerification {
  const envelope = parseEnvelope(value);
  const keys = new Map(trusted.map((key) => [key.keyid, key]));
  if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > keys.size)
    throw new CryptoError(
      'invalid-argument',
      `threshold must be between 1 and the number of distinct trusted keys (${keys.size}), got ${threshold}`,
    );
  const payload = base64Decode(envelope.payload, 'envelope "payload"');
  const message = pae(envelope.payloadType, payload);
  const verified = new Map<string, EnvelopeSignature>();
  const failed = new Set<string>();
  let unknownSignatures = 0;
  for (const [index, signature] of envelope.signatures.entries()) {
    const key = keys.get(signature.keyid);
    if (!key) {
      unknownSignatures++;
      continue;
    }
    if (verified.has(key.keyid)) continue;
    let bytes: Uint8Array;
    try {
      bytes = base64Decode(signature.sig, `signature ${index} "sig"`);
    } catch {
      failed.add(key.keyid);
      continue;
    }
    if (key.verify(bytes, message)) {
      verified.set(key.keyid, { keyid: key.keyid, sig: signature.sig });
      failed.delete(key.keyid);
    } else failed.add(key.keyid);
  }
  return {
    valid: verified.size >= threshold,
    threshold,
    verifiedKeyIds: [...verified.keys()],
    verifiedSignatures: [...verified.values()],
    failedKeyIds: [...failed],
    unknownSignatures,
    payloadType: envelope.payloadType,
    payload,
  };
}

/** Checks the shape of a DSSE envelope (JSON envelope format of the DSSE spec). */
export function parseEnvelope(value: unknown): Envelope {
  if (!isRecord(value)) throw malformed('expected a JSON object');
  const { payload, payloadType, signatures } = value;
  if (typeof payloadType !== 'string') throw malformed('"payloadType" must be a string');
  if (typeof payload !== 'string') throw malformed('"payload" must be a base64 string');
  if (!Array.isArray(signatures)) throw malformed('"signatures" must be an array');
  if (signatures.length > MAX_SIGNATURES)
    throw malformed(`more than ${MAX_SIGNATURES} signatures (refused: each costs a verification)`);
  const parsed = signatures.map((signature: unknown, index): EnvelopeSignature => {
    if (!isRecord(signature)) throw malformed(`signatures[${index}] must be an object`);
    const { keyid, sig } = signature;
    if (typeof sig !== 'string') throw malformed(`signatures[${index}].sig must be a string`);
    if (keyid !== undefined && typeof keyid !== 'string')
      throw malformed(`signatures[${index}].keyid must be a string`);
    // DSSE makes keyid optional; every registry signature names its key, so a signature
    // without one matches no trusted key and is ignored.
    return { keyid: keyid ?? '', sig };
  });
  return { payload, payloadType, signatures: parsed };
}

function checkSuite(key: PublicKey, suite: SignatureSuite): void {
  if (key.algorithm !== suite.id)
    throw new CryptoError(
      'invalid-argument',
      `key ${key.keyid} is ${key.algorithm} but the suite is ${suite.id}`,
    );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function malformed(message: string): CryptoError {
  return new CryptoError('malformed', `not a DSSE envelope: ${message}`);
}
