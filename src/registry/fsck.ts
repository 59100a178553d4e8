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
import type { CheckpointVerifier } from '../log/checkpoint-signature.js';
import { entrySummaryJson, entryTerms, servedEntryJson } from '../store/entry-documents.js';
import { compareBytes } from '../store/entry-pages.js';
import { ScratchSpace } from '../store/scratch.js';
import type { RegistryEntry, Store, StoredCheckpoint, SubtreeHash } from '../store/store.js';
import type { LeafCheck } from './leaf-check.js';
import { LeafCheckPool, threadsFor } from './leaf-check-pool.js';
import { LogReplay, openUnderReplayedTrust, TreeHasher } from './log-replay.js';
import type { EntitlementPolicy } from './policy.js';

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
  /**
   * Worker threads checking leaves (signatures above all); default one per core, none (the
   * calling thread) for a log of fewer than INLINE_BELOW leaves.
   */
  readonly threads?: number;
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
  const tree = new TreeHasher();
  const replay = new LogReplay(scratch, {
    origin: options.verifier.name,
    loadSuite: options.loadSuite,
    ...(options.policy === undefined ? {} : { policy: options.policy }),
  });
  const threads = threadsFor(size, options.threads);
  const pool = new LeafCheckPool({
    origin: options.verifier.name,
    ...(threads === undefined ? {} : { threads }),
  });
  try {
    await pool.ready;
    const chunk = options.chunk ?? 128;
    // Chunks read and checked ahead on every core while the replay goes on in order.
    const ahead: Promise<{ start: number; leaves: Uint8Array[]; checks: LeafCheck[] }>[] = [];
    let next = 0;
    const readAhead = (): void => {
      while (next < size && ahead.length < pool.threads * 2) {
        const start = next;
        next += chunk;
        const read = store.readLeaves(start, Math.min(size, start + chunk));
        ahead.push(
          read.then(async (leaves) => ({ start, leaves, checks: await pool.checkLeaves(leaves) })),
        );
      }
    };
    readAhead();
    for (let item = ahead.shift(); item !== undefined; item = ahead.shift()) {
      const { start, leaves, checks } = await item;
      readAhead();
      if (leaves.length !== Math.min(chunk, size - start))
        problem(`leaves ${start}..${start + chunk - 1}: ${leaves.length} stored`);
      const computed: SubtreeHash[] = [];
      for (const [offset, leaf] of leaves.entries()) {
        const check = checks[offset] as LeafCheck;
        computed.push(...tree.add(check.leafHash));
        await replay.apply(start + offset, leaf, check, problem);
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
      tree.prune();
      options.onProgress?.(start + leaves.length, size);
    }
  } finally {
    await pool.close();
  }

  if (latest !== undefined) {
    const opened = await openUnderReplayedTrust(
      latest.note,
      replay.ledger,
      options.verifier,
      options.loadSuite,
    );
    if (!opened.ok) problem(`the latest checkpoint does not verify: ${opened.message}`);
    else if (
      opened.checkpoint.size === size &&
      tree.leaves === size &&
      !equalBytes(opened.checkpoint.rootHash, tree.root())
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
      const want = replay.entries.get(entry.registryId);
      if (!want) problem(`entry ${entry.registryId} is in the registry state but in no log leaf`);
      else if (!sameState(entry, want))
        problem(`entry ${entry.registryId} differs from the replay of the log`);
      else replayed.push(entry);
    }
    await compareEntryIndex(store, replayed, problem);
    if (page.length < COMPARE_PAGE) break;
    after = page[page.length - 1]?.registryId;
  }
  if (stored !== replay.entries.size)
    problem(
      `the registry state holds ${stored} entries; the log replays to ${replay.entries.size}`,
    );
  await compareTrust(store, replay, problem);
  return {
    ok: problems.length === 0,
    size,
    checkpointSize: latest?.size,
    entries: replay.entries.size,
    problems,
  };
}

/** Stored trust documents and enrolments must be exactly the replayed ones. */
async function compareTrust(
  store: Store,
  replay: LogReplay,
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
