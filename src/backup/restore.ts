/**
 * `matriz restore`: opens a `matriz-export/v1` file (export-format.ts) and writes it into an
 * empty target, or writes nothing. Checks, in order, each refusal with its own code:
 *
 *   truncated        the file does not end with a trailer
 *   trailer-damaged  the trailer does not parse, or a signature in it fails under its own key
 *   header-modified  the header is not the one the trailer signed
 *   other-log        the export's origin or trust roots are not the pinned trust root's, or
 *                    it is not signed by the pinned log key
 *   not-a-recipient  the export is not sealed to the given key
 *   wrong-key        the key is listed but does not open the content key
 *   body-damaged     a record fails to decrypt or parse, or the body is not the one signed
 *   root-mismatch    the root recomputed from the leaves is not the signed checkpoint's
 *   inconsistent     the rows disagree with the header (size, checkpoint, counts)
 *   untrusted-signer the trailer is not signed by a threshold of the log keys of the newest
 *                    trust root in the export (before a trust root: the first log key)
 *   replay           fsck over the written rows finds problems
 *
 * The rows go into one transaction (PostgreSQL) or a database file built beside the target
 * (SQLite), checked there (fsck), and are committed or renamed into place only when all passed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { verifierFor, verifyEnvelope, type EnvelopeVerifier } from '../crypto/dsse.js';
import { base64Decode, base64Encode, equalBytes } from '../crypto/encoding.js';
import { collectBytes, hpkeKeyPairFromSeed, hpkeOpen } from '../crypto/hpke.js';
import { publicKeyFromJson, type PublicKey } from '../crypto/keys.js';
import { loadSignatureSuite } from '../crypto/suites.js';
import { writeFileAtomic } from '../files/atomic-file.js';
import { canonicalize } from '../json/canonicalize.js';
import { leafHash } from '../log/hash.js';
import { completedSubtrees, rangeHash, rangeRefs } from '../log/subtree.js';
import { fsck } from '../registry/fsck.js';
import { openPostgresStore } from '../store/postgres-store.js';
import { openSqliteStore } from '../store/sqlite-store.js';
import {
  StoreError,
  type SnapshotRecord,
  type Store,
  type StoredTrustDocument,
} from '../store/store.js';
import { peekRevocationList } from '../trust/revocations.js';
import { logKeyOf, LOG_KEY_ALGORITHM, peekTrustRoot, roleKeys } from '../trust/trust-root.js';
import {
  decodeRecords,
  EXPORT_END,
  EXPORT_FORMAT,
  EXPORT_MAGIC,
  EXPORT_PAYLOAD_TYPE,
  MAX_FRAME_BYTES,
  readU32,
  SEALED_SUITE,
  type ExportHeader,
  type ExportStatement,
  type RecordCounts,
} from './export-format.js';

export type RestoreErrorCode =
  | 'truncated'
  | 'trailer-damaged'
  | 'header-modified'
  | 'other-log'
  | 'not-a-recipient'
  | 'wrong-key'
  | 'body-damaged'
  | 'root-mismatch'
  | 'inconsistent'
  | 'untrusted-signer'
  | 'replay'
  | 'plaintext'
  | 'target-not-empty';

export class RestoreError extends Error {
  override readonly name = 'RestoreError';
  constructor(
    readonly code: RestoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type RestoreTarget =
  | { readonly kind: 'sqlite'; readonly dataDir: string }
  | {
      readonly kind: 'postgres';
      readonly databaseUrl: string;
      readonly schema?: string;
      /** Where to write `registry.json` (the origin) for `matriz serve`, if given. */
      readonly dataDir?: string;
    };

export interface RestoreOptions {
  readonly file: string;
  /** The recipient's X-Wing key pair; absent only for a plaintext export. */
  readonly recipient?: { readonly keyid: string; readonly privateKey: Uint8Array };
  /** Accept an unencrypted export (tests only). */
  readonly plaintext?: boolean;
  readonly target: RestoreTarget;
  /** A trust root envelope (parsed JSON) the export must descend from. */
  readonly pinnedRoot?: unknown;
  /** A log key the export must be signed by (`pinnedLogKeyFromJson`). */
  readonly pinnedLogKey?: PinnedLogKey;
}

