/**
 * Builds signed write requests, for clients (the `matriz register` command, tests, benchmarks).
 */
import { signEnvelope, type Envelope, type EnvelopeSigner } from '../crypto/dsse.js';
import { publicKeyToJson, type PublicKey } from '../crypto/keys.js';
import { canonicalize } from '../json/canonicalize.js';
import type { NodeSpec } from '../nodespec/nodespec.js';
import { REQUEST_PAYLOAD_TYPE } from './request.js';

export type WriteOperation =
  | { readonly op: 'register'; readonly nodeSpec: NodeSpec }
  | { readonly op: 'deregister'; readonly registryId: string };

export interface RequestOptions {
  readonly owner: PublicKey;
  readonly signer: EnvelopeSigner;
  readonly origin: string;
  /** POSIX milliseconds; defaults to now. */
  readonly now?: number;
  /** 16 or more random bytes; fresh ones by default. */
  readonly nonce?: Uint8Array;
}

export function buildWriteRequest(operation: WriteOperation, options: RequestOptions): Envelope {
  const payload = {
    op: operation.op,
    ...(operation.op === 'register'
      ? { node_spec: operation.nodeSpec }
      : { registry_id: operation.registryId }),
    owner_public_key: publicKeyToJson(options.owner),
    nonce: base64Url(options.nonce ?? crypto.getRandomValues(new Uint8Array(16))),
    issued_at: new Date(options.now ?? Date.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    origin: options.origin,
  };
  return signEnvelope(REQUEST_PAYLOAD_TYPE, new TextEncoder().encode(canonicalize(payload)), [
    options.signer,
  ]);
}

function base64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}
