/**
 * What the explorer's "verified" badge stands on, checked in the browser with the pure verifier
 * the CLI uses (`matriz/verify`, src/verify):
 *
 * 1. Trust on first use: the first visit walks the trust root chain from version 1 to the newest
 *    and pins the newest in localStorage (per log origin). Later visits walk from the pinned root
 *    to the registry's newest; a chain that no longer holds (a root not signed by its
 *    predecessor's root keys, a rolled-back version, an expired root) is a visible warning, and
 *    nothing is shown as verified until the user deliberately forgets the pin.
 * 2. The newest revocation list, signed under that root.
 * 3. The latest checkpoint: Ed25519 and ML-DSA-44 signatures by a log key of the root, not
 *    revoked at the checkpoint's time.
 * 4. Consistency with the largest checkpoint this browser verified before (append-only).
 *
 * A log without a trust root is pinned by its log keys (`api/v1/log/keys`) instead; keys that
 * change without a root to chain them are the same warning.
 *
 * ML-DSA and Ed25519 run on the pure TypeScript backend (@noble): no WebAssembly, so the page's
 * CSP needs no `wasm-unsafe-eval`.
 */
import { base64Decode } from '../src/crypto/encoding.js';
import { leafHash } from '../src/log/hash.js';
import { rootFromInclusionProof } from '../src/log/proof.js';
import {
  checkpointVerifierForKeys,
  loadVerifierSuites,
  peekCheckpoint,
  verifyCheckpointUnderRoot,
  verifyCheckpointWithKeys,
  verifyConsistencyProof,
  verifyEntry,
  verifyImportedEntry,
  verifyRevocations,
  verifyTrustRootChain,
  type Checkpoint,
  type RegistryEntry,
  type RevocationList,
  type TreeHead,
  type TrustRoot,
  type VerifierSuites,
} from '../src/verify/index.js';
import {
  getBytes,
  getJson,
  getJsonOrNone,
  getText,
  type LogKeysDocument,
  type ProofJson,
} from './api.js';

/** What this browser pinned for one log origin (localStorage, JSON). */
interface Pin {
  readonly pinnedAt: string;
  /** The newest trust root envelope verified so far (roots mode). */
  readonly root?: unknown;
  /** The log keys pinned on first use (a log without a trust root). */
  readonly keys?: LogKeysDocument;
  /** The largest checkpoint verified so far. */
  readonly checkpoint?: string;
}

export interface TrustState {
  readonly origin: string;
  readonly mode: 'trust-root' | 'log-keys';
  readonly pinnedAt: string;
  /** True when this visit pinned (first use). */
  readonly firstUse: boolean;
  readonly root?: TrustRoot;
  /** Root versions walked this visit, pinned first. */
  readonly walked: readonly number[];
  readonly revocations?: RevocationList;
  readonly checkpoint: Checkpoint;
  readonly note: string;
  /** The checkpoint's signing time (POSIX seconds). */
  readonly timestamp: number;
  /** The size this browser had verified before, when the log was checked consistent with it. */
  readonly consistentFrom?: number;
}

