/**
 * What a client checks before it believes the registry: checkpoint signatures against the log
 * keys it pinned, that a returned entry is the exact leaf it sent, that the inclusion proof puts
 * that leaf in the signed tree, and that each new checkpoint is consistent with the last one it
 * saw. Pure: bytes and documents in, verdicts out.
 */
import { base64Decode } from '../crypto/encoding.js';
import { publicKeyFromJson } from '../crypto/keys.js';
import type { SignatureSuite } from '../crypto/suite.js';
import { canonicalize } from '../json/canonicalize.js';
import {
  openCheckpoint,
  type CheckpointKeySet,
  type CheckpointVerifier,
} from '../log/checkpoint-signature.js';
import type { Checkpoint } from '../log/checkpoint.js';
import { leafHash } from '../log/hash.js';
import { parseEd25519VerifierKey } from '../log/note-keys.js';
import { verifyConsistency, verifyInclusion } from '../log/proof.js';
import type { WriteResult } from '../verify/wire.js';
import type { LogKeysDocument } from './http-client.js';

export class VerificationError extends Error {
  override readonly name = 'VerificationError';
}

/** A verifier for a log's checkpoints from its published keys document. */
export function checkpointVerifierFor(
  keys: LogKeysDocument,
  suites: { ed25519: SignatureSuite; mlDsa44: SignatureSuite },
): CheckpointVerifier {
  const { name, publicKey } = parseEd25519VerifierKey(keys.ed25519_vkey);
  const mlDsa = publicKeyFromJson(keys.ml_dsa_44, 'ml_dsa_44');
  if (mlDsa.algorithm !== 'ml-dsa-44')
    throw new VerificationError('the log ML-DSA key is not ML-DSA-44');
  if (name !== keys.origin)
    throw new VerificationError(`the log key name ${name} is not its origin ${keys.origin}`);
  return {
    name,
    ed25519PublicKey: publicKey,
    mlDsa44PublicKey: mlDsa.publicKey,
    ed25519: suites.ed25519,
    mlDsa44: suites.mlDsa44,
  };
}

export function openVerifiedCheckpoint(
  note: string,
  verifier: CheckpointVerifier | CheckpointKeySet,
): Checkpoint & { timestamp: number } {
  const opened = openCheckpoint(note, verifier, verifier.name);
  if (!opened.ok)
    throw new VerificationError(`checkpoint refused (${opened.problem}): ${opened.message}`);
  return { ...opened.checkpoint, timestamp: opened.timestamp };
}

/**
 * Checks a write's answer: the checkpoint's two signatures, that `leaf` holds exactly the
 * envelope that was sent, and the inclusion proof of that leaf in the checkpoint's tree.
 */
export function verifyWriteResult(
  result: WriteResult,
  leaf: Uint8Array,
  sentEnvelope: unknown,
  verifier: CheckpointVerifier | CheckpointKeySet,
): Checkpoint {
  const checkpoint = openVerifiedCheckpoint(result.checkpoint, verifier);
  let content: { envelope?: unknown; registry_id?: unknown };
  try {
    content = JSON.parse(new TextDecoder().decode(leaf)) as typeof content;
  } catch {
    throw new VerificationError(`log entry ${result.index} is not JSON`);
  }
  if (result.idempotent) {
    // Same content registered earlier: the leaf holds the earlier request, for the same NodeSpec.
    if (
      canonicalize(payloadOf(content.envelope).node_spec) !==
      canonicalize(payloadOf(sentEnvelope).node_spec)
    ) {
      throw new VerificationError(
        `log entry ${result.index} holds another NodeSpec than the one sent`,
      );
    }
  } else if (canonicalize(content.envelope) !== canonicalize(sentEnvelope)) {
    throw new VerificationError(
      `log entry ${result.index} does not hold the request that was sent`,
    );
  }
  if (content.registry_id !== result.registry_id)
    throw new VerificationError(
      `log entry ${result.index} is for ${String(content.registry_id)}, not ${result.registry_id}`,
    );
  const proof = result.inclusion_proof;
  if (proof.size !== checkpoint.size || proof.index !== result.index)
    throw new VerificationError('the inclusion proof is not for this entry and checkpoint');
  if (
    !verifyInclusion(
      result.index,
      checkpoint.size,
      leafHash(leaf),
      proof.hashes.map((h) => base64Decode(h)),
      checkpoint.rootHash,
    )
  ) {
    throw new VerificationError(
      `the inclusion proof of entry ${result.index} does not lead to the checkpoint's root hash`,
    );
  }
  return checkpoint;
}

/** Whether `next` extends `previous` (same origin, consistency proof verifies). */
export function isConsistent(
  previous: Checkpoint,
  next: Checkpoint,
  proof: readonly string[],
): boolean {
  if (previous.origin !== next.origin || next.size < previous.size) return false;
  return verifyConsistency(
    previous.size,
    next.size,
    previous.rootHash,
    next.rootHash,
    proof.map((h) => base64Decode(h)),
  );
}

function payloadOf(envelope: unknown): Record<string, unknown> {
  const payload = (envelope as { payload?: unknown } | undefined)?.payload;
  if (typeof payload !== 'string') throw new VerificationError('log entry holds no DSSE envelope');
  return JSON.parse(new TextDecoder().decode(base64Decode(payload))) as Record<string, unknown>;
}
