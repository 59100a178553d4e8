/**
 * `RegistryClient`, the public client of `matriz/client`: register, deregister, get, query and
 * verify, where every answer is checked with the shipped verifier (`matriz/verify`) before it is
 * returned. Checkpoints are verified against the log's keys pinned on first contact or its trust
 * root chain, and each one must be consistent with the last one this client saw (state kept per
 * log origin in `stateDir`, the same files the `matriz` CLI keeps).
 *
 * Failures are typed: `RegistryRequestError` (the registry refused; its problem document),
 * `RegistryUnavailableError` (unreachable, timeout, not a registry), `VerificationError` (an
 * answer did not verify), `ForkDetectedError` (two inconsistent signed checkpoints).
 */
import type { EnvelopeSigner } from '../crypto/dsse.js';
import { signerFor } from '../crypto/dsse.js';
import type { KeyAlgorithm } from '../crypto/algorithms.js';
import { loadSignatureSuite } from '../crypto/suites.js';
import { ownerId, type PublicKey } from '../crypto/keys.js';
import type { Envelope } from '../crypto/dsse.js';
import { openSecretKey } from '../keystore/key-file.js';
import type { NodeSpec } from '../nodespec/nodespec.js';
import { buildWriteRequest, type WriteOperation } from '../registry/request-builder.js';
import {
  EvidenceError,
  TrustError,
  verifyEntry,
  verifyImportedEntry,
  type RegistryEntry,
  type TreeHead,
} from '../verify/index.js';
import type { WitnessPolicy } from '../log/cosignature.js';
import type { WriteResult } from '../verify/wire.js';
import { configDir } from './client-state.js';
import { RegistryHttp, type HttpOptions } from './http-client.js';
import { openLogSession, type LogSession } from './log-session.js';
import { VerificationError, verifyWriteResult } from './log-verifier.js';

export interface RegistryClientOptions extends HttpOptions {
  /** The registry's base URL, e.g. `https://registry.example`. */
  readonly server: string;
  /**
   * Where pinned keys, trust roots and the last checkpoint are kept, per log origin. Default:
   * $MATRIZ_CONFIG_DIR, else $XDG_CONFIG_HOME/matriz, else ~/.config/matriz (shared with the CLI).
   */
  readonly stateDir?: string;
  /** A trust root envelope to pin on first contact instead of the log's version 1. */
  readonly trustRoot?: unknown;
  /**
   * Checkpoints the log serves must be cosigned by this many of these witnesses
   * (log/cosignature.ts `parseWitnessPolicy`); a write's own checkpoint is exempt.
   */
  readonly witnessPolicy?: WitnessPolicy;
}

/** An owner's signing key: whose writes these are. */
export interface OwnerKey {
  readonly key: PublicKey;
  readonly signer: EnvelopeSigner;
  /** `GLYMPH:<keyid>`, what `identity.owner_id` must say. */
  readonly ownerId: string;
}

export type VerifiedWrite = WriteResult & {
  readonly verified: true;
  /** The size of the verified checkpoint that includes the write. */
  readonly checkpoint_size: number;
};

export type VerifiedEntry = RegistryEntry & {
  readonly verified: true;
  readonly checkpoint_size: number;
};

export interface QueryFilter {
  readonly signal?: string;
  readonly capability?: string;
  readonly lane?: string;
  readonly owner?: string;
  /**
   * A node name prefix: entries whose name (the registry id before `@`) starts with it, so
   * `memory_adapter` lists every version of memory_adapter and of memory_adapter_v2; keep the
   * ids whose part before `@` equals it for one node's versions.
   */
  readonly name?: string;
  /** Entries per page, 1..500. Default 50. */
  readonly limit?: number;
  /** Start after this registry id (a page's `next_cursor`). */
  readonly cursor?: string;
}

export interface EntryPage {
  readonly entries: readonly VerifiedEntry[];
  readonly next_cursor: string | null;
}

