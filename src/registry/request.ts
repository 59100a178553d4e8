/**
 * Signed write requests: a DSSE envelope (payload type `application/vnd.matriz.request+json`)
 * whose payload is the RFC 8785 canonical JSON of
 *
 *     { "op": "register" | "deregister", "node_spec" | "registry_id", "owner_public_key",
 *       "nonce", "issued_at", "origin" }
 *
 * signed by the owner key the payload names. `decodeWriteRequest` and `checkWriteContext` run
 * the checks that need no registry state, in the order the API documents, each refusal with its
 * own problem type; `EntryLedger.apply` (entry-ledger.ts) runs the rest. None changes anything.
 */
import type { KeyAlgorithm } from '../crypto/algorithms.js';
import {
  type Envelope,
  type EnvelopeSignature,
  parseEnvelope,
  verifierFor,
  verifyEnvelope,
} from '../crypto/dsse.js';
import { sha256Digest } from '../crypto/digest.js';
import { PAYLOAD_TYPES } from '../crypto/payload-types.js';
import { base64Decode } from '../crypto/encoding.js';
import { CryptoError } from '../crypto/errors.js';
import { ownerId, publicKeyFromJson, type PublicKey } from '../crypto/keys.js';
import type { SignatureSuite } from '../crypto/suite.js';
import { CanonicalizationError, canonicalize } from '../json/canonicalize.js';
import { parseJson } from '../json/parse.js';
import { MAX_BUNDLE_ENTRY_BYTES } from '../log/tiles.js';
import { validateNodeSpec } from '../nodespec/validate.js';
import type { NodeSpec } from '../nodespec/nodespec.js';
import { RegistryProblem } from './problems.js';
import { parseRequestObject, type RequestBytes } from './request-body.js';

export const REQUEST_PAYLOAD_TYPE = PAYLOAD_TYPES.request;

/**
 * Findings one answer lists at most (a `schema-violation`'s `errors`, `/validate`'s findings);
 * beyond it the answer says `truncated: true` and gives the count. A small document with many
 * empty items otherwise makes an answer a hundred times its size (issue 13, amplification).
 */
export const MAX_REPORTED_FINDINGS = 100;

interface RequestCommon {
  /**
   * What the log keeps of the envelope: `payload`, `payloadType` and the one owner signature
   * that verified. Members outside DSSE and signatures the registry did not verify (junk, other
   * keys) are dropped: the log records only what was signed and checked (issue 13).
   */
  readonly envelope: Envelope;
  /** Its RFC 8785 form, computed once (with the request checks, off the event loop). */
  readonly canonicalEnvelope: string;
  readonly owner: PublicKey;
  readonly ownerId: string;
  readonly nonce: string;
  /** POSIX seconds. */
  readonly issuedAt: number;
  readonly origin: string;
}

export interface RegisterRequest extends RequestCommon {
  readonly op: 'register';
  readonly nodeSpec: NodeSpec;
  readonly registryId: string;
  /** RFC 8785 canonical JSON of the NodeSpec. */
  readonly canonicalSpec: string;
  /** `sha256:<hex>` of the canonical NodeSpec. */
  readonly specDigest: string;
}

export interface DeregisterRequest extends RequestCommon {
  readonly op: 'deregister';
  readonly registryId: string;
}

export type WriteRequest = RegisterRequest | DeregisterRequest;

export interface RequestContext {
  /** This log's origin. */
  readonly origin: string;
  /** Current time, POSIX milliseconds. */
  readonly now: number;
  /** How far `issued_at` may be from now, in seconds. */
  readonly freshnessSeconds: number;
}

/** The outcome of checking an envelope against the one key it must be signed by. */
export interface EnvelopeCheckResult {
  readonly valid: boolean;
  /** The envelope carries a signature with the owner's key id (valid or not). */
  readonly ownerSigned: boolean;
  /** When valid: the owner's signature that verified. */
  readonly signature?: EnvelopeSignature;
}

