/**
 * `matriz export`: a consistent snapshot of a running log (one read transaction), streamed
 * into the `matriz-export/v1` format (export-format.ts): sealed with HPKE to one or more
 * recipients and signed by the log's current log keys. Memory does not grow with the log: rows
 * are read a page at a time and written as they are sealed. The plaintext never touches disk;
 * the file is written under a temporary name beside `out` and renamed when complete.
 */
import { createHash, randomBytes } from 'node:crypto';
import { access, link, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { signEnvelope, type EnvelopeSigner } from '../crypto/dsse.js';
import { base64Encode, utf8 } from '../crypto/encoding.js';
import { collectBytes, generateHpkeKeyPair, hpkeSeal, DEFAULT_CHUNK_SIZE } from '../crypto/hpke.js';
import { publicKeyToJson } from '../crypto/keys.js';
import { canonicalize } from '../json/canonicalize.js';
import type { RecipientKey } from '../keystore/recipient-key-file.js';
import { parseCheckpoint } from '../log/checkpoint.js';
import { emptyTreeHash } from '../log/hash.js';
import { openKeyProvider, readDataDirPublic } from '../operator/data-dir.js';
import { Keyring, type LogKeyFiles } from '../operator/keyring.js';
import { openPostgresStore } from '../store/postgres-store.js';
import { openSqliteStore } from '../store/sqlite-store.js';
import type { SnapshotRecord, Store, StoreSnapshot } from '../store/store.js';
import { peekRevocationList } from '../trust/revocations.js';
import { peekTrustRoot } from '../trust/trust-root.js';
import {
  coalesce,
  encodeEnd,
  encodeRecord,
  EXPORT_END,
  EXPORT_FORMAT,
  EXPORT_MAGIC,
  EXPORT_PAYLOAD_TYPE,
  SEALED_SUITE,
  u32,
  type ExportHeader,
  type ExportStatement,
  type RecordCounts,
} from './export-format.js';

export interface ExportOptions {
  readonly dataDir: string;
  /** PostgreSQL connection string; the data directory's SQLite database when absent. */
  readonly databaseUrl?: string;
  /** PostgreSQL schema (tests); default `public`. */
  readonly schema?: string;
  /** Recipients the export is sealed to; none only with `plaintext`. */
  readonly recipients: readonly RecipientKey[];
  /** For tests only: write the records unencrypted (still signed). */
  readonly plaintext?: boolean;
  readonly out: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly passphraseEnv?: string;
  readonly warn: (message: string) => void;
  readonly clock?: () => number;
}

export interface ExportSummary {
  readonly origin: string;
  readonly treeSize: number;
  readonly rootHash: string;
  readonly recipients: readonly string[];
  readonly signedBy: readonly string[];
  readonly counts: RecordCounts;
  readonly bytes: number;
}

export class ExportError extends Error {
  override readonly name = 'ExportError';
}

export async function exportLog(options: ExportOptions): Promise<ExportSummary> {
  if (options.recipients.length === 0 && !options.plaintext)
    throw new ExportError('name at least one recipient (--to RECIPIENT.pub.json)');
  if (options.recipients.length > 0 && options.plaintext)
    throw new ExportError('--plaintext and --to exclude each other');
  const dir = await readDataDirPublic(options.dataDir);
  const provider = await openKeyProvider(
    options.dataDir,
    options.env ?? process.env,
    options.warn,
    options.passphraseEnv === undefined ? {} : { passphraseEnv: options.passphraseEnv },
  );
  const keyring = new Keyring(options.dataDir, dir.origin, provider);
  const store: Store = options.databaseUrl
    ? await openPostgresStore({
        connectionString: options.databaseUrl,
        ...(options.schema === undefined ? {} : { schema: options.schema }),
      })
    : openSqliteStore({ path: await existingDatabase(dir.databaseFile), readonly: true });
  let snapshot: StoreSnapshot | undefined;
  try {
    snapshot = await store.openSnapshot();
    // Open the signing keys before the long part, so a wrong passphrase fails at once.
    const signingFiles = await currentLogKeys(keyring, snapshot);
    const signers: EnvelopeSigner[] = [];
    for (const files of signingFiles) signers.push(await keyring.hybridSigner(files));
    const rootHash =
      snapshot.checkpoint === undefined
        ? emptyTreeHash()
        : parseCheckpoint(`${snapshot.checkpoint.note.split('\n\n')[0] ?? ''}\n`).rootHash;
    const content = options.plaintext ? undefined : await generateHpkeKeyPair();
    const recipients = [];
    if (content)
      for (const recipient of options.recipients)
        recipients.push({
          keyid: recipient.keyid,
          wrapped_key: base64Encode(
            await collectBytes(hpkeSeal(recipient.publicKey, content.privateKey)),
          ),
        });
    const header: ExportHeader = {
      format: EXPORT_FORMAT,
      origin: dir.origin,
      tree_size: snapshot.size,
      root_hash: base64Encode(rootHash),
      checkpoint: snapshot.checkpoint?.note ?? null,
      exported_at: new Date(options.clock?.() ?? Date.now()).toISOString(),
      first_log_key: {
        ed25519: base64Encode(dir.ed25519PublicKey),
        ml_dsa_44: base64Encode(dir.mlDsa44PublicKey),
      },
      encryption: content ? { suite: SEALED_SUITE, recipients } : { suite: 'none' },
    };
    const headerJson = utf8(canonicalize(header));
    const headerBytes = [EXPORT_MAGIC, u32(headerJson.length), headerJson];
    const counts = emptyCounts();
    const plaintextBody = coalesce(encodeAll(snapshot, counts), DEFAULT_CHUNK_SIZE);
    const body = content ? hpkeSeal(content.publicKey, plaintextBody) : plaintextBody;

    const bytes = await writeAtomically(options.out, async (write) => {
      const headerHash = createHash('sha256');
      for (const part of headerBytes) {
        headerHash.update(part);
        await write(part);
      }
      const bodyHash = createHash('sha256');
      for await (const part of body) {
        bodyHash.update(part);
        await write(part);
      }
      const statement: ExportStatement = {
        format: EXPORT_FORMAT,
        origin: dir.origin,
        tree_size: snapshot?.size ?? 0,
        root_hash: base64Encode(rootHash),
        header_sha256: headerHash.digest('hex'),
        body_sha256: bodyHash.digest('hex'),
      };
      const trailer = utf8(
        canonicalize({
          envelope: signEnvelope(EXPORT_PAYLOAD_TYPE, utf8(canonicalize(statement)), signers),
          keys: signingFiles.map((f) => publicKeyToJson(f.key)),
        }),
      );
      await write(trailer);
      await write(u32(trailer.length));
      await write(EXPORT_END);
    });
    return {
      origin: dir.origin,
      treeSize: snapshot.size,
      rootHash: base64Encode(rootHash),
      recipients: options.recipients.map((r) => r.keyid),
      signedBy: signingFiles.map((f) => f.key.keyid),
      counts,
      bytes,
    };
  } finally {
    await snapshot?.close();
    await store.close();
  }
}

/**
 * The log keys that sign the export: those of the snapshot's newest trust root's log role that
 * are not revoked and whose key files are in the data directory (all of them, as for a
 * checkpoint); before a trust root, the first log key.
 */
async function currentLogKeys(keyring: Keyring, snapshot: StoreSnapshot): Promise<LogKeyFiles[]> {
  const files = await keyring.logKeyFiles();
  const newest = (kind: string) =>
    snapshot.trustDocuments.filter((d) => d.kind === kind).sort((a, b) => b.version - a.version)[0];
  const rootDocument = newest('trust-root');
  if (rootDocument === undefined) {
    const first = files.find((f) => f.generation === 1);
    if (!first) throw new ExportError(`no log key in ${keyring.dataDir}/keys`);
    return [first];
  }
  const root = peekTrustRoot(JSON.parse(rootDocument.envelope));
  const revocationsDocument = newest('revocations');
  const revoked = new Set(
    revocationsDocument === undefined
      ? []
      : peekRevocationList(JSON.parse(revocationsDocument.envelope)).revoked.map((r) => r.keyid),
  );
  const usable = files.filter(
    (f) => root.roles.log.keyids.includes(f.key.keyid) && !revoked.has(f.key.keyid),
  );
  if (usable.length < root.roles.log.threshold)
    throw new ExportError(
      `trust root v${root.version} needs ${root.roles.log.threshold} log key(s) to sign; ${keyring.dataDir}/keys holds ${usable.length} of its unrevoked log keys`,
    );
  return usable;
}

async function existingDatabase(file: string): Promise<string> {
  await access(file).catch(() => {
    throw new ExportError(
      `${file} does not exist: this registry has no log yet (start matriz serve once), or it uses --database-url`,
    );
  });
  return file;
}

async function* encodeAll(
  snapshot: StoreSnapshot,
  counts: Record<SnapshotRecord['type'], number>,
): AsyncGenerator<Uint8Array> {
  for await (const record of snapshot.records()) {
    counts[record.type]++;
    yield encodeRecord(record);
  }
  yield encodeEnd(counts);
}

function emptyCounts(): Record<SnapshotRecord['type'], number> {
  return {
    leaf: 0,
    subtree: 0,
    checkpoint: 0,
    'trust-document': 0,
    enrolment: 0,
    entry: 0,
    nonce: 0,
  };
}

/**
 * Runs `produce` against a temporary file (0600) beside `file`, fsyncs it and renames it to
 * `file`, which must not exist. On any failure the temporary file is removed. Returns the size.
 */
async function writeAtomically(
  file: string,
  produce: (write: (bytes: Uint8Array) => Promise<void>) => Promise<void>,
): Promise<number> {
  const temporary = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`,
  );
  const handle = await open(temporary, 'wx', 0o600);
  let written = 0;
  try {
    await produce(async (bytes) => {
      await handle.write(bytes);
      written += bytes.length;
    });
    await handle.sync();
    await handle.close();
    // link() refuses an existing target, where rename() would replace it.
    await link(temporary, file).catch((error: unknown) => {
      throw (error as { code?: string }).code === 'EEXIST'
        ? new ExportError(`${file} already exists; refusing to overwrite an export`)
        : error;
    });
    await rm(temporary, { force: true });
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
  return written;
}