/** A log's key as a client saved it before the restore: the log's origin and its log key. */
export interface PinnedLogKey {
  readonly origin: string;
  readonly key: PublicKey;
}

/**
 * Reads a pinned log key from the JSON `GET /api/v1/log/keys` answers (`{"origin", "ml_dsa_44",
 * "ed25519", ...}`), saved while the log was healthy. Throws Error naming what is wrong.
 */
export function pinnedLogKeyFromJson(value: unknown, source: string): PinnedLogKey {
  const fields = (typeof value === 'object' && value !== null ? value : {}) as Record<
    string,
    unknown
  >;
  if (typeof fields.origin !== 'string' || fields.origin === '')
    throw new Error(`${source}: no "origin": expected the JSON of GET /api/v1/log/keys`);
  const mlDsa44 = publicKeyFromJson(fields.ml_dsa_44, `${source} "ml_dsa_44"`);
  const ed25519 = publicKeyFromJson(fields.ed25519, `${source} "ed25519"`);
  if (mlDsa44.algorithm !== 'ml-dsa-44' || ed25519.algorithm !== 'ed25519')
    throw new Error(`${source}: "ml_dsa_44" and "ed25519" must be keys of those algorithms`);
  return { origin: fields.origin, key: logKeyOf(mlDsa44.publicKey, ed25519.publicKey) };
}

export interface RestoreSummary {
  readonly origin: string;
  readonly treeSize: number;
  readonly rootHash: string;
  readonly entries: number;
  readonly counts: RecordCounts;
  readonly signedBy: readonly string[];
}

interface Frame {
  readonly header: ExportHeader;
  readonly headerBytes: Uint8Array;
  readonly bodyStart: number;
  readonly bodyEnd: number;
  readonly statement: ExportStatement;
  readonly envelope: unknown;
  readonly keys: readonly PublicKey[];
}

export async function restoreLog(options: RestoreOptions): Promise<RestoreSummary> {
  const frame = await readFrame(options.file);
  const { header } = frame;
  const pinned = options.pinnedRoot === undefined ? undefined : peekTrustRoot(options.pinnedRoot);
  if (pinned && pinned.origin !== header.origin)
    throw new RestoreError(
      'other-log',
      `this is an export of log ${header.origin}; the pinned trust root is of ${pinned.origin}`,
    );
  if (options.pinnedLogKey && options.pinnedLogKey.origin !== header.origin)
    throw new RestoreError(
      'other-log',
      `this is an export of log ${header.origin}; the pinned log key is of ${options.pinnedLogKey.origin}`,
    );
  const contentKey = await openContentKey(header, options);
  const observed = new Observed();
  const records = bodyRecords(options.file, frame, contentKey, observed);

  let summary: RestoreSummary | undefined;
  const verify = async (view: Store): Promise<void> => {
    summary = await verifyRestored(
      view,
      frame,
      observed,
      pinned && options.pinnedRoot,
      options.pinnedLogKey,
    );
  };
  await writeTarget(options.target, header, records, verify);
  if (!summary) throw new Error('restore: verification did not run');
  return summary;
}