export type EnvelopeCheck = (envelope: unknown, owner: PublicKey) => Promise<EnvelopeCheckResult>;

/** An EnvelopeCheck that verifies in the calling thread with suites from `loadSuite`. */
export function envelopeCheckWith(
  loadSuite: (algorithm: KeyAlgorithm) => Promise<SignatureSuite>,
): EnvelopeCheck {
  return async (envelope, owner) => {
    const suite = await loadSuite(owner.algorithm);
    const verification = verifyEnvelope(envelope, [verifierFor(owner, suite)]);
    const signature = verification.verifiedSignatures[0];
    return {
      valid: verification.valid,
      ownerSigned: verification.valid || verification.failedKeyIds.length > 0,
      ...(signature === undefined ? {} : { signature }),
    };
  };
}

/** `integrated_at` is `Date.prototype.toISOString()`: always 24 characters (years 0 to 9999). */
const LEAF_FRAME_BYTES = '{"envelope":,"integrated_at":"","registry_id":}'.length + 24;

/**
 * The length of the leaf an owner's write becomes (verify/leaf.ts `encodeLeaf`, at any time),
 * without encoding it.
 */
export function ownerLeafBytes(canonicalEnvelope: string, registryId: string): number {
  return (
    LEAF_FRAME_BYTES +
    Buffer.byteLength(canonicalEnvelope, 'utf8') +
    Buffer.byteLength(canonicalize(registryId), 'utf8')
  );
}

/**
 * Refuses a write whose leaf would not fit an entry bundle (log/tiles.ts): refused here, before
 * it is queued, rather than logged and then unservable as a tile.
 */
function checkLeafSize(canonicalEnvelope: string, registryId: string): void {
  const bytes = ownerLeafBytes(canonicalEnvelope, registryId);
  if (bytes > MAX_BUNDLE_ENTRY_BYTES)
    throw new RegistryProblem(
      'entry-too-large',
      `the log entry for this request would be ${bytes} bytes; entries are at most ${MAX_BUNDLE_ENTRY_BYTES} bytes (a C2SP tlog-tiles entry bundle gives each a 16-bit length), so the signed envelope must be smaller`,
    );
}

/** ignoreBOM keeps a byte order mark in the text, so a BOM-prefixed payload is not canonical. */
const PAYLOAD_TEXT = new TextDecoder('utf-8', { ignoreBOM: true });
const NONCE = /^[A-Za-z0-9_-]{22,128}$/;
const RFC3339_UTC = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,9})?Z$/;
const REGISTRY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}@[0-9A-Za-z.+-]{1,64}$/;

/** Whether `value` is a registry id, `<name>@<version>`, as deregister requests name them. */
export function isRegistryId(value: string): boolean {
  return REGISTRY_ID.test(value);
}

export function registryIdOf(spec: NodeSpec): string {
  return `${spec.metadata.name}@${spec.metadata.version}`;
}

/**
 * `decodeWriteRequest` of a body still in bytes: parsed here (so, in the server, in a verify
 * worker rather than on the event loop), with the refusals of the HTTP body parser.
 */
export async function decodeWriteRequestBytes(
  body: Pick<RequestBytes, 'bytes' | 'maxBytes'>,
  checkEnvelope: EnvelopeCheck,
): Promise<WriteRequest> {
  return decodeWriteRequest(parseRequestObject(body), checkEnvelope);
}

/**
 * The checks that need nothing but the request: envelope, owner signature, payload, NodeSpec
 * schema and owner. Pure apart from `checkEnvelope`, so the server runs it in worker threads.
 */