/** A refused check: which step, the verifier's error code, and its message. */
export class TrustFailure extends Error {
  override readonly name = 'TrustFailure';
  constructor(
    readonly step: string,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const STORAGE_PREFIX = 'matriz-explorer.pin.';

function readPin(origin: string): Pin | undefined {
  const text = localStorage.getItem(STORAGE_PREFIX + origin);
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as Pin;
  } catch {
    return undefined;
  }
}

function writePin(origin: string, pin: Pin): void {
  localStorage.setItem(STORAGE_PREFIX + origin, JSON.stringify(pin));
}

/** Forgets what this browser pinned (every log of this site): the next check trusts on first use. */
export function forgetPins(): void {
  for (const key of Object.keys(localStorage))
    if (key.startsWith(STORAGE_PREFIX)) localStorage.removeItem(key);
}

let suites: Promise<VerifierSuites> | undefined;

function verifierSuites(): Promise<VerifierSuites> {
  suites ??= loadVerifierSuites('noble');
  return suites;
}

/** Runs `check` as step `step`: a thrown verifier error becomes a TrustFailure naming it. */
async function step<T>(name: string, check: () => T | Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (error) {
    if (error instanceof TrustFailure) throw error;
    const code = (error as { code?: unknown }).code;
    throw new TrustFailure(
      name,
      typeof code === 'string' ? code : (error as Error).name,
      (error as Error).message,
    );
  }
}

function payloadVersion(envelope: unknown): number {
  const payload = (envelope as { payload?: unknown }).payload;
  if (typeof payload !== 'string') throw new Error('the trust root envelope has no payload');
  const version = (JSON.parse(atob(payload)) as { version?: unknown }).version;
  if (typeof version !== 'number') throw new Error('the trust root has no version');
  return version;
}

function sameKeys(a: LogKeysDocument, b: LogKeysDocument): boolean {
  return (
    a.origin === b.origin &&
    a.ed25519_vkey === b.ed25519_vkey &&
    a.ml_dsa_44.public_key === b.ml_dsa_44.public_key
  );
}

/**
 * Establishes what the badge stands on (see the file comment). Rejects with TrustFailure; a
 * failure of the pin (`root-chain`, `log-keys`, `consistency`) leaves the pin as it was.
 */
export async function establishTrust(): Promise<TrustState> {
  const loaded = await step('suites', verifierSuites);
  const note = await getText('api/v1/log/checkpoint');
  const { origin } = await step('checkpoint', () => peekCheckpoint(note));
  const pin = readPin(origin);
  const firstUse = pin === undefined;
  const pinnedAt = pin?.pinnedAt ?? new Date().toISOString();
  const newest = await getJsonOrNone<unknown>('api/v1/trust/root');

  let root: TrustRoot | undefined;
  let rootEnvelope: unknown;
  let walked: number[] = [];
  let revocations: RevocationList | undefined;
  let checkpoint: Checkpoint;
  let timestamp: number;
  let keys: LogKeysDocument | undefined;
  if (newest !== undefined) {
    const newestVersion = await step('root-chain', () => payloadVersion(newest));
    const pinned = pin?.root ?? (await getJson<unknown>('api/v1/trust/root/1'));
    const pinnedVersion = await step('root-chain', () => payloadVersion(pinned));
    if (pinnedVersion > newestVersion)
      throw new TrustFailure(
        'root-chain',
        'rolled-back',
        `the registry's newest trust root is version ${newestVersion}, older than version ${pinnedVersion} pinned here on ${pinnedAt}`,
      );
    const chain: unknown[] = [];
    for (let version = pinnedVersion + 1; version <= newestVersion; version++)
      chain.push(await getJson<unknown>(`api/v1/trust/root/${version}`));
    const result = await step('root-chain', () =>
      verifyTrustRootChain(pinned, chain, { suites: loaded, now: new Date() }),
    );
    root = result.newest;
    rootEnvelope = chain.length > 0 ? chain[chain.length - 1] : pinned;
    walked = [result.pinned.version, ...result.chain.map((r) => r.version)];
    const revocationEnvelope = await getJsonOrNone<unknown>('api/v1/trust/revocations');
    const underRoot = root;
    if (revocationEnvelope !== undefined)
      revocations = await step('revocations', () =>
        verifyRevocations(revocationEnvelope, underRoot, { suites: loaded }),
      );
    const revoked = revocations;
    ({ checkpoint, timestamp } = await step('checkpoint', () =>
      verifyCheckpointUnderRoot(note, underRoot, {
        suites: loaded,
        ...(revoked === undefined ? {} : { revocations: revoked }),
      }),
    ));
  } else {
    if (pin?.root !== undefined)
      throw new TrustFailure(
        'root-chain',
        'root-missing',
        `this browser pinned a trust root for ${origin} on ${pinnedAt}, and the registry now serves none`,
      );
    const served = await getJson<LogKeysDocument>('api/v1/log/keys');
    if (pin?.keys !== undefined && !sameKeys(pin.keys, served))
      throw new TrustFailure(
        'log-keys',
        'keys-changed',
        `the log keys of ${origin} changed since they were pinned here on ${pinnedAt}, and the log has no trust root to chain them`,
      );
    keys = pin?.keys ?? served;
    const pinnedKeys = keys;
    ({ checkpoint, timestamp } = await step('checkpoint', () =>
      verifyCheckpointWithKeys(note, checkpointVerifierForKeys(pinnedKeys, loaded)),
    ));
  }

  // Append-only: the largest checkpoint verified before must be a prefix of this one.
  let consistentFrom: number | undefined;
  let largest = note;
  if (pin?.checkpoint !== undefined) {
    const earlier = peekCheckpoint(pin.checkpoint);
    if (earlier.size > checkpoint.size)
      throw new TrustFailure(
        'consistency',
        'not-newer',
        `the registry's checkpoint has ${checkpoint.size} entries, fewer than the ${earlier.size} this browser verified before`,
      );
    await proveConsistent(earlier, checkpoint);
    consistentFrom = earlier.size;
    if (earlier.size === checkpoint.size) largest = pin.checkpoint;
  }

  writePin(origin, {
    pinnedAt,
    ...(rootEnvelope === undefined ? {} : { root: rootEnvelope }),
    ...(keys === undefined ? {} : { keys }),
    checkpoint: largest,
  });
  return {
    origin,
    mode: root === undefined ? 'log-keys' : 'trust-root',
    pinnedAt,
    firstUse,
    ...(root === undefined ? {} : { root }),
    walked,
    ...(revocations === undefined ? {} : { revocations }),
    checkpoint,
    note,
    timestamp,
    ...(consistentFrom === undefined ? {} : { consistentFrom }),
  };
}

/** What the node page's badge shows once an entry is checked. */
export interface EntryProof {
  readonly index: number;
  readonly size: number;
  readonly leaf: Uint8Array;
}

/**
 * Verifies `entry` against the verified checkpoint of `trust`, as the client library does: its
 * leaf and inclusion proof, and that the leaf is the owner's signed registration of exactly this
 * NodeSpec (verifyEntry); for an entry imported from the prototype registry, that its import
 * record is signed by the trust root's enrolment role, and a claim binds it to its owner
 * (verifyImportedEntry).
 */
export async function verifyEntryInBrowser(
  entry: RegistryEntry,
  trust: TrustState,
): Promise<EntryProof> {
  const { size } = trust.checkpoint;
  if (entry.log_index >= size)
    throw new TrustFailure(
      'inclusion',
      'not-in-checkpoint',
      `log entry ${entry.log_index} is not in the checkpoint of size ${size}`,
    );
  const leaf = await getBytes(`api/v1/log/entries/${entry.log_index}`);
  const proof = await getJson<ProofJson>(
    `api/v1/log/proof/inclusion?index=${entry.log_index}&size=${size}`,
  );
  await step('inclusion', () => {
    verifyEntry(entry, leaf, proof.hashes, trust.checkpoint);
  });
  if (entry.provenance === 'legacy-import') {
    const { root } = trust;
    if (root === undefined)
      throw new TrustFailure(
        'import',
        'no-trust-root',
        `${entry.registry_id} was imported from the prototype registry, and this log has no trust root to check the import against`,
      );
    const claimed = entry.claimed_log_index;
    const claim =
      claimed === undefined
        ? undefined
        : {
            leaf: await getBytes(`api/v1/log/entries/${claimed}`),
            proof: (
              await getJson<ProofJson>(`api/v1/log/proof/inclusion?index=${claimed}&size=${size}`)
            ).hashes,
            checkpoint: trust.checkpoint,
          };
    const loaded = await verifierSuites();
    await step('import', () => verifyImportedEntry(entry, leaf, root, loaded, claim));
  }
  return { index: entry.log_index, size, leaf };
}

/** The root hash of the tree of size `size` (1..signed size), anchored in the signed checkpoint. */
async function rootAtSize(size: number, signed: Checkpoint): Promise<TreeHead> {
  if (size === signed.size) return signed;
  // The registry's claim: the inclusion proof of leaf size-1 in the tree of that size implies its
  // root; the consistency proof to the signed tree then proves that root is a prefix of it.
  const leaf = await getBytes(`api/v1/log/entries/${size - 1}`);
  const inclusion = await getJson<ProofJson>(
    `api/v1/log/proof/inclusion?index=${size - 1}&size=${size}`,
  );
  const rootHash = await step('consistency', () => {
    const root = rootFromInclusionProof(
      size - 1,
      size,
      leafHash(leaf),
      inclusion.hashes.map((hash) => base64Decode(hash, 'inclusion proof hash')),
    );
    if (root === undefined)
      throw new TrustFailure('consistency', 'malformed-proof', `no tree of size ${size}`);
    return root;
  });
  const head: TreeHead = { size, rootHash, origin: signed.origin };
  await proveConsistent(head, signed);
  return head;
}

async function proveConsistent(older: TreeHead, newer: TreeHead): Promise<number> {
  const proof =
    older.size === newer.size || older.size === 0
      ? { hashes: [] }
      : await getJson<ProofJson>(
          `api/v1/log/proof/consistency?from=${older.size}&to=${newer.size}`,
        );
  await step('consistency', () => {
    verifyConsistencyProof(older, newer, proof.hashes);
  });
  return proof.hashes.length;
}

export interface ConsistencyResult {
  readonly from: TreeHead;
  readonly to: TreeHead;
  /** Hashes in the consistency proof from `from` to `to`. */
  readonly hashes: number;
}

/**
 * Proves that the tree of size `from` is a prefix of the tree of size `to` (1 <= from <= to <=
 * the signed size): each root is derived from the registry's proofs and checked consistent with
 * the signed checkpoint, then `from` is checked against `to`. Rejects with TrustFailure.
 */
export async function checkConsistency(
  from: number,
  to: number,
  signed: Checkpoint,
): Promise<ConsistencyResult> {
  if (!(Number.isSafeInteger(from) && Number.isSafeInteger(to) && from >= 1 && from <= to))
    throw new TrustFailure('consistency', 'invalid-sizes', `sizes must satisfy 1 <= from <= to`);
  if (to > signed.size)
    throw new TrustFailure(
      'consistency',
      'invalid-sizes',
      `size ${to} is larger than the signed checkpoint's ${signed.size}`,
    );
  const older = await rootAtSize(from, signed);
  const newer = await rootAtSize(to, signed);
  return { from: older, to: newer, hashes: await proveConsistent(older, newer) };
}