/** Reads the trailer (from the end), checks its signatures under its own keys, then the header. */
async function readFrame(file: string): Promise<Frame> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const read = async (position: number, length: number): Promise<Uint8Array> => {
      const buffer = new Uint8Array(length);
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      return buffer.subarray(0, bytesRead);
    };
    const minimum = EXPORT_MAGIC.length + 4 + 4 + EXPORT_END.length;
    const tail =
      size >= minimum ? await read(size - EXPORT_END.length - 4, EXPORT_END.length + 4) : undefined;
    if (!tail || !equalBytes(tail.subarray(4), EXPORT_END))
      throw new RestoreError(
        'truncated',
        `${file} is truncated or not a matriz export: it does not end with the export trailer (${size} bytes)`,
      );
    const trailerLength = readU32(tail);
    const trailerStart = size - EXPORT_END.length - 4 - trailerLength;
    const damaged = (why: string) =>
      new RestoreError('trailer-damaged', `${file}: the trailer (signature) is damaged: ${why}`);
    if (trailerLength > MAX_FRAME_BYTES || trailerStart < minimum)
      throw damaged(`length ${trailerLength} out of range`);
    const trailerBytes = await read(trailerStart, trailerLength);
    let envelope: unknown;
    let keys: PublicKey[];
    let statement: ExportStatement;
    try {
      const text = new TextDecoder('utf-8', { fatal: true }).decode(trailerBytes);
      const trailer = JSON.parse(text) as { envelope?: unknown; keys?: unknown };
      if (canonicalize(trailer) !== text) throw new Error('not in RFC 8785 canonical form');
      if (!Array.isArray(trailer.keys) || trailer.keys.length === 0) throw new Error('no keys');
      keys = trailer.keys.map((k, i) => publicKeyFromJson(k, `trailer key ${i}`));
      if (keys.some((k) => k.algorithm !== LOG_KEY_ALGORITHM)) throw new Error('not a log key');
      envelope = trailer.envelope;
    } catch (error) {
      throw damaged((error as Error).message);
    }
    const suite = await loadSignatureSuite(LOG_KEY_ALGORITHM);
    let verified;
    try {
      verified = verifyEnvelope(
        envelope,
        keys.map((k) => verifierFor(k, suite)),
        keys.length,
      );
    } catch (error) {
      throw damaged((error as Error).message);
    }
    if (!verified.valid || verified.payloadType !== EXPORT_PAYLOAD_TYPE)
      throw damaged('a signature does not verify under the key the trailer names');
    try {
      statement = JSON.parse(new TextDecoder().decode(verified.payload)) as ExportStatement;
    } catch (error) {
      throw damaged((error as Error).message);
    }

    const headerModified = (why: string) =>
      new RestoreError(
        'header-modified',
        `${file}: the header was modified after the export was signed (${why})`,
      );
    const start = await read(0, EXPORT_MAGIC.length + 4);
    if (!equalBytes(start.subarray(0, EXPORT_MAGIC.length), EXPORT_MAGIC))
      throw headerModified('no MATRIZ-EXPORT1 magic');
    const headerLength = readU32(start, EXPORT_MAGIC.length);
    if (headerLength > MAX_FRAME_BYTES || EXPORT_MAGIC.length + 4 + headerLength > trailerStart)
      throw headerModified(`length ${headerLength} out of range`);
    const headerJson = await read(EXPORT_MAGIC.length + 4, headerLength);
    const digest = createHash('sha256').update(start).update(headerJson).digest('hex');
    if (digest !== statement.header_sha256)
      throw headerModified('its SHA-256 is not the signed one');
    const header = JSON.parse(new TextDecoder().decode(headerJson)) as ExportHeader;
    if (
      (header.format as string) !== EXPORT_FORMAT ||
      (statement.format as string) !== EXPORT_FORMAT ||
      header.origin !== statement.origin ||
      header.tree_size !== statement.tree_size ||
      header.root_hash !== statement.root_hash
    )
      throw headerModified('it disagrees with the signed statement');
    return {
      header,
      headerBytes: headerJson,
      bodyStart: EXPORT_MAGIC.length + 4 + headerLength,
      bodyEnd: trailerStart,
      statement,
      envelope,
      keys,
    };
  } finally {
    await handle.close();
  }
}

/** The content key's private half, unwrapped with the recipient key. */
async function openContentKey(
  header: ExportHeader,
  options: RestoreOptions,
): Promise<Uint8Array | undefined> {
  if (header.encryption.suite === 'none') {
    if (!options.plaintext)
      throw new RestoreError(
        'plaintext',
        'this export is NOT encrypted (made with --plaintext, for tests); restore it only with --plaintext',
      );
    return undefined;
  }
  if ((header.encryption.suite as string) !== SEALED_SUITE)
    throw new RestoreError(
      'header-modified',
      `unknown encryption suite ${String((header.encryption as { suite: unknown }).suite)}`,
    );
  const recipient = options.recipient;
  if (!recipient)
    throw new RestoreError(
      'not-a-recipient',
      'this export is encrypted; give the recipient key with --key',
    );
  const listed = header.encryption.recipients.find((r) => r.keyid === recipient.keyid);
  if (!listed)
    throw new RestoreError(
      'not-a-recipient',
      `this export is not sealed to key ${recipient.keyid}; it is sealed to ${header.encryption.recipients.map((r) => r.keyid).join(', ')}`,
    );
  try {
    const seed = await collectBytes(
      hpkeOpen(recipient.privateKey, base64Decode(listed.wrapped_key)),
    );
    return (await hpkeKeyPairFromSeed(seed)).privateKey;
  } catch {
    throw new RestoreError(
      'wrong-key',
      `key ${recipient.keyid} does not open the content key sealed to it: wrong key file, or a damaged export`,
    );
  }
}

