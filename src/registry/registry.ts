/**
 * The registry's use cases: register, deregister, get, query, and the log's read side
 * (checkpoint, leaves, proofs, keys). HTTP and the CLI call these; they hold no I/O of their own
 * beyond the store.
 */
import type { KeyAlgorithm } from '../crypto/algorithms.js';
import { base64Encode } from '../crypto/encoding.js';
import {
  ownerKeyId,
  publicKeyOf,
  publicKeyToJson,
  type PublicKey,
  type PublicKeyJson,
} from '../crypto/keys.js';
import { logKeyHalves, peekTrustRoot } from '../trust/trust-root.js';
import type { SignatureSuite } from '../crypto/suite.js';
import { ed25519VerifierKey } from '../log/note-keys.js';
import { consistencyProofRanges, inclusionProofRanges } from '../log/proof.js';
import type { LeafRange } from '../log/subtree.js';
import type { TileId } from '../log/tiles.js';
import type { Lane } from '../nodespec/nodespec.js';
import { isCapabilityPattern } from '../nodespec/rules/capabilities.js';
import {
  ALL_ACTIVE_TERM,
  capabilityQueryTerms,
  laneTerm,
  MAX_CAPABILITY_QUERY_NAMED_SEGMENTS,
  ownerTerm,
  servedEntryJson,
  signalTerm,
  withOwnerRevokedAt,
} from '../store/entry-documents.js';
import type { RegistryEntry, Store, StoredCheckpoint, TrustDocumentKind } from '../store/store.js';
import { RegistryProblem } from './problems.js';
import { readProofHashes } from './proof-hashes.js';
import { readTile } from './tile-reader.js';
import {
  checkWriteContext,
  decodeWriteRequest,
  decodeWriteRequestBytes,
  envelopeCheckWith,
  type WriteRequest,
} from './request.js';
import { RequestBytes } from './request-body.js';
import { EntryLedger } from './entry-ledger.js';
import { loadEntrySnapshot } from './entry-snapshot.js';
import type { Sequencer } from './sequencer.js';
import type { EntrySummaryJson, VersionJson, VersionsJson, WriteResult } from '../verify/wire.js';

/**
 * Where verified writes go to be logged: the sequencer itself (one process), or the queue that
 * replicas share (replica.ts), which also answers a retried request with its first outcome.
 */
export interface WriteQueue {
  submit(request: WriteRequest): Promise<WriteResult>;
  /** The outcome of this same request queued before, if it was (`replayed-nonce` otherwise). */
  resume?(request: WriteRequest): Promise<WriteResult | undefined>;
}

export interface RegistryOptions {
  readonly origin: string;
  readonly store: Store;
  /** Decides writes (its trust state and policy check them early) and, by default, logs them. */
  readonly sequencer: Sequencer;
  /** Where verified writes are queued; default `sequencer`. */
  readonly writes?: WriteQueue;
  readonly logKeys: { readonly ed25519: PublicKey; readonly mlDsa44: PublicKey };
  readonly loadSuite: (algorithm: KeyAlgorithm) => Promise<SignatureSuite>;
  /**
   * Decodes and checks a request up to its signature and NodeSpec (`decodeWriteRequest`); in
   * this thread with `loadSuite` by default, in worker threads in the server.
   */
  readonly decodeRequest?: (body: unknown) => Promise<WriteRequest>;
  /** `decodeWriteRequestBytes`, for a body that has not been parsed yet; as `decodeRequest`. */
  readonly decodeRequestBytes?: (body: RequestBytes) => Promise<WriteRequest>;
  /** Freshness window for signed requests, seconds. Default 300. */
  readonly freshnessSeconds?: number;
  readonly clock?: () => number;
  /** Called for every signature check of a request, for metrics. */
  readonly onVerify?: (result: 'valid' | 'invalid', seconds: number) => void;
  /**
   * The checkpoint the log publishes, when witnesses cosign it (server/witness-cosigner.ts):
   * the latest one through a round of cosigning, with the cosignature lines it got. Undefined
   * until the first round ends; the latest stored checkpoint is published meanwhile.
   */
  readonly published?: () => string | undefined | Promise<string | undefined>;
}

export interface QueryParameters {
  readonly signal?: string;
  readonly capability?: string;
  readonly lane?: Lane;
  readonly owner?: string;
  /**
   * A node name prefix: entries whose name (the registry id before `@`) starts with it, so every
   * version of a node, and of the nodes whose names extend it. 1 to 128 characters of the node
   * name alphabet (letters, digits, ".", "_", "-").
   */
  readonly name?: string;
  readonly cursor?: string;
  readonly limit?: number;
  /** `full` (the default): whole entries with their NodeSpec; `summary`: EntrySummaryView. */
  readonly view?: 'full' | 'summary';
}

