/**
 * `matriz fsck`: re-derive everything the registry stores from the log's leaves and compare.
 *
 * - every leaf is a well-formed entry whose owner signature verifies (the log alone proves who
 *   wrote what), by an owner key not revoked when it was integrated; or a trust record that
 *   follows from the trust state before it (trust-ledger.ts), so the trust root chain, the
 *   revocation lists and the enrolments are replayed and checked too;
 * - the stored subtree hashes are the hashes of the stored leaves;
 * - the tree's root is the root of the latest checkpoint, whose signatures verify (by the newest
 *   trust root's log keys once there is one, else the data directory's log key), and that
 *   checkpoint's size is the tree's size;
 * - the registry state, trust documents and enrolments are exactly the replay of the log.
 */
import type { KeyAlgorithm } from '../crypto/algorithms.js';
import { sha256Digest } from '../crypto/digest.js';
import { equalBytes } from '../crypto/encoding.js';
import type { SignatureSuite } from '../crypto/suite.js';
import { canonicalize } from '../json/canonicalize.js';
import { openCheckpoint, type CheckpointVerifier } from '../log/checkpoint-signature.js';
import { emptyTreeHash, leafHash } from '../log/hash.js';
import { completedSubtrees, rangeHash, rangeRefs } from '../log/subtree.js';
import { entrySummaryJson, entryTerms, servedEntryJson } from '../store/entry-documents.js';
import { compareBytes } from '../store/entry-pages.js';
import { ScratchSpace, type ScratchMap } from '../store/scratch.js';
import type {
  RegistryEntry,
  Store,
  StoredCheckpoint,
  StoredEnrolment,
  StoredTrustDocument,
  SubtreeHash,
} from '../store/store.js';
import { verifyCheckpoint } from '../trust/checkpoint.js';
import { TrustError } from '../trust/errors.js';
import { EntryLedger, type EntryLookup } from './entry-ledger.js';
import { isControlKind } from '../verify/leaf.js';
import { DEFAULT_POLICY, type EntitlementPolicy } from './policy.js';
import { RegistryProblem } from './problems.js';
import { checkWriteContext, decodeWriteRequest, envelopeCheckWith } from './request.js';
import { TrustLedger } from './trust-ledger.js';

export interface FsckReport {
  readonly ok: boolean;
  readonly size: number;
  readonly checkpointSize: number | undefined;
  readonly entries: number;
  readonly problems: readonly string[];
}

export interface FsckOptions {
  readonly store: Store;
  readonly verifier: CheckpointVerifier;
  readonly loadSuite: (algorithm: KeyAlgorithm) => Promise<SignatureSuite>;
  /**
   * The entitlement policy the registry ran with (`serve --policy`). Default DEFAULT_POLICY.
   * Enrolments recorded in the log need none: they are replayed.
   */
  readonly policy?: EntitlementPolicy;
  /** Leaves read per batch. */
  readonly chunk?: number;
  readonly onProgress?: (checked: number, size: number) => void;
}

const MAX_PROBLEMS = 100;
/**
 * Stored entries compared per read. Each holds its NodeSpec text; small pages die young, where
 * large ones are promoted and pile up as garbage the old generation collects late.
 */
const COMPARE_PAGE = 64;

export async function fsck(options: FsckOptions): Promise<FsckReport> {
  const { store } = options;
  const problems: string[] = [];
  const problem = (message: string): void => {
    if (problems.length < MAX_PROBLEMS) problems.push(message);
  };
  const size = await store.treeSize();
  const latest = await store.latestCheckpoint();
  if (size > 0 && latest === undefined) problem(`the log has ${size} leaves but no checkpoint`);
  if (latest !== undefined && latest.size !== size)
    problem(`the latest checkpoint is for size ${latest.size}, the log has ${size} leaves`);
  const scratch = new ScratchSpace();
  try {
    return await check(options, size, latest, scratch, problem, problems);
  } finally {
    scratch.close();
  }
}

