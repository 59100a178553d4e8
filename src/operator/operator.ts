/**
 * Operator actions on a registry's storage: record the first trust root, rotate and retire log
 * keys, revoke keys, enrol owners, publish a trust root signed elsewhere. They act through
 * `--data-dir` (keys and, by default, the SQLite database) or a PostgreSQL URL, while the server
 * runs: each action is one batch appended by its own sequencer, and a running server's next
 * append meets the changed log (size conflict), reloads the trust state and goes on with it. No
 * restart is needed, and nothing is trusted because an operator said so: every record passes the
 * same checks (TrustLedger) as it would at any other time.
 */
import type { PublicKey } from '../crypto/keys.js';
import type { ScryptParameters } from '../keystore/secret-key-file.js';
import type { ControlResult } from '../verify/wire.js';
import { Sequencer } from '../registry/sequencer.js';
import type { ControlWrite, TrustLedger } from '../registry/trust-ledger.js';
import { openPostgresStore } from '../store/postgres-store.js';
import { openSqliteStore } from '../store/sqlite-store.js';
import type { Store } from '../store/store.js';
import type { LegacyImportPlan, PlannedImport } from '../backup/legacy-store.js';
import { RegistryProblem } from '../registry/problems.js';
import type { RegistryEntry } from '../store/store.js';
import { buildClaim } from '../trust/claim.js';
import { buildEnrolment, type EnrolmentLane } from '../trust/enrolment.js';
import { buildLegacyImport, type LegacySkip } from '../trust/legacy-import.js';
import { buildTakedown } from '../trust/takedown.js';
import { buildRevocationList, type RevocationList } from '../trust/revocations.js';
import { buildLogRotation } from '../trust/rotation.js';
import {
  buildTrustRoot,
  peekTrustRoot,
  type TrustRole,
  type TrustRoot,
} from '../trust/trust-root.js';
import { openKeyProvider, readDataDirPublic } from './data-dir.js';
import { Keyring } from './keyring.js';

export interface OperatorOptions {
  readonly dataDir: string;
  /** PostgreSQL connection string; the data directory's SQLite database when absent. */
  readonly databaseUrl?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The variable holding the key passphrase; default MATRIZ_KEY_PASSPHRASE. */
  readonly passphraseEnv?: string;
  readonly warn: (message: string) => void;
  /** Role key files kept outside the data directory (an offline root key), used to sign. */
  readonly keyFiles?: readonly string[];
  /** For tests only: cheaper key-file encryption. */
  readonly scrypt?: ScryptParameters;
  readonly clock?: () => number;
}

export const DEFAULT_TRUST_ROOT_DAYS = 365;
/** Legacy import records signed and appended at a time (one sequencer batch each). */
const IMPORT_BATCH = 256;
const DAY_MS = 86_400_000;

export class OperatorError extends Error {
  override readonly name = 'OperatorError';
}

/** Read access to the trust documents of a registry's storage. */
export interface TrustReader {
  /** A trust root envelope by version, or the newest; undefined when there is none. */
  trustRootEnvelope(version?: number): Promise<unknown>;
  close(): Promise<void>;
}

export class Operator {
  private constructor(
    readonly origin: string,
    private readonly store: Store,
    private readonly sequencer: Sequencer,
    readonly keyring: Keyring,
    private readonly keyFiles: readonly string[],
    private readonly clock: () => number,
  ) {}

  static async open(options: OperatorOptions): Promise<Operator> {
    const dir = await readDataDirPublic(options.dataDir);
    const provider = await openKeyProvider(
      options.dataDir,
      options.env ?? process.env,
      options.warn,
      options.passphraseEnv === undefined ? {} : { passphraseEnv: options.passphraseEnv },
    );
    const keyring = new Keyring(options.dataDir, dir.origin, provider, options.scrypt);
    const store = options.databaseUrl
      ? await openPostgresStore({ connectionString: options.databaseUrl })
      : openSqliteStore({ path: dir.databaseFile });
    const clock = options.clock ?? Date.now;
    const sequencer = new Sequencer(store, {
      origin: dir.origin,
      signers: keyring.checkpointSigners,
      freshnessSeconds: 0,
      clock,
    });
    try {
      await sequencer.start();
      if (sequencer.haltedReason !== undefined)
        throw new OperatorError(
          `the log is inconsistent, refusing to append: ${sequencer.haltedReason}`,
        );
    } catch (error) {
      await store.close();
      throw error;
    }
    return new Operator(dir.origin, store, sequencer, keyring, options.keyFiles ?? [], clock);
  }

