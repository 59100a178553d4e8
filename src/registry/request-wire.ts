/**
 * What a worker thread (the server's verify workers, fsck's and audit's leaf checkers) sends back
 * for a write request that passed its checks: the
 * `WriteRequest` without the two object trees the event loop can rebuild from text it gets
 * anyway (the NodeSpec from its canonical JSON, the logged envelope from its canonical JSON).
 * Structured cloning those trees cost more, on both threads, than `JSON.parse` of the text.
 */
import { createHash } from 'node:crypto';
import type { Envelope } from '../crypto/dsse.js';
import { base64Decode, base64Encode } from '../crypto/encoding.js';
import type { PublicKey } from '../crypto/keys.js';
import type { NodeSpec } from '../nodespec/nodespec.js';
import type { WriteRequest } from './request.js';

export type WireRequest =
  | (Omit<Extract<WriteRequest, { op: 'register' }>, 'envelope' | 'nodeSpec'> & {
      readonly envelope?: undefined;
      readonly nodeSpec?: undefined;
    })
  | (Omit<Extract<WriteRequest, { op: 'deregister' }>, 'envelope'> & {
      readonly envelope?: undefined;
    });

export function toWire(request: WriteRequest): WireRequest {
  // The key bytes get a buffer of their own: a view into a larger (pooled) buffer would be
  // cloned whole.
  const owner: PublicKey = { ...request.owner, publicKey: new Uint8Array(request.owner.publicKey) };
  const common = {
    canonicalEnvelope: request.canonicalEnvelope,
    owner,
    ownerId: request.ownerId,
    nonce: request.nonce,
    issuedAt: request.issuedAt,
    origin: request.origin,
    registryId: request.registryId,
  };
  return request.op === 'register'
    ? {
        ...common,
        op: 'register',
        canonicalSpec: request.canonicalSpec,
        specDigest: request.specDigest,
      }
    : { ...common, op: 'deregister' };
}

/**
 * The request `toWire` was given. Canonical JSON has no duplicate names and numbers that
 * round-trip, so `JSON.parse` of it is the value it was serialized from. The envelope is parsed
 * when first read: deciding and logging an owner's write needs only its canonical text.
 */
export function fromWire(wire: WireRequest): WriteRequest {
  let envelope: Envelope | undefined;
  const request =
    wire.op === 'register'
      ? { ...wire, nodeSpec: JSON.parse(wire.canonicalSpec) as NodeSpec }
      : { ...wire };
  return Object.defineProperty(request, 'envelope', {
    get: () => (envelope ??= JSON.parse(wire.canonicalEnvelope) as Envelope),
    enumerable: true,
  }) as unknown as WriteRequest;
}

/**
 * A verified request as a replica's frontend queues it for the sequencer (store/replication.ts):
 * its `WireRequest` as JSON, the owner key in base64. The sequencer decodes it with
 * `decodeQueuedRequest` and decides it at integration; the signature was checked before it was
 * queued, and the store that holds the queue also holds the log.
 */
export function encodeQueuedRequest(request: WriteRequest): string {
  const wire = toWire(request);
  return JSON.stringify({
    ...wire,
    owner: { ...wire.owner, publicKey: base64Encode(wire.owner.publicKey) },
  });
}

/** The request `encodeQueuedRequest` was given; throws when `text` is not one. */
export function decodeQueuedRequest(text: string): WriteRequest {
  const parsed = JSON.parse(text) as Record<string, unknown>;
  const owner = parsed.owner as Record<string, unknown> | null | undefined;
  const strings = ['canonicalEnvelope', 'ownerId', 'nonce', 'origin', 'registryId'];
  if (parsed.op === 'register') strings.push('canonicalSpec', 'specDigest');
  const malformed =
    (parsed.op !== 'register' && parsed.op !== 'deregister') ||
    strings.some((field) => typeof parsed[field] !== 'string') ||
    typeof parsed.issuedAt !== 'number' ||
    typeof owner !== 'object' ||
    owner === null ||
    typeof owner.publicKey !== 'string';
  if (malformed) throw new Error('not a queued write request');
  return fromWire({
    ...parsed,
    owner: { ...owner, publicKey: base64Decode(owner.publicKey as string) },
  } as unknown as WireRequest);
}

/** `sha256:<hex>` of the signed request: whether two queued writes are the same request. */
export function queuedRequestDigest(request: WriteRequest): string {
  return `sha256:${createHash('sha256').update(request.canonicalEnvelope).digest('hex')}`;
}