async function check(
  options: FsckOptions,
  size: number,
  latest: StoredCheckpoint | undefined,
  scratch: ScratchSpace,
  problem: (message: string) => void,
  problems: readonly string[],
): Promise<FsckReport> {
  const { store } = options;
  const hashes = new Map<string, Uint8Array>();
  const lookup = (level: number, index: number): Uint8Array => {
    const hash = hashes.get(`${level}/${index}`);
    if (!hash) throw new Error(`fsck: missing computed hash (${level}, ${index})`);
    return hash;
  };
  const expected = scratch.map<RegistryEntry>();
  const replay: Replay = {
    entries: expected,
    nonces: scratch.map<true>(),
    names: scratch.map<Record<string, string>>(),
    ledger: TrustLedger.empty(options.verifier.name, options.loadSuite),
    documents: new Map(),
    enrolments: new Map(),
  };
  const chunk = options.chunk ?? 128;
  for (let start = 0; start < size; start += chunk) {
    const leaves = await store.readLeaves(start, Math.min(size, start + chunk));
    if (leaves.length !== Math.min(chunk, size - start))
      problem(`leaves ${start}..${start + chunk - 1}: ${leaves.length} stored`);
    const computed: SubtreeHash[] = [];
    for (const [offset, leaf] of leaves.entries()) {
      const index = start + offset;
      for (const subtree of completedSubtrees(index, leafHash(leaf), lookup)) {
        hashes.set(`${subtree.level}/${subtree.index}`, subtree.hash);
        computed.push(subtree);
      }
      await replayLeaf(index, leaf, replay, options, problem);
    }
    const stored = await store.readSubtreeHashes(computed).catch((error: unknown) => {
      problem(`stored subtree hashes for leaves from ${start}: ${(error as Error).message}`);
      return undefined;
    });
    stored?.forEach((hash, i) => {
      const subtree = computed[i] as SubtreeHash;
      if (!equalBytes(hash, subtree.hash))
        problem(
          `stored hash of subtree (level ${subtree.level}, index ${subtree.index}) does not match its leaves`,
        );
    });
    // Keep only what later leaves and the root need: the frontier.
    const keep = new Set(
      rangeRefs({ start: 0, end: start + leaves.length }).map((r) => `${r.level}/${r.index}`),
    );
    for (const key of hashes.keys()) if (!keep.has(key)) hashes.delete(key);
    options.onProgress?.(start + leaves.length, size);
  }

  if (latest !== undefined) {
    const opened = await openLatest(latest.note, replay.ledger, options);
    if (!opened.ok) problem(`the latest checkpoint does not verify: ${opened.message}`);
    else if (
      opened.checkpoint.size === size &&
      !equalBytes(
        opened.checkpoint.rootHash,
        size === 0 ? emptyTreeHash() : rangeHash({ start: 0, end: size }, lookup),
      )
    ) {
      problem(
        `the root hash of the stored leaves is not the root hash in the signed checkpoint of size ${size}`,
      );
    }
  }

  let stored = 0;
  for (let after: string | undefined; ;) {
    const page = await store.queryEntries({
      limit: COMPARE_PAGE,
      ...(after === undefined ? {} : { after }),
    });
    const replayed: RegistryEntry[] = [];
    for (const entry of page) {
      stored++;
      const want = expected.get(entry.registryId);
      if (!want) problem(`entry ${entry.registryId} is in the registry state but in no log leaf`);
      else if (!sameState(entry, want))
        problem(`entry ${entry.registryId} differs from the replay of the log`);
      else replayed.push(entry);
    }
    await compareEntryIndex(store, replayed, problem);
    if (page.length < COMPARE_PAGE) break;
    after = page[page.length - 1]?.registryId;
  }
  if (stored !== expected.size)
    problem(`the registry state holds ${stored} entries; the log replays to ${expected.size}`);
  await compareTrust(store, replay, problem);
  return {
    ok: problems.length === 0,
    size,
    checkpointSize: latest?.size,
    entries: expected.size,
    problems,
  };
}

/**
 * What the replay of the log derives: registry entries, the nonces used, trust state, documents,
 * enrolments. A nonce used twice anywhere in the log is a replay: a request old enough for its
 * nonce to be forgotten is also outside the freshness window, so it could not be accepted again.
 */
interface Replay {
  /** On disk (store/scratch.ts), so the replay of a long log does not grow the heap. */
  readonly entries: ScratchMap<RegistryEntry>;
  readonly nonces: ScratchMap<true>;
  /** The owner of each version of each node name (EntryLookup.versionsOf). */
  readonly names: ScratchMap<Record<string, string>>;
  ledger: TrustLedger;
  readonly documents: Map<string, StoredTrustDocument>;
  readonly enrolments: Map<string, StoredEnrolment>;
}

/** The latest checkpoint, opened under the newest replayed trust root when there is one. */
async function openLatest(
  note: string,
  ledger: TrustLedger,
  options: FsckOptions,
): Promise<
  { ok: true; checkpoint: { size: number; rootHash: Uint8Array } } | { ok: false; message: string }