/** An entry on a `view=summary` page (its wire type), with its lane typed. */
export interface EntrySummaryView extends EntrySummaryJson {
  readonly lane: Lane;
}

export interface QueryPageView<E = EntryView> {
  readonly entries: E[];
  readonly next_cursor: string | null;
}

/** Versions one answer of `GET /api/v1/registry/versions/{name}` lists at most. */
export const MAX_VERSIONS = 1000;

export interface EntryView {
  readonly registry_id: string;
  readonly owner_id: string;
  readonly lane: Lane;
  readonly tier: number;
  readonly status: RegistryEntry['status'];
  readonly spec_digest: string;
  readonly log_index: number;
  readonly deregistered_log_index?: number;
  readonly integrated_at: string;
  /**
   * `owner`: registered by a request its owner signed; `legacy-import`: brought over from the
   * prototype registry by the operator's enrolment role, with no owner signature.
   */
  readonly provenance: 'owner' | 'legacy-import';
  /** For an imported entry bound to its owner's key: the log index of that claim. */
  readonly claimed_log_index?: number;
  /** When the newest revocation list revokes the owner key: its `revoked_at`. */
  readonly owner_revoked_at?: string;
  readonly node_spec: unknown;
}

export interface ProofView {
  readonly hashes: readonly string[];
}

export const DEFAULT_FRESHNESS_SECONDS = 300;
export const MAX_QUERY_LIMIT = 500;
/** A `name` query: at most as long as a node name (NodeSpec `metadata.name`), in its alphabet. */
export const MAX_NAME_PREFIX_LENGTH = 128;
/** The node name alphabet, as a JSON Schema `pattern` (the route schemas) and here. */
export const NODE_NAME_PATTERN = '^[A-Za-z0-9._-]+$';
const NAME_PREFIX = new RegExp(NODE_NAME_PATTERN);
/**
 * Candidate entries one query request examines at most. Capability patterns are matched here,
 * not in the store, so without a bound anyone who registers many near-miss entries could make
 * every query scan them all (issue 13). A request that runs out returns what it found and a
 * cursor to go on from, so a page may be short, even empty, with `next_cursor` set.
 */
export const MAX_QUERY_SCAN = 2000;
/**
 * UTF-8 bytes of entries one page carries at most (always at least one entry): 500 entries of up
 * to the body limit each would otherwise make one answer over 100 MiB.
 */
export const MAX_PAGE_BYTES = 4 * 1024 * 1024;

const PAGE_START = Buffer.from('{"entries":[');
const COMMA = Buffer.from(',');

export class Registry {
  readonly origin: string;
  private readonly store: Store;
  private readonly clock: () => number;
  private readonly decodeRequest: (body: unknown) => Promise<WriteRequest>;
  private readonly decodeRequestBytes: (body: RequestBytes) => Promise<WriteRequest>;
  /** The newest checkpoint `storedCheckpoint` served. */
  private served: StoredCheckpoint | undefined;

  constructor(private readonly options: RegistryOptions) {
    const check = envelopeCheckWith(options.loadSuite);
    this.decodeRequest = options.decodeRequest ?? ((body) => decodeWriteRequest(body, check));
    this.decodeRequestBytes =
      options.decodeRequestBytes ?? ((body) => decodeWriteRequestBytes(body, check));
    this.origin = options.origin;
    this.store = options.store;
    this.clock = options.clock ?? Date.now;
  }

  /**
   * Verifies a signed register request and waits until it is in a signed checkpoint. The body is
   * the parsed JSON, or its bytes (`RequestBytes`), parsed with the other request checks.
   */
  async register(body: unknown): Promise<WriteResult> {
    const request = await this.verify(body);
    if (request.op !== 'register')
      throw new RegistryProblem('invalid-request', 'this endpoint takes "op": "register"');
    return this.submit(request);
  }

  /** Verifies a signed deregister request for `registryId` (the path) and logs it. */
  async deregister(registryId: string, body: unknown): Promise<WriteResult> {
    const request = await this.verify(body);
    if (request.op !== 'deregister')
      throw new RegistryProblem('invalid-request', 'this endpoint takes "op": "deregister"');
    if (request.registryId !== registryId) {
      throw new RegistryProblem(
        'invalid-request',
        `the signed request deregisters ${request.registryId}, not ${registryId}`,
      );
    }
    return this.submit(request);
  }