/** What the restore saw go by in the body: tree math, trust documents, counts, the end record. */
class Observed {
  leaves = 0;
  readonly frontier = new Map<string, Uint8Array>();
  lastCheckpoint: { size: number; note: string } | undefined;
  readonly trustDocuments: StoredTrustDocument[] = [];
  readonly counts: Record<SnapshotRecord['type'], number> = {
    leaf: 0,
    subtree: 0,
    checkpoint: 0,
    'trust-document': 0,
    enrolment: 0,
    entry: 0,
    nonce: 0,
  };
  end: RecordCounts | undefined;
  bodyDigest = '';

  addLeaf(index: number, data: Uint8Array): void {
    const lookup = (level: number, i: number): Uint8Array => {
      const hash = this.frontier.get(`${level}/${i}`);
      if (!hash) throw new Error(`missing subtree (${level}, ${i})`);
      return hash;
    };
    for (const subtree of completedSubtrees(index, leafHash(data), lookup))
      this.frontier.set(`${subtree.level}/${subtree.index}`, subtree.hash);
    this.leaves = index + 1;
    // Keep the frontier only: what the root and later leaves need.
    const keep = new Set(
      rangeRefs({ start: 0, end: this.leaves }).map((r) => `${r.level}/${r.index}`),
    );
    for (const key of this.frontier.keys()) if (!keep.has(key)) this.frontier.delete(key);
  }

  root(): Uint8Array | undefined {
    if (this.leaves === 0) return undefined;
    return rangeHash({ start: 0, end: this.leaves }, (level, index) => {
      const hash = this.frontier.get(`${level}/${index}`);
      if (!hash) throw new Error(`missing subtree (${level}, ${index})`);
      return hash;
    });
  }
}

/** Decrypts and decodes the body, a read buffer at a time, noting what passes. */
async function* bodyRecords(
  file: string,
  frame: Frame,
  contentKey: Uint8Array | undefined,
  observed: Observed,
): AsyncGenerator<SnapshotRecord> {
  const hash = createHash('sha256');
  async function* ciphertext(): AsyncGenerator<Uint8Array> {
    if (frame.bodyEnd <= frame.bodyStart) return;
    for await (const chunk of createReadStream(file, {
      start: frame.bodyStart,
      end: frame.bodyEnd - 1,
      highWaterMark: 256 * 1024,
    })) {
      const bytes = new Uint8Array(chunk as Buffer);
      hash.update(bytes);
      yield bytes;
    }
  }
  const plaintext = contentKey ? hpkeOpen(contentKey, ciphertext()) : ciphertext();
  let recordNumber = 0;
  try {
    for await (const decoded of decodeRecords(plaintext)) {
      recordNumber++;
      if (decoded.kind === 'end') {
        observed.end = decoded.counts;
        continue;
      }
      const { record } = decoded;
      observed.counts[record.type]++;
      if (record.type === 'leaf') observed.addLeaf(record.index, record.data);
      else if (record.type === 'checkpoint') observed.lastCheckpoint = record.checkpoint;
      else if (record.type === 'trust-document') observed.trustDocuments.push(record.document);
      yield record;
    }
  } catch (error) {
    throw new RestoreError(
      'body-damaged',
      `${file}: the encrypted body is damaged after record ${recordNumber}: ${(error as Error).message}`,
    );
  }
  observed.bodyDigest = hash.digest('hex');
  if (observed.bodyDigest !== frame.statement.body_sha256)
    throw new RestoreError('body-damaged', `${file}: the body is not the one the trailer signed`);
}