  /** Reads the trust documents of a registry's storage; needs no passphrase. */
  static async openReadOnly(options: {
    readonly dataDir: string;
    readonly databaseUrl?: string;
  }): Promise<TrustReader> {
    const dir = await readDataDirPublic(options.dataDir);
    const store = options.databaseUrl
      ? await openPostgresStore({ connectionString: options.databaseUrl })
      : openSqliteStore({ path: dir.databaseFile, readonly: true });
    return {
      trustRootEnvelope: async (version) => {
        const document = await store.trustDocument('trust-root', version);
        return document && (JSON.parse(document.envelope) as unknown);
      },
      close: () => store.close(),
    };
  }

  /** The trust state the log holds now. */
  get trust(): TrustLedger {
    return this.sequencer.trust;
  }

  /**
   * Records trust root version 1: role keys (root, enrolment, revocation) from the data
   * directory's `keys/`, created there when missing, and its first log key as the log role.
   */
  async trustInit(
    options: { expires?: Date; rootKeys?: number; rootThreshold?: number } = {},
  ): Promise<{ root: TrustRoot; result: ControlResult }> {
    if (this.trust.root !== undefined)
      throw new OperatorError(
        `this log already has trust root v${this.trust.root.version}; change it with keys rotate, keys retire or trust publish`,
      );
    const rootKeys = options.rootKeys ?? 1;
    const threshold = options.rootThreshold ?? 1;
    if (!Number.isInteger(rootKeys) || rootKeys < 1 || rootKeys > 16)
      throw new OperatorError('--root-keys must be an integer from 1 to 16');
    if (!Number.isInteger(threshold) || threshold < 1 || threshold > rootKeys)
      throw new OperatorError(`--root-threshold must be an integer from 1 to ${rootKeys}`);
    const roles: Record<Exclude<TrustRole, 'log'>, PublicKey[]> = {
      root: [],
      enrolment: [],
      revocation: [],
    };
    for (const role of ['root', 'enrolment', 'revocation'] as const) {
      const existing = (await this.keyring.roleKeyFiles(role)).map((k) => k.key);
      const wanted = role === 'root' ? rootKeys : 1;
      while (existing.length < wanted) existing.push((await this.keyring.createRoleKey(role)).key);
      roles[role] = existing.slice(0, wanted);
    }
    const log = (await this.keyring.logKeyFiles()).map((f) => f.key);
    const first = log[0] ?? missing('no log key in the data directory');
    const input = {
      origin: this.origin,
      version: 1,
      expires: options.expires ?? this.daysFromNow(DEFAULT_TRUST_ROOT_DAYS),
      keys: [...roles.root, first, ...roles.enrolment, ...roles.revocation],
      roles: {
        root: { keyids: roles.root.map((k) => k.keyid), threshold },
        log: { keyids: [first.keyid], threshold: 1 },
        enrolment: { keyids: roles.enrolment.map((k) => k.keyid), threshold: 1 },
        revocation: { keyids: roles.revocation.map((k) => k.keyid), threshold: 1 },
      },
    };
    const signers = await this.keyring.envelopeSigners(
      input.roles.root.keyids,
      'root',
      this.keyFiles,
    );
    const envelope = buildTrustRoot(input, signers);
    const result = await this.submit({ kind: 'trust-root', envelope });
    return { root: this.requireRoot(), result };
  }

