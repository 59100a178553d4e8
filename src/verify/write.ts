/**
 * A write answer (`WriteResult`, docs/api.md): the checkpoint is signed by the log, the logged
 * leaf is exactly the request the client sent, and the inclusion proof puts that leaf in the
 * signed tree. Only then has the registry accepted the write for everyone to see.
 */
import { base64Decode } from '../crypto/encoding.js';
import type { CheckpointKeySet, CheckpointVerifier } from '../log/checkpoint-signature.js';
import { CheckpointError } from '../log/checkpoint.js';
import { verifyCheckpointWithKeys, type VerifiedCheckpoint } from './checkpoint.js';
import { EvidenceError } from './errors.js';
import { verifyInclusionProof } from './proofs.js';
import type { WriteResult } from './wire.js';
import { isRecord, leafObject, sameJson } from './wire-json.js';

/**
 * Verifies `result` for the request whose DSSE envelope was `sentEnvelope`, given `leaf`, the
 * bytes of log entry `result.index`. An idempotent answer points at the earlier entry for the
 * same NodeSpec: that entry must hold the same `node_spec`. Throws CheckpointError (see
 * `verifyCheckpointWithKeys`) or EvidenceError `leaf-mismatch`, `wrong-entry`, `wrong-proof`,
 * `malformed-proof`, `inclusion-mismatch`.
 */
export function verifyWriteResult(
  result: WriteResult,
  leaf: Uint8Array,
  sentEnvelope: unknown,
  keys: CheckpointKeySet | CheckpointVerifier,
): VerifiedCheckpoint {
  // The answer is JSON from the registry: check its shape before reading it (RT-FUZZ-24).
  if (!isRecord(result) || typeof result.checkpoint !== 'string')
    throw new CheckpointError('malformed', 'the write answer carries no checkpoint note');
  if (!isRecord(result.inclusion_proof))
    throw new EvidenceError('malformed-proof', 'the write answer carries no inclusion proof');
  const verified = verifyCheckpointWithKeys(result.checkpoint, keys);
  const { checkpoint } = verified;
  const content = leafObject(leaf, result.index);
  if (result.idempotent) {
    if (!sameJson(nodeSpecOf(content.envelope), nodeSpecOf(sentEnvelope)))
      throw new EvidenceError(
        'leaf-mismatch',
        `log entry ${result.index} holds another NodeSpec than the one sent`,
      );
  } else if (!holdsRequest(content.envelope, sentEnvelope)) {
    throw new EvidenceError(
      'leaf-mismatch',
      `log entry ${result.index} does not hold the request that was sent`,
    );
  }
  if (content.registry_id !== result.registry_id)
    throw new EvidenceError(
      'wrong-entry',
      `log entry ${result.index} is for ${String(content.registry_id)}, not ${result.registry_id}`,
    );
  const proof = result.inclusion_proof;
  if (proof.size !== checkpoint.size || proof.index !== result.index)
    throw new EvidenceError(
      'wrong-proof',
      'the inclusion proof is not for this entry and checkpoint',
    );
  try {
    verifyInclusionProof(leaf, result.index, proof.hashes, checkpoint);
  } catch (error) {
    if (error instanceof EvidenceError && error.code === 'inclusion-mismatch')
      throw new EvidenceError(
        'inclusion-mismatch',
        `the inclusion proof of entry ${result.index} does not lead to the checkpoint's root hash`,
      );
    throw error;
  }
  return verified;
}

function nodeSpecOf(envelope: unknown): unknown {
  const payload = (envelope as { payload?: unknown } | undefined)?.payload;
  if (typeof payload !== 'string')
    throw new EvidenceError('leaf-mismatch', 'log entry holds no DSSE envelope');
  try {
    const document = JSON.parse(new TextDecoder().decode(base64Decode(payload))) as {
      node_spec?: unknown;
    };
    return document.node_spec;
  } catch (error) {
    throw new EvidenceError('leaf-mismatch', 'the envelope payload is not base64 JSON', {
      cause: error,
    });
  }
}

/**
 * Whether a logged envelope is the request that was sent: the same payload and payload type,
 * and only signatures the request carried (the log keeps the owner signature it verified and
 * drops the rest, docs/api.md "Log leaves").
 */
function holdsRequest(logged: unknown, sent: unknown): boolean {
  if (!isRecord(logged) || !isRecord(sent)) return false;
  if (logged.payload !== sent.payload || logged.payloadType !== sent.payloadType) return false;
  const signatures = logged.signatures;
  const offered = Array.isArray(sent.signatures) ? sent.signatures : [];
  return (
    Array.isArray(signatures) &&
    signatures.every((signature) => offered.some((candidate) => sameJson(candidate, signature)))
  );
}