/** Everything after the rows are written, before they are committed. */
async function verifyRestored(
  view: Store,
  frame: Frame,
  observed: Observed,
  pinnedEnvelope: unknown,
  pinnedLogKey: PinnedLogKey | undefined,
): Promise<RestoreSummary> {
  const { header } = frame;
  const root = observed.root();
  if (observed.leaves !== header.tree_size)
    throw new RestoreError(
      'inconsistent',
      `the export holds ${observed.leaves} leaves; its header says ${header.tree_size}`,
    );
  if (root !== undefined && base64Encode(root) !== header.root_hash)
    throw new RestoreError(
      'root-mismatch',
      `the root hash recomputed from the ${observed.leaves} leaves is not the root of the signed checkpoint`,
    );
  if ((observed.lastCheckpoint?.note ?? null) !== header.checkpoint)
    throw new RestoreError(
      'inconsistent',
      'the latest checkpoint in the export is not the one in its header',
    );
  const end = observed.end;
  if (
    !end ||
    Object.entries(observed.counts).some(([type, n]) => end[type as SnapshotRecord['type']] !== n)
  )
    throw new RestoreError(
      'inconsistent',
      'the record counts in the export do not match its end record',
    );

  const newest = (kind: string) =>
    observed.trustDocuments.filter((d) => d.kind === kind).sort((a, b) => b.version - a.version)[0];
  const rootDocument = newest('trust-root');
  if (pinnedEnvelope !== undefined) {
    const pinned = peekTrustRoot(pinnedEnvelope);
    const same = observed.trustDocuments.find(
      (d) => d.kind === 'trust-root' && d.version === pinned.version,
    );
    if (!same || same.envelope !== canonicalize(pinnedEnvelope))
      throw new RestoreError(
        'other-log',
        `the export's trust root v${pinned.version} is not the pinned one: this is not an export of the pinned log`,
      );
  }
  const signedBy = await checkSigners(frame, rootDocument, newest('revocations'));
  // The export's own keys vouch for it only as far as its own history goes; a pinned key ties it
  // to the log the client knew.
  if (pinnedLogKey && !signedBy.includes(pinnedLogKey.key.keyid))
    throw new RestoreError(
      'other-log',
      `the export is not signed by the pinned log key ${pinnedLogKey.key.keyid}: this is not an export of the pinned log (signed by ${signedBy.join(', ')})`,
    );

  const [ed25519, mlDsa44] = await Promise.all([
    loadSignatureSuite('ed25519'),
    loadSignatureSuite('ml-dsa-44'),
  ]);
  const report = await fsck({
    store: view,
    verifier: {
      name: header.origin,
      ed25519PublicKey: base64Decode(header.first_log_key.ed25519),
      mlDsa44PublicKey: base64Decode(header.first_log_key.ml_dsa_44),
      ed25519,
      mlDsa44,
    },
    loadSuite: (algorithm) => loadSignatureSuite(algorithm),
  });
  if (!report.ok)
    throw new RestoreError(
      'replay',
      `the restored log does not replay cleanly (${report.problems.length} problem(s)); first: ${report.problems[0] ?? ''}`,
    );
  return {
    origin: header.origin,
    treeSize: header.tree_size,
    rootHash: header.root_hash,
    entries: report.entries,
    counts: observed.counts,
    signedBy,
  };
}

/** The trailer must be signed by a threshold of the current log keys the export itself names. */
async function checkSigners(
  frame: Frame,
  rootDocument: StoredTrustDocument | undefined,
  revocationsDocument: StoredTrustDocument | undefined,
): Promise<string[]> {
  const suite = await loadSignatureSuite(LOG_KEY_ALGORITHM);
  let trusted: PublicKey[];
  let threshold = 1;
  let what: string;
  if (rootDocument === undefined) {
    const first = frame.header.first_log_key;
    trusted = [logKeyOf(base64Decode(first.ml_dsa_44), base64Decode(first.ed25519))];
    what = "the log's first log key";
  } else {
    const root = peekTrustRoot(JSON.parse(rootDocument.envelope));
    const revoked = new Set(
      revocationsDocument === undefined
        ? []
        : peekRevocationList(JSON.parse(revocationsDocument.envelope)).revoked.map((r) => r.keyid),
    );
    trusted = roleKeys(root, 'log').filter((k) => !revoked.has(k.keyid));
    threshold = root.roles.log.threshold;
    what = `the unrevoked log keys of trust root v${root.version}`;
  }
  const verifiers: EnvelopeVerifier[] = trusted.map((k) => verifierFor(k, suite));
  const result =
    verifiers.length >= threshold
      ? verifyEnvelope(frame.envelope, verifiers, threshold)
      : undefined;
  if (!result?.valid)
    throw new RestoreError(
      'untrusted-signer',
      `the export is not signed by ${what} (threshold ${threshold}); signed by ${frame.keys.map((k) => k.keyid).join(', ')}`,
    );
  return [...result.verifiedKeyIds];
}