export interface LogStatus {
  readonly origin: string;
  readonly size: number;
  /** When the log signed the checkpoint, RFC 3339. */
  readonly signed_at: string;
  readonly keys_pinned_now: boolean;
  readonly trust_root_version: number | null;
  /** The size of the checkpoint seen before that the new one is consistent with. */
  readonly consistent_with_size: number | null;
}

/** Opens an owner key file (`matriz keys generate`) with its passphrase. */
export async function openOwnerKey(file: string, passphrase: string): Promise<OwnerKey> {
  const opened = await openSecretKey(file, passphrase);
  return {
    key: opened.key,
    signer: signerFor(opened.key, opened.secretKey, opened.suite),
    ownerId: ownerId(opened.key.keyid),
  };
}

export class RegistryClient {
  readonly http: RegistryHttp;
  private readonly stateDir: string;
  private readonly trustRoot: unknown;
  private readonly witnessPolicy: WitnessPolicy | undefined;
  private opened: Promise<LogSession> | undefined;

  constructor(options: RegistryClientOptions) {
    this.http = new RegistryHttp(options.server, options);
    this.stateDir = options.stateDir ?? configDir(process.env);
    this.trustRoot = options.trustRoot;
    this.witnessPolicy = options.witnessPolicy;
  }

  /** The verified view of the log: pinned keys or trust root, last checkpoint. Opened once. */
  session(): Promise<LogSession> {
    this.opened ??= openLogSession(this.http, this.http.base, this.stateDir, {
      ...(this.trustRoot === undefined ? {} : { trustRoot: this.trustRoot }),
      ...(this.witnessPolicy === undefined ? {} : { witnessPolicy: this.witnessPolicy }),
    }).catch((error: unknown) => {
      this.opened = undefined;
      throw error;
    });
    return this.opened;
  }

  /**
   * Signs and sends a registration, then verifies the answer: checkpoint signatures, the leaf
   * at the returned index is exactly the request sent, its inclusion proof, and consistency
   * with the last checkpoint seen. `identity.owner_id` must be the owner's id.
   */
  async register(
    nodeSpec: NodeSpec,
    owner: OwnerKey,
    options: WriteOptions = {},
  ): Promise<VerifiedWrite> {
    if (nodeSpec.identity.owner_id !== owner.ownerId)
      throw new TypeError(
        `identity.owner_id is ${nodeSpec.identity.owner_id}, but the key is ${owner.ownerId}`,
      );
    return this.write({ op: 'register', nodeSpec }, owner, options);
  }

  /** Signs and sends a deregistration of one of the owner's entries; verified like `register`. */
  deregister(
    registryId: string,
    owner: OwnerKey,
    options: WriteOptions = {},
  ): Promise<VerifiedWrite> {
    return this.write({ op: 'deregister', registryId }, owner, options);
  }

  /** One entry, verified against the log (`verifyEntry` of matriz/verify). */
  async get(registryId: string): Promise<VerifiedEntry> {
    const entry = asEntry(await this.http.get(registryId));
    const log = await this.session();
    const checkpoint = await log.advance(await this.http.checkpoint());
    return this.verifiedEntry(entry, checkpoint);
  }

  /** Pages of entries matching `filter`, each entry verified against the log before it is yielded. */
  async *query(filter: QueryFilter = {}): AsyncGenerator<EntryPage, void, undefined> {
    let cursor = filter.cursor;
    for (;;) {
      const page = await this.http.query({ ...filter, cursor });
      const entries = page.entries.map(asEntry);
      const log = await this.session();
      const checkpoint = await log.advance(await this.http.checkpoint());
      yield {
        entries: await Promise.all(entries.map((entry) => this.verifiedEntry(entry, checkpoint))),
        next_cursor: page.next_cursor,
      };
      if (page.next_cursor === null) return;
      cursor = page.next_cursor;
    }
  }