  /**
   * Decides `request` early, against the stored state and the last known trust state, so most
   * refusals cost no trip through the sequencer (which decides again, by the same rules, on the
   * state at integration: that decision is authoritative); then queues it. A request refused as
   * a replay may be a client's retry of a write queued before: it gets that write's outcome.
   */
  private async submit(request: WriteRequest): Promise<WriteResult> {
    const writes: WriteQueue = this.options.writes ?? this.options.sequencer;
    const now = this.clock();
    const { sequencer } = this.options;
    const snapshot = await loadEntrySnapshot(
      this.store,
      [request],
      Math.floor(now / 1000),
      sequencer.policy,
    );
    const decision = EntryLedger.over(snapshot, sequencer.trust, sequencer.policy).apply(
      request,
      0,
      new Date(now).toISOString(),
    );
    if (decision.outcome !== 'refused') return writes.submit(request);
    if (decision.problem.slug === 'replayed-nonce' && writes.resume !== undefined) {
      const earlier = await writes.resume(request);
      if (earlier !== undefined) return earlier;
    }
    throw decision.problem;
  }

  async get(registryId: string): Promise<EntryView> {
    return JSON.parse((await this.getJson(registryId)).toString()) as EntryView;
  }

  /** The entry as UTF-8 JSON: its answer stored when it was written, sent as it is. */
  async getJson(registryId: string): Promise<Buffer> {
    let served = await this.store.servedEntry(registryId);
    if (!served) {
      // No stored answer: no such entry (or, in a damaged store, an entry without its answer,
      // which fsck reports; it is answered from the entry itself).
      const entry = await this.store.getEntry(registryId);
      if (!entry) throw new RegistryProblem('not-found', `${registryId} is not registered`);
      served = { ...entry, body: Buffer.from(servedEntryJson(entry)) };
    }
    const revokedAt = this.revokedAtLookup()(served.ownerId);
    return revokedAt === undefined ? served.body : withOwnerRevokedAt(served.body, revokedAt);
  }

  /**
   * Every version of node `name` (exactly that name), active or deregistered, in the order they
   * were registered (log index); at most MAX_VERSIONS, then `truncated` and `version_count`.
   */
  async versions(name: string): Promise<VersionsJson> {
    checkNamePrefix(name);
    const all = await this.store.versionsOf(name);
    // One read of every listed entry (one query per kind), not one per version.
    const { entries } = await this.store.lookUp({
      registryIds: all.slice(0, MAX_VERSIONS).map((version) => version.registryId),
      names: [],
      nonces: [],
      now: 0,
    });
    const versions = [...entries.values()]
      .sort((a, b) => a.registeredIndex - b.registeredIndex)
      .map((entry): VersionJson => ({
        registry_id: entry.registryId,
        owner_id: entry.ownerId,
        lane: entry.lane,
        tier: entry.tier,
        status: entry.status,
        log_index: entry.registeredIndex,
        ...(entry.deregisteredIndex === undefined
          ? {}
          : { deregistered_log_index: entry.deregisteredIndex }),
        integrated_at: entry.integratedAt,
      }));
    return {
      name,
      versions,
      ...(all.length > MAX_VERSIONS ? { truncated: true, version_count: all.length } : {}),
    };
  }

  /**
   * Active entries matching every given filter, in registry id order; `next_cursor` continues.
   * `signal` matches emitted or subscribed signals; `capability` matches allow-list patterns;
   * `name` is a node name prefix.
   * For callers in this process; the server answers with `queryJson`.
   */
  async query(parameters: QueryParameters): Promise<QueryPageView> {
    return JSON.parse((await this.queryJson(parameters)).body.toString()) as QueryPageView;
  }