  /**
   * Log key rotation, step one: a new log key, trust root N+1 listing the old and new log keys
   * (both sign checkpoints during the overlap), and a rotation record signed by all of them.
   */
  async rotateLogKey(
    options: { expires?: Date } = {},
  ): Promise<{ root: TrustRoot; newKeyid: string; result: ControlResult }> {
    const root = this.requireRoot();
    const files = await this.keyring.logKeyFiles();
    const current = files.filter((f) => root.roles.log.keyids.includes(f.key.keyid));
    if (current.length !== root.roles.log.keyids.length)
      throw new OperatorError(
        `the data directory lacks some log keys of trust root v${root.version}; rotate where all of them are`,
      );
    if (current.length > 1)
      throw new OperatorError(
        `trust root v${root.version} already lists ${current.length} log keys (a rotation overlap): retire the old key first (matriz keys retire <keyid>)`,
      );
    const created = await this.keyring.createLogKey();
    const next = this.nextRoot(root, options.expires, (keys, roles) => ({
      keys: [...keys, created.key],
      roles: {
        ...roles,
        log: { keyids: [...roles.log.keyids, created.key.keyid], threshold: roles.log.threshold },
      },
    }));
    const rootEnvelope = buildTrustRoot(
      next,
      await this.keyring.envelopeSigners(root.roles.root.keyids, 'root', this.keyFiles),
    );
    const rotation = buildLogRotation(
      {
        root: peekTrustRoot(rootEnvelope),
        oldKeyids: current.map((f) => f.key.keyid),
        newKeyids: [created.key.keyid],
        rotatedAt: new Date(this.clock()),
      },
      await Promise.all([...current, created].map((f) => this.keyring.hybridSigner(f))),
    );
    const [result] = await this.submitAll([
      { kind: 'trust-root', envelope: rootEnvelope },
      { kind: 'log-rotation', envelope: rotation },
    ]);
    return {
      root: this.requireRoot(),
      newKeyid: created.key.keyid,
      result: result as ControlResult,
    };
  }

  /** Log key rotation, step two: trust root N+2 without the old key. */
  async retireLogKey(
    keyid: string,
    options: { expires?: Date } = {},
  ): Promise<{ root: TrustRoot; result: ControlResult }> {
    const root = this.requireRoot();
    if (!root.roles.log.keyids.includes(keyid))
      throw new OperatorError(`${keyid} is not a log key of trust root v${root.version}`);
    const remaining = root.roles.log.keyids.filter((k) => k !== keyid);
    if (remaining.length === 0)
      throw new OperatorError(
        `${keyid} is the only log key of trust root v${root.version}; rotate first (matriz keys rotate --role log)`,
      );
    const next = this.nextRoot(root, options.expires, (keys, roles) => ({
      keys: keys.filter((k) => k.keyid !== keyid),
      roles: {
        ...roles,
        log: { keyids: remaining, threshold: Math.min(roles.log.threshold, remaining.length) },
      },
    }));
    const envelope = buildTrustRoot(
      next,
      await this.keyring.envelopeSigners(root.roles.root.keyids, 'root', this.keyFiles),
    );
    const result = await this.submit({ kind: 'trust-root', envelope });
    return { root: this.requireRoot(), result };
  }

