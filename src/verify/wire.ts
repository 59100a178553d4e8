/**
 * The registry's answers as they travel over HTTP (docs/api.md): what a client receives and a
 * verifier checks. These are wire formats, not server internals, so they live with the verifier
 * that every client (the CLI, the browser, another team's tool) imports.
 */

/** `GET /api/v1/log/keys`: the log's origin and its current checkpoint keys (docs/api.md). */
export interface LogKeysJson {
  readonly origin: string;
  /** The Ed25519 key in Go sumdb/note verifier form, `<name>+<hash>+<key>`. */
  readonly ed25519_vkey: string;
  readonly ml_dsa_44: { readonly alg: string; readonly public_key: string; readonly keyid: string };
  readonly ed25519: { readonly alg: string; readonly public_key: string; readonly keyid: string };
}

/** An inclusion proof of the leaf at `index` in the tree of `size` leaves (RFC 9162 §2.1.3). */
export interface InclusionProofJson {
  readonly index: number;
  readonly size: number;
  /** The audit path, base64 SHA-256 hashes, leaf to root. */
  readonly hashes: readonly string[];
}

/** A trust record's place in the log: its index, the checkpoint and the inclusion proof. */
export interface ControlResult {
  readonly index: number;
  /** The signed checkpoint note that includes the record. */
  readonly checkpoint: string;
  readonly inclusion_proof: InclusionProofJson;
}

/** The answer to a register or deregister request. */
export interface WriteResult extends ControlResult {
  readonly registry_id: string;
  /** True when the same content was already registered: nothing was appended. */
  readonly idempotent: boolean;
}

/** An entry on a `view=summary` query page: what a listing shows, without the NodeSpec. */
export interface EntrySummaryJson {
  readonly registry_id: string;
  readonly owner_id: string;
  readonly lane: string;
  readonly tier: number;
  readonly version: string;
  /** Signal names the node emits or subscribes to. */
  readonly signals: readonly string[];
  /** The node's allow-listed capability patterns. */
  readonly capabilities: readonly string[];
  /** When the newest revocation list revokes the owner key: its `revoked_at`. */
  readonly owner_revoked_at?: string;
}

/** One version of a node, as `GET /api/v1/registry/versions/{name}` lists it. */
export interface VersionJson {
  readonly registry_id: string;
  readonly owner_id: string;
  readonly lane: string;
  readonly tier: number;
  readonly status: 'active' | 'deregistered';
  readonly log_index: number;
  readonly deregistered_log_index?: number;
  readonly integrated_at: string;
}

/** The answer of `GET /api/v1/registry/versions/{name}`: every version, in registration order. */
export interface VersionsJson {
  readonly name: string;
  readonly versions: readonly VersionJson[];
  /** Set when the node has more versions than one answer lists (the first are listed). */
  readonly truncated?: true;
  readonly version_count?: number;
}