export async function decodeWriteRequest(
  body: unknown,
  checkEnvelope: EnvelopeCheck,
): Promise<WriteRequest> {
  let envelope: Envelope;
  try {
    envelope = parseEnvelope(body);
  } catch (error) {
    throw new RegistryProblem(
      'bad-signature',
      `body is not a DSSE envelope: ${(error as Error).message}`,
    );
  }
  if (envelope.payloadType !== REQUEST_PAYLOAD_TYPE) {
    throw new RegistryProblem(
      'bad-signature',
      `envelope payloadType is ${JSON.stringify(envelope.payloadType)}; must be ${REQUEST_PAYLOAD_TYPE}`,
    );
  }
  const { value: payload, bytes } = decodePayload(envelope);
  const owner = ownerKeyOf(payload);
  const signature = await checkSignature(body, owner, checkEnvelope);
  rememberOwnerKey(payload, owner);
  let canonical: CanonicalMembers;
  try {
    canonical = canonicalMembers(payload);
  } catch (error) {
    // A lone surrogate (from a `\ud800` escape) has no canonical form: refused, not a 500.
    if (error instanceof CanonicalizationError)
      throw new RegistryProblem(
        'invalid-request',
        `payload has no canonical form: ${error.message}`,
      );
    throw error;
  }
  if (canonical.text !== PAYLOAD_TEXT.decode(bytes)) {
    throw new RegistryProblem(
      'invalid-request',
      'payload must be RFC 8785 canonical JSON, so that its signature has one meaning',
    );
  }

  const logged = {
    payload: envelope.payload,
    payloadType: envelope.payloadType,
    signatures: [signature] as [EnvelopeSignature],
  } satisfies Envelope;
  const common = {
    envelope: logged,
    canonicalEnvelope: canonicalEnvelopeOf(logged),
    owner,
    ownerId: ownerId(owner.keyid),
    nonce: stringField(payload, 'nonce'),
    issuedAt: issuedAtOf(payload),
    origin: stringField(payload, 'origin'),
  };
  if (!NONCE.test(common.nonce)) {
    throw new RegistryProblem(
      'invalid-request',
      '"nonce" must be at least 16 random bytes in base64url (22 or more characters)',
    );
  }
  let request: WriteRequest;
  if (payload.op === 'register') {
    const validation = validateNodeSpec(payload.node_spec);
    if (!validation.valid) {
      throw new RegistryProblem(
        'schema-violation',
        `the NodeSpec has ${validation.findings.length} schema violation(s)`,
        {
          errors: validation.findings.slice(0, MAX_REPORTED_FINDINGS).map((f) => ({
            pointer: `/node_spec${f.pointer}`,
            message: f.message,
          })),
          ...(validation.findings.length > MAX_REPORTED_FINDINGS
            ? { truncated: true, error_count: validation.findings.length }
            : {}),
        },
      );
    }
    const nodeSpec = validation.nodeSpec;
    if (nodeSpec.identity.owner_id !== common.ownerId) {
      throw new RegistryProblem(
        'owner-mismatch',
        `identity.owner_id is ${nodeSpec.identity.owner_id} but the request is signed by ${common.ownerId}`,
      );
    }
    const registryId = registryIdOf(nodeSpec);
    // One id grammar for every write: an id registered here can be deregistered, named on a
    // command line and printed without control characters or look-alikes (issue 13).
    if (!isRegistryId(registryId))
      throw new RegistryProblem(
        'schema-violation',
        `the registry id ${JSON.stringify(registryId)} is not <name>@<version>`,
        {
          errors: [
            {
              pointer: '/node_spec/metadata/version',
              message:
                '`metadata.version` must be 1 to 64 of the characters 0-9 A-Z a-z . + - (a registry id is <name>@<version>)',
            },
          ],
        },
      );
    // validateNodeSpec returns the member it checked, so its canonical form is the member's text
    // within the canonical payload, serialized once above.
    const canonicalSpec = canonical.members.get('node_spec') ?? canonicalize(nodeSpec);
    checkLeafSize(common.canonicalEnvelope, registryId);
    request = {
      ...common,
      op: 'register',
      nodeSpec,
      registryId,
      canonicalSpec,
      specDigest: sha256Digest(canonicalSpec),
    };
  } else if (payload.op === 'deregister') {
    const registryId = stringField(payload, 'registry_id');
    if (!REGISTRY_ID.test(registryId))
      throw new RegistryProblem(
        'invalid-request',
        `"registry_id" ${JSON.stringify(registryId)} is not <name>@<version>`,
      );
    checkLeafSize(common.canonicalEnvelope, registryId);
    request = { ...common, op: 'deregister', registryId };
  } else {
    throw new RegistryProblem('invalid-request', '"op" must be "register" or "deregister"');
  }
  return request;
}

