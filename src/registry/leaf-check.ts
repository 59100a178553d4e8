/**
 * The checks of one log leaf that need nothing but the leaf: its hash, its JSON and canonical
 * form, and for an owner's write every check `decodeWriteRequest` makes at write time (the owner
 * signature above all) plus the log's origin. They are what a full check of a log spends its time
 * on, and they are independent, so fsck and audit run them on all cores (leaf-check-pool.ts);
 * what depends on the leaves before (replay, log-replay.ts) stays in log order on one thread.
 */
import { CanonicalizationError, canonicalize } from '../json/canonicalize.js';
import { leafHash } from '../log/hash.js';
import { RegistryProblem } from './problems.js';
import { toWire, type WireRequest } from './request-wire.js';
import { checkWriteContext, decodeWriteRequest, type EnvelopeCheck } from './request.js';

/** What the replay needs of a leaf, after the checks that need nothing else. */
export type LeafCheck =
  | {
      readonly kind: 'owner';
      readonly leafHash: Uint8Array;
      /** The request the leaf's envelope decodes to; its canonicalEnvelope is the leaf's. */
      readonly request: WireRequest;
      /** The leaf's `registry_id` member, as it is (the replay compares it with the request's). */
      readonly registryId: unknown;
      readonly integratedAt: string;
      /** The leaf is RFC 8785 canonical JSON. */
      readonly canonical: boolean;
      /**
       * The leaf's text is exactly the record the registry logs for `request` with its
       * `integrated_at` and `registry_id` (verify/leaf.ts encodeLeaf), compared here so that the
       * replay need not encode and compare it again.
       */
      readonly asLogged: boolean;
    }
  | {
      readonly kind: 'control';
      readonly leafHash: Uint8Array;
      /** The leaf's `kind` member (the replay checks it is a known one). */
      readonly control: unknown;
      readonly envelope: unknown;
      readonly integratedAt: string;
      readonly canonical: boolean;
    }
  | {
      /** An owner's write whose request fails a write-time check. */
      readonly kind: 'refused';
      readonly leafHash: Uint8Array;
      /** The check's refusal, for the report. */
      readonly problem: string;
      readonly canonical: boolean;
    }
  | { readonly kind: 'not-json'; readonly leafHash: Uint8Array };

const decoder = new TextDecoder();

export async function checkLeaf(
  leaf: Uint8Array,
  origin: string,
  checkEnvelope: EnvelopeCheck,
): Promise<LeafCheck> {
  const hash = leafHash(leaf);
  const text = decoder.decode(leaf);
  let content: {
    envelope?: unknown;
    registry_id?: unknown;
    integrated_at?: unknown;
    kind?: unknown;
  };
  try {
    content = JSON.parse(text) as typeof content;
  } catch {
    return { kind: 'not-json', leafHash: hash };
  }
  const integratedAt = String(content.integrated_at);
  if (content.kind !== undefined)
    return {
      kind: 'control',
      leafHash: hash,
      control: content.kind,
      envelope: content.envelope,
      integratedAt,
      canonical: isCanonical(text, content),
    };
  try {
    // The same checks as at write time, minus time: those held when it was integrated.
    const decoded = await decodeWriteRequest(content.envelope, checkEnvelope);
    // A leaf written by this version holds the envelope as the registry logs it (decoded's
    // canonicalEnvelope), so the leaf is canonical when it is that record: one comparison
    // instead of serializing the leaf and its envelope again. Leaves of earlier versions kept
    // the envelope as received (members and signatures that were not checked) and are judged
    // as logged.
    const record = `{"envelope":${decoded.canonicalEnvelope},"integrated_at":${canonicalize(integratedAt)},"registry_id":${canonicalize(content.registry_id ?? null)}}`;
    const asLogged = record === text;
    const request = asLogged
      ? decoded
      : { ...decoded, canonicalEnvelope: canonicalize(content.envelope) };
    checkWriteContext(request, { origin, now: 0, freshnessSeconds: Number.MAX_SAFE_INTEGER });
    return {
      kind: 'owner',
      leafHash: hash,
      request: toWire(request),
      registryId: content.registry_id,
      integratedAt,
      canonical: asLogged || isCanonical(text, content),
      asLogged,
    };
  } catch (error) {
    return {
      kind: 'refused',
      leafHash: hash,
      problem: error instanceof RegistryProblem ? error.message : String(error),
      canonical: isCanonical(text, content),
    };
  }
}

/** Whether `text` is the RFC 8785 form of `value` (false when it has none: a lone surrogate). */
function isCanonical(text: string, value: unknown): boolean {
  try {
    return text === canonicalize(value);
  } catch (error) {
    if (error instanceof CanonicalizationError) return false;
    throw error;
  }
}