> {
  if (ledger.root === undefined) {
    const opened = openCheckpoint(note, options.verifier, options.verifier.name);
    return opened.ok ? opened : { ok: false, message: opened.message };
  }
  try {
    const { checkpoint } = verifyCheckpoint(note, ledger.root, ledger.revocations, {
      ed25519: await options.loadSuite('ed25519'),
      mlDsa44: await options.loadSuite('ml-dsa-44'),
    });
    return { ok: true, checkpoint };
  } catch (error) {
    if (error instanceof TrustError) return { ok: false, message: error.message };
    throw error;
  }
}

/** Stored trust documents and enrolments must be exactly the replayed ones. */
async function compareTrust(
  store: Store,
  replay: Replay,
  problem: (message: string) => void,
): Promise<void> {
  for (const kind of ['trust-root', 'revocations'] as const) {
    let version = 1;
    for (; ; version++) {
      const stored = await store.trustDocument(kind, version);
      const want = replay.documents.get(`${kind}/${version}`);
      if (stored === undefined && want === undefined) break;
      if (stored === undefined) problem(`${kind} v${version} is in the log but not in the store`);
      else if (want === undefined)
        problem(`${kind} v${version} is in the store but in no log leaf`);
      else if (stored.envelope !== want.envelope || stored.logIndex !== want.logIndex)
        problem(`${kind} v${version} in the store differs from the log (leaf ${want.logIndex})`);
    }
  }
  for (const stored of await store.listEnrolments())
    if (!replay.enrolments.has(stored.ownerId))
      problem(`the enrolment of ${stored.ownerId} is in the store but in no log leaf`);
  for (const [ownerId, want] of replay.enrolments) {
    const stored = await store.enrolment(ownerId);
    if (
      stored?.logIndex !== want.logIndex ||
      stored.maxTier !== want.maxTier ||
      stored.lanes.join(',') !== want.lanes.join(',')
    )
      problem(
        `the enrolment of ${ownerId} in the store differs from the log (leaf ${want.logIndex})`,
      );
  }
}

async function replayLeaf(
  index: number,
  leaf: Uint8Array,
  replay: Replay,
  options: FsckOptions,
  problem: (message: string) => void,
): Promise<void> {
  let content: {
    envelope?: unknown;
    registry_id?: unknown;
    integrated_at?: unknown;
    kind?: unknown;
  };
  try {
    content = JSON.parse(new TextDecoder().decode(leaf)) as typeof content;
  } catch {
    problem(`leaf ${index} is not JSON`);
    return;
  }
  if (new TextDecoder().decode(leaf) !== canonicalize(content))
    problem(`leaf ${index} is not in RFC 8785 canonical form`);
  if (content.kind !== undefined) {
    await replayControl(index, leaf, content, replay, options, problem);
    return;
  }
  let request;
  try {
    // The same checks as at write time, minus time: those held when it was integrated.
    const decoded = await decodeWriteRequest(
      content.envelope,
      envelopeCheckWith(options.loadSuite),
    );
    // Judged as logged: leaves of earlier versions kept the envelope as received (with members
    // and signatures that were not checked); newer ones keep only what was signed and verified.
    request = {
      ...decoded,
      canonicalEnvelope: canonicalize(content.envelope),
    };
    checkWriteContext(request, {
      origin: options.verifier.name,
      now: 0,
      freshnessSeconds: Number.MAX_SAFE_INTEGER,
    });
  } catch (error) {
    problem(`leaf ${index}: ${error instanceof RegistryProblem ? error.message : String(error)}`);
    return;
  }
  if (request.registryId !== content.registry_id)
    problem(
      `leaf ${index} says registry id ${String(content.registry_id)}, its request says ${request.registryId}`,
    );
  // The sequencer's own rules (entry-ledger.ts), on the state the log replays to before the leaf.
  const integratedAt = String(content.integrated_at);
  const decision = EntryLedger.over(
    lookupOf(replay),
    replay.ledger,
    options.policy ?? DEFAULT_POLICY,
  ).apply(request, index, integratedAt);
  if (decision.outcome === 'refused') {
    problem(`leaf ${index} should have been refused: ${decision.problem.message}`);
    return;
  }
  if (decision.outcome === 'idempotent') {
    problem(
      `leaf ${index} registers ${request.registryId} again (first at ${decision.index}); a repeated registration appends nothing`,
    );
    return;
  }
  if (!equalBytes(decision.leaf, leaf))
    problem(`leaf ${index} is not the canonical record of its request`);
  keepEntry(replay, decision.entry);
  replay.nonces.set(request.nonce, true);
}

/**
 * Keeps `entry` in the replay, its NodeSpec by digest only: the stored NodeSpec is compared
 * through that digest (sameState).
 */