/**
 * The checks against this log and the time: freshness and origin. What the registry state
 * decides (replay, revocation, entitlement, provenance, conflicts) is `EntryLedger.apply`.
 */
export function checkWriteContext(request: WriteRequest, context: RequestContext): void {
  checkFreshness(request.issuedAt, context);
  if (request.origin !== context.origin) {
    throw new RegistryProblem(
      'wrong-origin',
      `request is for log ${JSON.stringify(request.origin)}; this log is ${JSON.stringify(context.origin)}`,
    );
  }
}

/**
 * The payload as JSON. Until the signature is checked these are untrusted bytes: anything that
 * stops us from finding the key to check it with is a signature failure.
 */
function decodePayload(envelope: Envelope): { value: Record<string, unknown>; bytes: Uint8Array } {
  let bytes: Uint8Array;
  try {
    bytes = base64Decode(envelope.payload, 'envelope payload');
  } catch (error) {
    throw new RegistryProblem('bad-signature', (error as Error).message);
  }
  const parsed = parseJson(bytes);
  if (!parsed.ok) {
    throw new RegistryProblem(
      'bad-signature',
      `payload is not JSON (${parsed.error.message} at ${parsed.error.line}:${parsed.error.column}), so it names no owner key to verify with`,
    );
  }
  const value = parsed.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RegistryProblem(
      'bad-signature',
      'payload is not a JSON object, so it names no owner key to verify with',
    );
  }
  return { value, bytes };
}

/** Characters of base64 text (RFC 4648 section 4), none of which JSON escapes. */
const BASE64_TEXT = /^[A-Za-z0-9+/=]*$/;

/**
 * `canonicalize(envelope)` for the logged envelope. Its payload was decoded as strict base64
 * above (`decodePayload`), and the signature that verified is base64 too, so the two long
 * strings are written without serializing them again; the short ones go through `canonicalize`.
 * Members in RFC 8785 order (section 3.2.3).
 */
function canonicalEnvelopeOf(envelope: {
  readonly payload: string;
  readonly payloadType: string;
  readonly signatures: readonly [EnvelopeSignature];
}): string {
  const [signature] = envelope.signatures;
  if (!BASE64_TEXT.test(envelope.payload) || !BASE64_TEXT.test(signature.sig))
    return canonicalize(envelope);
  return `{"payload":"${envelope.payload}","payloadType":${canonicalize(envelope.payloadType)},"signatures":[{"keyid":${canonicalize(signature.keyid)},"sig":"${signature.sig}"}]}`;
}

interface CanonicalMembers {
  /** RFC 8785 form of the whole object. */
  readonly text: string;
  /** RFC 8785 form of each member's value, by name. */
  readonly members: ReadonlyMap<string, string>;
}

/**
 * `canonicalize(object)` for a parsed JSON object, keeping each member value's canonical text,
 * so that a member needed on its own (the NodeSpec) is not serialized a second time. Members are
 * sorted by name as UTF-16 code units, RFC 8785 section 3.2.3, exactly as `canonicalize` does.
 */
function canonicalMembers(object: Record<string, unknown>): CanonicalMembers {
  const members = new Map<string, string>();
  const parts: string[] = [];
  for (const name of Object.keys(object).sort()) {
    const value = canonicalize(object[name]);
    members.set(name, value);
    parts.push(`${canonicalize(name)}:${value}`);
  }
  return { text: `{${parts.join(',')}}`, members };
}

/**
 * Owner keys that signed a request this thread verified, by their base64 text: a registry's
 * writes come from a few thousand owners, and reading an ML-DSA key again (base64, length,
 * SHA-256 key id) costs about a tenth of a signature check. Only keys whose signature verified
 * are kept, so requests with made-up keys cannot fill it. Bounded (a few MB): cleared when full.
 */