  /**
   * The query page as UTF-8 JSON, assembled from the answers stored when each entry was written
   * (store/entry-documents.ts), with `examined`: the candidate entries the store looked at.
   */
  async queryJson(parameters: QueryParameters): Promise<{ body: Buffer; examined: number }> {
    const limit = parameters.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_QUERY_LIMIT) {
      throw new RegistryProblem(
        'invalid-parameter',
        `limit must be an integer from 1 to ${MAX_QUERY_LIMIT}`,
      );
    }
    if (parameters.name !== undefined) checkNamePrefix(parameters.name);
    const filters: string[][] = [];
    if (parameters.signal !== undefined) filters.push([signalTerm(parameters.signal)]);
    if (parameters.capability !== undefined) filters.push(capabilityFilter(parameters.capability));
    if (parameters.lane !== undefined) filters.push([laneTerm(parameters.lane)]);
    if (parameters.owner !== undefined) filters.push([ownerTerm(parameters.owner)]);
    if (filters.length === 0) filters.push([ALL_ACTIVE_TERM]);
    const page = await this.store.queryPage({
      filters,
      view: parameters.view ?? 'full',
      ...(parameters.cursor === undefined ? {} : { after: parameters.cursor }),
      // A range of registry ids in the index, not a filter of its own (store/entry-pages.ts).
      ...(parameters.name === undefined ? {} : { prefix: parameters.name }),
      limit,
      scanLimit: MAX_QUERY_SCAN,
      maxBytes: MAX_PAGE_BYTES,
    });
    const revokedAt = this.revokedAtLookup();
    // The page is the stored answers' bytes between separators: copied once, never re-encoded.
    const parts: Buffer[] = [PAGE_START];
    page.rows.forEach((row, i) => {
      const at = revokedAt(row.ownerId);
      if (i > 0) parts.push(COMMA);
      parts.push(at === undefined ? row.body : withOwnerRevokedAt(row.body, at));
    });
    parts.push(Buffer.from(`],"next_cursor":${JSON.stringify(page.next)}}`));
    return {
      body: Buffer.concat(parts),
      examined: page.examined,
    };
  }

  /** The checkpoint the log publishes: cosigned by its witnesses when it has some. */
  async checkpoint(): Promise<string> {
    return (await this.options.published?.()) ?? this.storedCheckpoint();
  }

  /**
   * The latest checkpoint as stored, signed by the log alone. Never older than one this process
   * served before: should the store ever answer with an older one (a database failed over to a
   * standby that had not received the newest commits), the newer one is served again.
   */
  async storedCheckpoint(): Promise<string> {
    const checkpoint = await this.store.latestCheckpoint();
    const served = this.served;
    if (
      served !== undefined &&
      (checkpoint === undefined ||
        checkpoint.size < served.size ||
        (checkpoint.size === served.size && checkpoint.signedAt < served.signedAt))
    )
      return served.note;
    if (!checkpoint) throw new RegistryProblem('not-found', 'the log is empty: no checkpoint yet');
    this.served = checkpoint;
    return checkpoint.note;
  }

  /**
   * A C2SP tlog-tiles hash tile or entry bundle of the tree the latest checkpoint signs
   * (tile-reader.ts); `not-found` beyond it.
   */
  async tile(tile: TileId): Promise<Uint8Array> {
    const checkpoint = await this.store.latestCheckpoint();
    return readTile(this.store, tile, checkpoint?.size ?? 0);
  }

  async leaf(index: number): Promise<Uint8Array> {
    const size = await this.store.treeSize();
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
      throw new RegistryProblem('not-found', `no log entry ${index}; the log has ${size} entries`);
    }
    const [leaf] = await this.store.readLeaves(index, index + 1);
    if (!leaf) throw new RegistryProblem('not-found', `no log entry ${index}`);
    return leaf;
  }

  async inclusionProof(
    index: number,
    size: number,
  ): Promise<ProofView & { index: number; size: number }> {
    await this.checkSize(size);
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
      throw new RegistryProblem('invalid-parameter', `index must be from 0 to ${size - 1}`);
    }
    return { index, size, hashes: await this.hashes(inclusionProofRanges(index, size)) };
  }

  async consistencyProof(
    from: number,
    to: number,
  ): Promise<ProofView & { from: number; to: number }> {
    await this.checkSize(to);
    if (!Number.isSafeInteger(from) || from < 1 || from > to) {
      throw new RegistryProblem('invalid-parameter', `from must be from 1 to ${to}`);
    }
    return { from, to, hashes: await this.hashes(consistencyProofRanges(from, to)) };
  }

  /**
   * The log's origin and its current checkpoint key, in Go sumdb/note verifier form and as
   * public key JSON: the newest log key of the newest trust root once there is one (it signs
   * every checkpoint from then on), else the data directory's log key.
   */
  async keys(): Promise<{
    origin: string;
    ed25519_vkey: string;
    ml_dsa_44: PublicKeyJson;
    ed25519: PublicKeyJson;
  }> {
    let { ed25519, mlDsa44 } = this.options.logKeys;
    const stored = await this.store.trustDocument('trust-root');
    if (stored !== undefined) {
      const root = peekTrustRoot(JSON.parse(stored.envelope));
      const newest = root.keys.get(root.roles.log.keyids[root.roles.log.keyids.length - 1] ?? '');
      if (newest !== undefined) {
        const halves = logKeyHalves(newest);
        mlDsa44 = publicKeyOf('ml-dsa-44', halves.mlDsa44);
        ed25519 = publicKeyOf('ed25519', halves.ed25519);
      }
    }
    return {
      origin: this.origin,
      ed25519_vkey: ed25519VerifierKey(this.origin, ed25519.publicKey),
      ml_dsa_44: publicKeyToJson(mlDsa44),
      ed25519: publicKeyToJson(ed25519),
    };
  }

  /**
   * A trust document's DSSE envelope as the log recorded it: a trust root by version (the newest
   * when `version` is absent), or the newest revocation list.
   */
  async trustDocument(kind: TrustDocumentKind, version?: number): Promise<unknown> {
    const document = await this.store.trustDocument(kind, version);
    if (!document) {
      const what = kind === 'trust-root' ? 'trust root' : 'revocation list';
      throw new RegistryProblem(
        'not-found',
        version === undefined
          ? `this log has no ${what} yet${kind === 'trust-root' ? ' (matriz trust init)' : ''}`
          : `this log has no ${what} version ${version}`,
      );
    }
    return JSON.parse(document.envelope) as unknown;
  }

  /**
   * `revoked_at` of the owner key of each owner id, by the newest revocation list the registry
   * knows, looked up once per owner for a page: answers carry it as `owner_revoked_at`, so readers
   * see that the key behind an active entry is revoked.
   */
  private revokedAtLookup(): (ownerId: string) => string | undefined {
    const { trust } = this.options.sequencer;
    const seen = new Map<string, string | undefined>();
    return (ownerId) => {
      if (seen.has(ownerId)) return seen.get(ownerId);
      const keyid = ownerKeyId(ownerId);
      const revokedAt = keyid === undefined ? undefined : trust.revocation(keyid)?.revoked_at;
      seen.set(ownerId, revokedAt);
      return revokedAt;
    };
  }

  private async verify(body: unknown): Promise<WriteRequest> {
    const started = performance.now();
    let request: WriteRequest;
    try {
      request = await (body instanceof RequestBytes
        ? this.decodeRequestBytes(body)
        : this.decodeRequest(body));
      this.options.onVerify?.('valid', (performance.now() - started) / 1000);
    } catch (error) {
      if (error instanceof RegistryProblem && error.slug === 'bad-signature') {
        this.options.onVerify?.('invalid', (performance.now() - started) / 1000);
      }
      throw error;
    }
    checkWriteContext(request, {
      origin: this.origin,
      now: this.clock(),
      freshnessSeconds: this.options.freshnessSeconds ?? DEFAULT_FRESHNESS_SECONDS,
    });
    return request;
  }

  private async checkSize(size: number): Promise<void> {
    const current = await this.store.treeSize();
    if (!Number.isSafeInteger(size) || size < 1 || size > current) {
      throw new RegistryProblem(
        'invalid-parameter',
        `size must be from 1 to the log size ${current}`,
      );
    }
  }

  private async hashes(ranges: readonly LeafRange[]): Promise<string[]> {
    const [hashes = []] = await readProofHashes(this.store, [ranges]);
    return hashes.map(base64Encode);
  }
}