  /** The latest checkpoint, its signatures and its consistency with the last one seen. */
  async verify(): Promise<LogStatus> {
    const log = await this.session();
    const checkpoint = await log.advance(await this.http.checkpoint());
    return {
      origin: checkpoint.origin,
      size: checkpoint.size,
      signed_at: new Date(checkpoint.timestamp * 1000).toISOString(),
      keys_pinned_now: log.pinnedNow,
      trust_root_version: log.trustRoot?.version ?? null,
      consistent_with_size: log.previous?.size ?? null,
    };
  }

  private async write(
    operation: WriteOperation,
    owner: OwnerKey,
    options: WriteOptions,
  ): Promise<VerifiedWrite> {
    const log = await this.session();
    const envelope = buildWriteRequest(operation, {
      owner: owner.key,
      signer: owner.signer,
      origin: log.verifier.name,
    });
    await options.beforeSend?.(envelope);
    const result =
      operation.op === 'register'
        ? await this.http.register(envelope)
        : await this.http.deregister(operation.registryId, envelope);
    const leaf = await this.http.leaf(result.index);
    verifyWriteResult(result, leaf, envelope, log.verifier);
    // Signed by the log when it integrated the write: no witness has seen it yet, and concurrent
    // writes of this client may have been answered with newer ones.
    const checkpoint = await log.advance(result.checkpoint, { witnessed: false, latest: false });
    return { ...result, verified: true, checkpoint_size: checkpoint.size };
  }

  private async verifiedEntry(entry: RegistryEntry, checkpoint: TreeHead): Promise<VerifiedEntry> {
    const size = checkpoint.size;
    const [leaf, proof] = await Promise.all([
      this.http.leaf(entry.log_index),
      this.http.inclusionProof(entry.log_index, size),
    ]);
    try {
      verifyEntry(entry, leaf, proof.hashes, checkpoint);
      if (entry.provenance === 'legacy-import') await this.verifyImported(entry, leaf, checkpoint);
    } catch (error) {
      if (error instanceof EvidenceError || error instanceof TrustError)
        throw new VerificationError(`${entry.registry_id}: ${error.message}`, { cause: error });
      throw error;
    }
    return { ...entry, verified: true, checkpoint_size: size };
  }

  /**
   * An imported entry: its record is signed by the enrolment role of the log's trust root, and a
   * claimed one's claim (in the same checkpoint) binds it to the owner the entry names.
   */
  private async verifyImported(
    entry: RegistryEntry,
    leaf: Uint8Array,
    checkpoint: TreeHead,
  ): Promise<void> {
    const log = await this.session();
    const root = log.trustRoot;
    if (root === undefined)
      throw new EvidenceError(
        'leaf-mismatch',
        'an imported entry, but the log has no trust root to check the import against',
      );
    const suites = { load: (algorithm: KeyAlgorithm) => loadSignatureSuite(algorithm) };
    const claimed = entry.claimed_log_index;
    const claim =
      claimed === undefined
        ? undefined
        : await Promise.all([
            this.http.leaf(claimed),
            this.http.inclusionProof(claimed, checkpoint.size),
          ]).then(([claimLeaf, proof]) => ({ leaf: claimLeaf, proof: proof.hashes, checkpoint }));
    await verifyImportedEntry(entry, leaf, root, suites, claim);
  }
}

export interface WriteOptions {
  /** Called with the signed request before it is sent (the CLI's `--save-request`). */
  readonly beforeSend?: (envelope: Envelope) => Promise<void>;
}

function asEntry(value: Record<string, unknown>): RegistryEntry {
  if (
    typeof value.registry_id !== 'string' ||
    typeof value.owner_id !== 'string' ||
    typeof value.log_index !== 'number' ||
    typeof value.node_spec !== 'object' ||
    value.node_spec === null
  )
    throw new VerificationError(
      'the registry answered an entry without its registry_id, owner_id, log_index or node_spec',
    );
  return value as unknown as RegistryEntry;
}