  /** A new revocation list version adding `keyid`, signed by the revocation role. */
  async revokeKey(
    keyid: string,
    reason: string,
  ): Promise<{ list: RevocationList; result: ControlResult }> {
    const root = this.requireRoot();
    if (!/^[0-9a-f]{64}$/.test(keyid))
      throw new OperatorError(`${JSON.stringify(keyid)} is not a keyid (64 lowercase hex digits)`);
    const previous = this.trust.revocations;
    if (previous?.revoked.some((r) => r.keyid === keyid))
      throw new OperatorError(`${keyid} is already revoked (revocation list v${previous.version})`);
    for (const role of ['root', 'enrolment', 'revocation'] as const)
      if (root.roles[role].keyids.includes(keyid))
        throw new OperatorError(
          `${keyid} is ${role === 'enrolment' ? 'an' : 'a'} ${role} key of trust root v${root.version}: a revocation list does not bind the trust root's own roles; replace it by publishing a trust root without it (docs/security.md, compromise runbook)`,
        );
    const logKeys = root.roles.log.keyids;
    if (logKeys.includes(keyid) && logKeys.length === 1)
      throw new OperatorError(
        `${keyid} is the only log key: revoking it would leave nothing to sign checkpoints; rotate first (matriz keys rotate --role log), then revoke`,
      );
    const now = new Date(this.clock());
    const envelope = buildRevocationList(
      {
        origin: this.origin,
        version: (previous?.version ?? 0) + 1,
        issuedAt: now,
        revoked: [
          ...(previous?.revoked ?? []).map((r) => ({
            keyid: r.keyid,
            revokedAt: r.revoked_at,
            reason: r.reason,
          })),
          { keyid, revokedAt: now, reason },
        ],
      },
      await this.keyring.envelopeSigners(root.roles.revocation.keyids, 'revocation', this.keyFiles),
    );
    const result = await this.submit({ kind: 'revocations', envelope });
    const list = this.trust.revocations ?? missing('the revocation list was not recorded');
    return { list, result };
  }

  /** Records an owner's entitlement, signed by the enrolment role. */
  async enrolOwner(
    owner: PublicKey,
    lanes: readonly EnrolmentLane[],
    maxTier: number,
  ): Promise<ControlResult> {
    const root = this.requireRoot();
    const envelope = buildEnrolment(
      { origin: this.origin, owner, lanes, maxTier, enrolledAt: new Date(this.clock()) },
      await this.keyring.envelopeSigners(root.roles.enrolment.keyids, 'enrolment', this.keyFiles),
    );
    return this.submit({ kind: 'enrolment', envelope });
  }

  /** The registry entry under `registryId`, as the log holds it now. */
  entry(registryId: string): Promise<RegistryEntry | undefined> {
    return this.store.getEntry(registryId);
  }

  /**
   * Records each planned entry of a prototype store (legacy-store.ts) as a `legacy-import`
   * record signed by the enrolment role; the first record carries the list of what the import
   * left out. Records are appended in batches as they are signed; one refused at integration
   * (the id was taken meanwhile) is reported and the others go on, and running the same import
   * again appends only what is missing.
   */
  async importLegacy(
    source: { readonly sha256: string; readonly hmac: string },
    plan: LegacyImportPlan,
    onProgress?: (done: number, total: number) => void,
  ): Promise<{ imported: { registryId: string; index: number }[]; refused: LegacySkip[] }> {
    const root = this.requireRoot();
    const signers = await this.keyring.envelopeSigners(
      root.roles.enrolment.keyids,
      'enrolment',
      this.keyFiles,
    );
    const imported: { registryId: string; index: number }[] = [];
    const refused: LegacySkip[] = [];
    for (let start = 0; start < plan.imports.length; start += IMPORT_BATCH) {
      const batch = plan.imports.slice(start, start + IMPORT_BATCH);
      const settled = await Promise.allSettled(
        batch.map((entry, i) =>
          this.sequencer.submitControl({
            kind: 'legacy-import',
            envelope: buildLegacyImport(
              {
                origin: this.origin,
                legacyId: entry.legacyId,
                registryId: entry.registryId,
                registeredAt: entry.registeredAt,
                mode: entry.mode,
                nodeSpec: entry.nodeSpec,
                source: {
                  sha256: source.sha256,
                  hmac_sha256: source.hmac,
                  skipped: start + i === 0 ? plan.skipped : [],
                },
              },
              signers,
            ),
          }),
        ),
      );
      settled.forEach((outcome, i) => {
        const entry = batch[i] as PlannedImport;
        if (outcome.status === 'fulfilled')
          imported.push({ registryId: entry.registryId, index: outcome.value.index });
        else if (outcome.reason instanceof RegistryProblem)
          refused.push({ legacy_id: entry.legacyId, reason: outcome.reason.detail });
        else throw outcome.reason;
      });
      onProgress?.(Math.min(plan.imports.length, start + IMPORT_BATCH), plan.imports.length);
    }
    return { imported, refused };
  }