/** A `name` query is a prefix of node names: never empty, never longer than one, no `@`. */
function checkNamePrefix(name: string): void {
  if (name.length === 0) throw new RegistryProblem('invalid-parameter', 'name must not be empty');
  if (name.length > MAX_NAME_PREFIX_LENGTH)
    throw new RegistryProblem(
      'invalid-parameter',
      `name must be at most ${MAX_NAME_PREFIX_LENGTH} characters (it has ${name.length})`,
    );
  if (!NAME_PREFIX.test(name))
    throw new RegistryProblem(
      'invalid-parameter',
      `name ${JSON.stringify(name)} may hold only letters, digits, ".", "_" and "-" (a node name prefix)`,
    );
}

/** The index terms of a capability query: every allow-list pattern that would cover it. */
function capabilityFilter(capability: string): string[] {
  if (!isCapabilityPattern(capability)) {
    throw new RegistryProblem(
      'invalid-parameter',
      `capability ${JSON.stringify(capability)} is not verb:resource/path`,
    );
  }
  const terms = capabilityQueryTerms(capability);
  if (terms === undefined) {
    throw new RegistryProblem(
      'invalid-parameter',
      `capability ${JSON.stringify(capability)} has more than ${MAX_CAPABILITY_QUERY_NAMED_SEGMENTS} segments other than *`,
    );
  }
  return terms;
}