async function writeTarget(
  target: RestoreTarget,
  header: ExportHeader,
  records: AsyncIterable<SnapshotRecord>,
  verify: (view: Store) => Promise<void>,
): Promise<void> {
  if (target.kind === 'postgres') {
    if (target.dataDir) await checkDataDirTarget(target.dataDir, header.origin, true);
    const store = await openPostgresStore({
      connectionString: target.databaseUrl,
      ...(target.schema === undefined ? {} : { schema: target.schema }),
    });
    try {
      await store.writeSnapshot(header.tree_size, records, verify).catch(notEmpty);
    } finally {
      await store.close();
    }
    if (target.dataDir) await writeRegistryJson(target.dataDir, header.origin);
    return;
  }
  const dataDir = path.resolve(target.dataDir);
  const exists = await checkDataDirTarget(dataDir, header.origin, false);
  const building = path.join(
    path.dirname(dataDir),
    `.${path.basename(dataDir)}.restore-${randomBytes(6).toString('hex')}`,
  );
  await mkdir(building, { mode: 0o700 });
  try {
    const store = openSqliteStore({ path: path.join(building, 'registry.sqlite3') });
    try {
      await store.writeSnapshot(header.tree_size, records, verify).catch(notEmpty);
    } finally {
      await store.close();
    }
    await writeRegistryJson(building, header.origin);
    if (!exists) await rename(building, dataDir);
    else {
      await rename(path.join(building, 'registry.sqlite3'), path.join(dataDir, 'registry.sqlite3'));
      await rename(path.join(building, 'registry.json'), path.join(dataDir, 'registry.json'));
    }
  } finally {
    await rm(building, { recursive: true, force: true });
  }
}

/**
 * A data directory target must be absent or hold nothing but `keys/` and `passphrase` (the log
 * keys, restored from their own backup). Returns whether it exists.
 */
async function checkDataDirTarget(
  dataDir: string,
  origin: string,
  forPostgres: boolean,
): Promise<boolean> {
  const found = await stat(dataDir).then(
    (s) => s,
    () => undefined,
  );
  if (!found) return false;
  if (!found.isDirectory())
    throw new RestoreError('target-not-empty', `${dataDir} exists and is not a directory`);
  const names = await readdir(dataDir);
  const extra = names.filter(
    (name) => !['keys', 'passphrase', ...(forPostgres ? ['registry.json'] : [])].includes(name),
  );
  if (extra.length > 0)
    throw new RestoreError(
      'target-not-empty',
      `${dataDir} is not empty (${extra.slice(0, 5).join(', ')}); restore only into a new data directory (keys/ and passphrase may be there)`,
    );
  if (names.includes('registry.json')) {
    const config = JSON.parse(await readFile(path.join(dataDir, 'registry.json'), 'utf8')) as {
      origin?: unknown;
    };
    if (config.origin !== origin)
      throw new RestoreError(
        'target-not-empty',
        `${dataDir} belongs to log ${String(config.origin)}, not ${origin}`,
      );
  }
  return true;
}

async function writeRegistryJson(dataDir: string, origin: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, 'registry.json');
  const present = await stat(file).then(
    () => true,
    () => false,
  );
  if (!present)
    await writeFileAtomic(
      file,
      `${canonicalize({ origin, created_at: new Date().toISOString() })}\n`,
      0o600,
    );
}

function notEmpty(error: unknown): never {
  if (error instanceof StoreError && error.code === 'not-empty')
    throw new RestoreError('target-not-empty', error.message);
  throw error;
}