  /**
   * Binds the imported entry `registryId` to `owner`'s key with a `claim` record signed by the
   * enrolment role. Refused unless the entry was imported, is unclaimed (or claimed by the same
   * key: nothing to do) and the owner key is not revoked.
   */
  async claim(registryId: string, owner: PublicKey): Promise<ControlResult> {
    const root = this.requireRoot();
    const entry = await this.store.getEntry(registryId);
    if (entry === undefined)
      throw new RegistryProblem('not-found', `${registryId} is not in this registry`);
    const envelope = buildClaim(
      {
        origin: this.origin,
        registryId,
        specDigest: entry.specDigest,
        owner,
        claimedAt: new Date(this.clock()),
      },
      await this.keyring.envelopeSigners(root.roles.enrolment.keyids, 'enrolment', this.keyFiles),
    );
    return this.sequencer.submitControl({ kind: 'claim', envelope });
  }

  /**
   * Deregisters `registryId`, whose owner key is revoked, with a `takedown` record signed by the
   * revocation role. Refused unless the entry is active and its owner key revoked.
   */
  async takeDown(registryId: string, reason: string): Promise<ControlResult> {
    const root = this.requireRoot();
    const entry = await this.store.getEntry(registryId);
    if (entry === undefined)
      throw new RegistryProblem('not-found', `${registryId} is not in this registry`);
    const envelope = buildTakedown(
      {
        origin: this.origin,
        registryId,
        specDigest: entry.specDigest,
        reason,
        takenDownAt: new Date(this.clock()),
      },
      await this.keyring.envelopeSigners(root.roles.revocation.keyids, 'revocation', this.keyFiles),
    );
    return this.sequencer.submitControl({ kind: 'takedown', envelope });
  }

  /** Records a trust document signed elsewhere (e.g. a root with offline threshold signatures). */
  publish(write: ControlWrite): Promise<ControlResult> {
    return this.submit(write);
  }

  async close(): Promise<void> {
    await this.sequencer.drain();
    await this.store.close();
  }

  private async submit(write: ControlWrite): Promise<ControlResult> {
    const [result] = await this.submitAll([write]);
    return result as ControlResult;
  }

  /**
   * Submits writes as one batch under one checkpoint. They are first applied in order to a copy
   * of the trust state, so a sequence that would be refused part-way is refused whole.
   */
  private async submitAll(writes: readonly ControlWrite[]): Promise<ControlResult[]> {
    let ledger = this.trust;
    const now = new Date(this.clock());
    for (const write of writes) ledger = (await ledger.apply(write, 0, now)).ledger;
    const settled = await Promise.allSettled(writes.map((w) => this.sequencer.submitControl(w)));
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((s) => (s as PromiseFulfilledResult<ControlResult>).value);
  }

  private requireRoot(): TrustRoot {
    return (
      this.trust.root ??
      missing('this log has no trust root yet: run matriz trust init --data-dir DIR first')
    );
  }

  private nextRoot(
    root: TrustRoot,
    expires: Date | undefined,
    change: (
      keys: PublicKey[],
      roles: TrustRoot['roles'],
    ) => { keys: PublicKey[]; roles: TrustRoot['roles'] },
  ) {
    const { keys, roles } = change([...root.keys.values()], root.roles);
    const used = new Set(Object.values(roles).flatMap((r) => r.keyids));
    return {
      origin: root.origin,
      version: root.version + 1,
      expires: expires ?? root.expires,
      keys: keys.filter((k) => used.has(k.keyid)),
      roles,
    };
  }

  private daysFromNow(days: number): Date {
    return new Date(this.clock() + days * DAY_MS);
  }
}

function missing(message: string): never {
  throw new OperatorError(message);
}