function keepEntry(replay: Replay, entry: RegistryEntry): void {
  replay.entries.set(entry.registryId, { ...entry, nodeSpec: '' });
  const name = entry.registryId.slice(0, entry.registryId.indexOf('@'));
  replay.names.set(name, { ...replay.names.get(name), [entry.registryId]: entry.ownerId });
}

/**
 * What queries answer for `entries` (their stored answers and index terms, store/entry-documents.ts)
 * must be what the entries themselves give: a changed answer or term would serve other data than
 * the registry state that was just checked against the log.
 */
async function compareEntryIndex(
  store: Store,
  entries: readonly RegistryEntry[],
  problem: (message: string) => void,
): Promise<void> {
  const stored = new Map(
    (await store.entryIndexOf(entries.map((entry) => entry.registryId))).map((row) => [
      row.registryId,
      row,
    ]),
  );
  for (const entry of entries) {
    const row = stored.get(entry.registryId);
    const terms = [...(row?.terms ?? [])].sort(compareBytes);
    if (row?.served !== servedEntryJson(entry))
      problem(`the stored answer of entry ${entry.registryId} is not the entry's`);
    else if (row.summary !== entrySummaryJson(entry))
      problem(`the stored summary of entry ${entry.registryId} is not the entry's`);
    else if (terms.join('\n') !== entryTerms(entry).sort(compareBytes).join('\n'))
      problem(`the query terms of entry ${entry.registryId} are not the entry's`);
  }
}

function sameState(stored: RegistryEntry, replayed: RegistryEntry): boolean {
  return (
    stored.ownerId === replayed.ownerId &&
    stored.lane === replayed.lane &&
    stored.tier === replayed.tier &&
    stored.specDigest === replayed.specDigest &&
    sha256Digest(stored.nodeSpec) === replayed.specDigest &&
    stored.status === replayed.status &&
    stored.registeredIndex === replayed.registeredIndex &&
    stored.deregisteredIndex === replayed.deregisteredIndex &&
    stored.integratedAt === replayed.integratedAt &&
    stored.provenance === replayed.provenance &&
    stored.claimedIndex === replayed.claimedIndex &&
    sameSet(stored.signals, replayed.signals) &&
    sameSet(stored.capabilities, replayed.capabilities)
  );
}

/** The derived query keys are sets: the store may return them in its collation's order. */
function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sorted = (values: readonly string[]): string => JSON.stringify([...new Set(values)].sort());
  return a.length === b.length && sorted(a) === sorted(b);
}

async function replayControl(
  index: number,
  leaf: Uint8Array,
  content: { envelope?: unknown; integrated_at?: unknown; kind?: unknown },
  replay: Replay,
  options: FsckOptions,
  problem: (message: string) => void,
): Promise<void> {
  const { kind } = content;
  if (!isControlKind(kind)) {
    problem(`leaf ${index} has an unknown kind ${JSON.stringify(kind)}`);
    return;
  }
  const integratedAt = String(content.integrated_at);
  // The sequencer's own decision (entry-ledger.ts): trust records, imports and claims alike.
  const decision = await EntryLedger.over(
    lookupOf(replay),
    replay.ledger,
    options.policy ?? DEFAULT_POLICY,
  ).applyControl({ kind, envelope: content.envelope }, index, integratedAt);
  if (decision.outcome === 'refused') {
    problem(`leaf ${index} (${kind}): ${decision.problem.detail}`);
    return;
  }
  if (decision.outcome === 'idempotent') {
    problem(
      `leaf ${index} (${kind}) repeats the record at leaf ${decision.index}; a repeated ${kind} appends nothing`,
    );
    return;
  }
  if (!equalBytes(decision.leaf, leaf))
    problem(`leaf ${index} is not the canonical ${kind} record`);
  const { applied, entry } = decision;
  replay.ledger = applied.ledger;
  if (applied.document)
    replay.documents.set(`${applied.document.kind}/${applied.document.version}`, applied.document);
  if (applied.enrolment) replay.enrolments.set(applied.enrolment.ownerId, applied.enrolment);
  if (entry) keepEntry(replay, entry);
}

/** The state the log replays to so far, as the entry ledger reads it. */
function lookupOf(replay: Replay): EntryLookup {
  return {
    entry: (id) => replay.entries.get(id),
    nonceSeen: (nonce) => replay.nonces.has(nonce),
    enrolment: (owner) => replay.enrolments.get(owner),
    versionsOf: (name) =>
      Object.entries(replay.names.get(name) ?? {}).map(([registryId, ownerId]) => ({
        registryId,
        ownerId,
      })),
  };
}
