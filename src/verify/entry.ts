/**
 * A registry entry as `GET /api/v1/registry/{id}` and the query pages return it, checked against
 * the log: the leaf at its `log_index` is in the tree of a verified checkpoint (inclusion proof),
 * is the owner's registration of this registry id, and holds exactly the entry's NodeSpec, signed
 * by the key whose GLYMPH id is the entry's owner.
 *
 * What this proves: the registry logged this NodeSpec for this owner, and everyone sees the same
 * log. What it cannot prove from one entry: that no later write (a deregistration) is missing
 * from the answer; that is what monitors replaying the log (`matriz fsck`) are for.
 */
import { base64Decode } from '../crypto/encoding.js';
import { ownerId, publicKeyFromJson } from '../crypto/keys.js';
import { parseLegacyImport, type LegacyImport } from '../trust/legacy-import.js';
import { EvidenceError } from './errors.js';
import { parseLeaf, verifyClaimLeaf, verifyLegacyImportLeaf } from './leaf.js';
import { verifyInclusionProof, type ProofHashes, type TreeHead } from './proofs.js';
import type { TrustRoot } from '../trust/trust-root.js';
import type { VerifierSuites } from './suites.js';
import { isRecord, leafObject, sameJson } from './wire-json.js';

/** An entry of the registry (docs/api.md, "Entry"). */
export interface RegistryEntry {
  readonly registry_id: string;
  readonly owner_id: string;
  readonly lane: string;
  readonly tier: number;
  readonly status: 'active' | 'deregistered';
  readonly spec_digest: string;
  readonly log_index: number;
  readonly deregistered_log_index?: number;
  readonly integrated_at: string;
  /** `legacy-import` for an entry brought over from the prototype registry (docs/api.md). */
  readonly provenance?: 'owner' | 'legacy-import';
  /** For an imported entry bound to its owner's key: the log index of that claim. */
  readonly claimed_log_index?: number;
  readonly node_spec: Readonly<Record<string, unknown>>;
}

/**
 * Verifies `entry` given `leaf`, the bytes of log entry `entry.log_index`, and its inclusion
 * `proof` in `checkpoint` (already verified: `verifyCheckpoint...`). Throws EvidenceError
 * `malformed-proof`, `inclusion-mismatch`, `leaf-mismatch` or `wrong-entry`.
 */
export function verifyEntry(
  entry: RegistryEntry,
  leaf: Uint8Array,
  proof: ProofHashes,
  checkpoint: TreeHead,
): void {
  // The entry is JSON from the registry: check its shape before reading it (RT-FUZZ-24).
  if (!isRecord(entry)) throw new EvidenceError('wrong-entry', 'the entry is not a JSON object');
  verifyInclusionProof(leaf, entry.log_index, proof, checkpoint);
  if (entry.provenance === 'legacy-import') {
    checkImported(entry, leaf);
    return;
  }
  const content = leafObject(leaf, entry.log_index);
  if (content.registry_id !== entry.registry_id)
    throw new EvidenceError(
      'wrong-entry',
      `log entry ${entry.log_index} is for ${String(content.registry_id)}, not ${entry.registry_id}`,
    );
  const envelope = content.envelope;
  const request = requestOf(isRecord(envelope) ? envelope.payload : undefined, entry.log_index);
  if (request.op !== 'register')
    throw new EvidenceError(
      'wrong-entry',
      `log entry ${entry.log_index} is a ${String(request.op)}, not the registration of ${entry.registry_id}`,
    );
  if (!sameJson(request.node_spec, entry.node_spec))
    throw new EvidenceError(
      'leaf-mismatch',
      `the NodeSpec of ${entry.registry_id} is not the one logged at index ${entry.log_index}`,
    );
  let signer: string;
  try {
    signer = ownerId(publicKeyFromJson(request.owner_public_key, 'owner_public_key').keyid);
  } catch {
    throw new EvidenceError(
      'leaf-mismatch',
      `log entry ${entry.log_index} has no valid owner public key`,
    );
  }
  if (signer !== entry.owner_id)
    throw new EvidenceError(
      'wrong-entry',
      `${entry.registry_id} is said to be owned by ${entry.owner_id}, but was registered by ${signer}`,
    );
}