const ownerKeys = new Map<string, PublicKey>();
const MAX_OWNER_KEYS = 1024;

/** Keeps `owner`, read from `payload`, once a signature by it verified. */
function rememberOwnerKey(payload: Record<string, unknown>, owner: PublicKey): void {
  const encoded = (payload.owner_public_key as { public_key: string }).public_key;
  if (ownerKeys.get(encoded) === owner) return;
  if (ownerKeys.size >= MAX_OWNER_KEYS) ownerKeys.clear();
  ownerKeys.set(encoded, owner);
}

/** `publicKeyFromJson` of a key read before, with the same checks, without reading it again. */
function knownOwnerKey(json: unknown): PublicKey | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const { alg, public_key: encoded, keyid, owner_id: owner } = json as Record<string, unknown>;
  if (typeof encoded !== 'string') return undefined;
  const key = ownerKeys.get(encoded);
  if (key === undefined || key.algorithm !== alg) return undefined;
  if (keyid !== undefined && keyid !== key.keyid) return undefined;
  if (owner !== undefined && owner !== ownerId(key.keyid)) return undefined;
  return key;
}

function ownerKeyOf(payload: Record<string, unknown>): PublicKey {
  const json = payload.owner_public_key;
  const known = knownOwnerKey(json);
  if (known !== undefined) return known;
  try {
    return publicKeyFromJson(json, 'owner_public_key');
  } catch (error) {
    if (error instanceof CryptoError)
      throw new RegistryProblem('bad-signature', `cannot verify: ${error.message}`);
    throw error;
  }
}

/** The owner's signature that verified; refuses (`bad-signature`) when none did. */
async function checkSignature(
  body: unknown,
  owner: PublicKey,
  checkEnvelope: EnvelopeCheck,
): Promise<EnvelopeSignature> {
  const verification = await checkEnvelope(body, owner);
  if (!verification.valid || verification.signature === undefined) {
    const detail = verification.ownerSigned
      ? `the signature by key ${owner.keyid} does not verify over the envelope payload`
      : `the envelope has no signature by the owner key ${owner.keyid}`;
    throw new RegistryProblem('bad-signature', detail);
  }
  return verification.signature;
}

function stringField(payload: Record<string, unknown>, name: string): string {
  const value = payload[name];
  if (typeof value !== 'string')
    throw new RegistryProblem('invalid-request', `payload field "${name}" must be a string`);
  return value;
}

function issuedAtOf(payload: Record<string, unknown>): number {
  const text = stringField(payload, 'issued_at');
  const match = RFC3339_UTC.exec(text);
  const time = Date.parse(text);
  // Date.parse normalises impossible times (Feb 30, 24:00:00); the fields must survive it.
  if (!match || Number.isNaN(time) || new Date(time).toISOString().slice(0, 19) !== match[1]) {
    throw new RegistryProblem(
      'invalid-request',
      '"issued_at" must be an RFC 3339 UTC time such as 2026-11-26T12:00:00Z',
    );
  }
  return Math.floor(time / 1000);
}

function checkFreshness(issuedAt: number, context: RequestContext): void {
  // In milliseconds: a request issued exactly the window ago passes, one a millisecond older does
  // not (whole seconds would let `window + 0.999 s` through). The nonce is kept until the first
  // second at which this refuses the request (Sequencer, freshnessSeconds).
  const age = context.now - issuedAt * 1000;
  const window = context.freshnessSeconds;
  if (age > window * 1000) {
    throw new RegistryProblem(
      'stale-request',
      `request was issued ${Math.floor(age / 1000)} s ago; the freshness window is ${window} s`,
    );
  }
  if (-age > window * 1000) {
    throw new RegistryProblem(
      'stale-request',
      `request is issued ${Math.ceil(-age / 1000)} s in the future; the freshness window is ${window} s (check the client clock)`,
    );
  }
}