function requestOf(
  payload: unknown,
  index: number,
): { op?: unknown; node_spec?: unknown; owner_public_key?: unknown } {
  if (typeof payload !== 'string')
    throw new EvidenceError('leaf-mismatch', `log entry ${index} holds no DSSE envelope`);
  let request: unknown;
  try {
    request = JSON.parse(new TextDecoder().decode(base64Decode(payload)));
  } catch {
    throw new EvidenceError('leaf-mismatch', `log entry ${index} holds an unreadable request`);
  }
  if (!isRecord(request))
    throw new EvidenceError('leaf-mismatch', `log entry ${index} holds no request object`);
  return request;
}

/**
 * An imported entry's leaf is the operator's `legacy-import` record, not an owner's request: it
 * must name this registry id and hold exactly this NodeSpec, and until a claim binds the entry to
 * a key its owner is the NodeSpec's `owner_id`. The record's signature (the enrolment role) needs
 * the trust root: `verifyLegacyImportLeaf`, and `verifyClaimLeaf` for a claimed entry.
 */
function checkImported(entry: RegistryEntry, leaf: Uint8Array): void {
  const parsed = parseLeaf(leaf);
  if (parsed.kind !== 'legacy-import')
    throw new EvidenceError(
      'leaf-mismatch',
      `${entry.registry_id} is said to be imported, but log entry ${entry.log_index} is a ${parsed.kind} record`,
    );
  let record: LegacyImport;
  try {
    record = parseLegacyImport(
      base64Decode((parsed.envelope as { payload?: unknown }).payload as string, 'payload'),
    );
  } catch {
    throw new EvidenceError(
      'leaf-mismatch',
      `log entry ${entry.log_index} holds no legacy import record`,
    );
  }
  if (record.registryId !== entry.registry_id)
    throw new EvidenceError(
      'wrong-entry',
      `log entry ${entry.log_index} imports ${record.registryId}, not ${entry.registry_id}`,
    );
  if (!sameJson(record.nodeSpec, entry.node_spec))
    throw new EvidenceError(
      'leaf-mismatch',
      `the NodeSpec of ${entry.registry_id} is not the one imported at index ${entry.log_index}`,
    );
  const identity = record.nodeSpec.identity as { owner_id?: unknown } | undefined;
  if (entry.claimed_log_index === undefined && identity?.owner_id !== entry.owner_id)
    throw new EvidenceError(
      'wrong-entry',
      `${entry.registry_id} is said to be owned by ${entry.owner_id}, but was imported for ${String(identity?.owner_id)} and never claimed`,
    );
}

/** The claim record that binds an imported entry to its owner, as a client fetches it. */
export interface ClaimEvidence {
  /** The leaf at the entry's `claimed_log_index`. */
  readonly leaf: Uint8Array;
  /** Its inclusion proof in `checkpoint`'s tree. */
  readonly proof: ProofHashes;
  readonly checkpoint: TreeHead;
}

/**
 * What `verifyEntry` cannot check of an imported entry (`provenance: "legacy-import"`) without
 * the trust root: its `legacy-import` record (the leaf at `log_index`) is signed by the root's
 * enrolment role for this registry id and NodeSpec, and, when the entry is claimed, the claim
 * (`claim`: the leaf at `claimed_log_index`, in the tree) binds it to the entry's owner. Throws
 * EvidenceError, or TrustError from the signature checks.
 */
export async function verifyImportedEntry(
  entry: RegistryEntry,
  leaf: Uint8Array,
  root: TrustRoot,
  suites: Pick<VerifierSuites, 'load'>,
  claim?: ClaimEvidence,
): Promise<void> {
  await verifyLegacyImportLeaf(
    leaf,
    { registryId: entry.registry_id, specDigest: entry.spec_digest },
    root,
    suites,
  );
  if (entry.claimed_log_index === undefined) return;
  if (claim === undefined)
    throw new EvidenceError(
      'leaf-mismatch',
      `${entry.registry_id} is claimed at log index ${entry.claimed_log_index}, and its claim record is needed to verify it`,
    );
  verifyInclusionProof(claim.leaf, entry.claimed_log_index, claim.proof, claim.checkpoint);
  await verifyClaimLeaf(
    claim.leaf,
    { registryId: entry.registry_id, ownerId: entry.owner_id },
    root,
    suites,
  );
}
