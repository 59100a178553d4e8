/**
 * The trust state the log records, as the sequencer and fsck see it: the newest trust root, the
 * newest revocation list, and the enrolments recorded in the current batch. A trust record is
 * accepted into the log only if it follows from the state before it:
 *
 * - `trust-root`: version 1 signed by a threshold of its own root role; every later version
 *   exactly one up, signed by a threshold of the previous root's root role and of its own;
 * - `revocations`: signed by the revocation role, exactly one version up, every earlier entry kept;
 * - `enrolment`: signed by the enrolment role, for an owner key that is not revoked;
 * - `log-rotation`: names the trust root in effect (version and digest) and is signed by every
 *   old and new log key it lists;
 * - `legacy-import` and `claim`: signed by the enrolment role (a claim for an owner key that is
 *   not revoked); `takedown`: signed by the revocation role. They change no trust state; what they do to the registry is decided by
 *   `EntryLedger.applyControl` (entry-ledger.ts).
 *
 * A ledger is a value: `apply` returns a new one, so a batch can be planned on a copy and
 * dropped when its commit fails.
 */
import { canonicalize } from '../json/canonicalize.js';
import type { StoredEnrolment, StoredTrustDocument, Store } from '../store/store.js';
import { TrustError } from '../trust/errors.js';
import { verifyClaim, type Claim } from '../trust/claim.js';
import { verifyEnrolment } from '../trust/enrolment.js';
import { verifyLegacyImport, type LegacyImport } from '../trust/legacy-import.js';
import { verifyTakedown, type Takedown } from '../trust/takedown.js';
import {
  findRevocation,
  peekRevocationList,
  verifyRevocationList,
  type Revocation,
  type RevocationList,
} from '../trust/revocations.js';
import { verifyLogRotation } from '../trust/rotation.js';
import type { SuiteLoader } from '../trust/signatures.js';
import {
  peekTrustRoot,
  verifyRootChain,
  verifyRootSelfSigned,
  type TrustRoot,
} from '../trust/trust-root.js';
import type { ControlKind } from '../verify/leaf.js';
import { RegistryProblem } from './problems.js';

/** A trust record to append: its kind and DSSE envelope. */
export interface ControlWrite {
  readonly kind: ControlKind;
  readonly envelope: unknown;
}

export interface AppliedControl {
  readonly ledger: TrustLedger;
  /** The envelope's RFC 8785 form: what the leaf records. */
  readonly canonicalEnvelope: string;
  readonly document?: StoredTrustDocument;
  readonly enrolment?: StoredEnrolment;
  /** A verified `legacy-import` record, for the entry ledger to decide. */
  readonly legacyImport?: LegacyImport;
  /** A verified `claim` record, for the entry ledger to decide. */
  readonly claim?: Claim;
  /** A verified `takedown` record, for the entry ledger to decide. */
  readonly takedown?: Takedown;
}

export class TrustLedger {
  private constructor(
    readonly origin: string,
    private readonly suites: SuiteLoader,
    /** The newest trust root, once `matriz trust init` recorded one. */
    readonly root: TrustRoot | undefined,
    readonly revocations: RevocationList | undefined,
    /** Enrolments applied since the ledger was loaded (the batch being planned). */
    private readonly enrolled: ReadonlyMap<string, StoredEnrolment>,
  ) {}

  static empty(origin: string, suites: SuiteLoader): TrustLedger {
    return new TrustLedger(origin, suites, undefined, undefined, new Map());
  }

  /** The newest trust root and revocation list recorded in `store` (checked when logged). */
  static async load(store: Store, origin: string, suites: SuiteLoader): Promise<TrustLedger> {
    const [root, revocations] = await Promise.all([
      store.trustDocument('trust-root'),
      store.trustDocument('revocations'),
    ]);
    return new TrustLedger(
      origin,
      suites,
      root && peekTrustRoot(JSON.parse(root.envelope)),
      revocations && peekRevocationList(JSON.parse(revocations.envelope)),
      new Map(),
    );
  }

  /** The revocation of `keyid`, if the newest list has one. */
  revocation(keyid: string): Revocation | undefined {
    return findRevocation(this.revocations, keyid);
  }

  /** An enrolment recorded earlier in the batch being planned (the store has the older ones). */
  pendingEnrolment(ownerId: string): StoredEnrolment | undefined {
    return this.enrolled.get(ownerId);
  }

  /**
   * Checks `write` against this state and returns the state after it. `index` is the leaf's log
   * index, `now` the integration time. Throws a RegistryProblem (`invalid-request`, or
   * `revoked-key` for an enrolment of a revoked key) naming what was wrong.
   */
  async apply(write: ControlWrite, index: number, now: Date): Promise<AppliedControl> {
    let canonicalEnvelope: string;
    try {
      canonicalEnvelope = canonicalize(write.envelope);
    } catch (error) {
      throw new RegistryProblem(
        'invalid-request',
        `${write.kind}: the envelope is not JSON: ${(error as Error).message}`,
      );
    }
    try {
      switch (write.kind) {
        case 'trust-root':
          return await this.applyRoot(write.envelope, canonicalEnvelope, index, now);
        case 'revocations':
          return await this.applyRevocations(write.envelope, canonicalEnvelope, index);
        case 'enrolment':
          return await this.applyEnrolment(write.envelope, canonicalEnvelope, index, now);
        case 'log-rotation':
          await verifyLogRotation(write.envelope, this.requireRoot(write.kind), this.suites);
          return { ledger: this, canonicalEnvelope };
        case 'legacy-import': {
          const root = this.requireRoot(write.kind);
          const legacyImport = await verifyLegacyImport(write.envelope, root, this.suites);
          return { ledger: this, canonicalEnvelope, legacyImport };
        }
        case 'claim': {
          const root = this.requireRoot(write.kind);
          const claim = await verifyClaim(write.envelope, root, this.suites, this.revocations);
          return { ledger: this, canonicalEnvelope, claim };
        }
        case 'takedown': {
          const root = this.requireRoot(write.kind);
          const takedown = await verifyTakedown(write.envelope, root, this.suites);
          return { ledger: this, canonicalEnvelope, takedown };
        }
      }
    } catch (error) {
      if (error instanceof TrustError)
        throw new RegistryProblem(
          error.code === 'revoked-key' ? 'revoked-key' : 'invalid-request',
          `${write.kind} refused (${error.code}): ${error.message}`,
        );
      throw error;
    }
  }

  private async applyRoot(
    envelope: unknown,
    canonicalEnvelope: string,
    index: number,
    now: Date,
  ): Promise<AppliedControl> {
    let root: TrustRoot;
    if (this.root === undefined) {
      root = await verifyRootSelfSigned(envelope, this.suites, { now, origin: this.origin });
      if (root.version !== 1)
        throw new TrustError(
          'gap',
          `the log's first trust root must be version 1, not ${root.version}: clients walk the chain from 1`,
        );
    } else {
      const [next] = await verifyRootChain(this.root, [envelope], now, this.suites);
      root = next as TrustRoot;
    }
    return {
      ledger: this.with({ root }),
      canonicalEnvelope,
      document: {
        kind: 'trust-root',
        version: root.version,
        envelope: canonicalEnvelope,
        logIndex: index,
      },
    };
  }

  private async applyRevocations(
    envelope: unknown,
    canonicalEnvelope: string,
    index: number,
  ): Promise<AppliedControl> {
    const root = this.requireRoot('revocations');
    const list = await verifyRevocationList(envelope, root, this.suites, this.revocations);
    const expected = (this.revocations?.version ?? 0) + 1;
    if (list.version !== expected)
      throw new TrustError(
        list.version < expected ? 'rollback' : 'gap',
        `revocation list v${list.version} cannot follow v${expected - 1}: the next version is ${expected}`,
      );
    return {
      ledger: this.with({ revocations: list }),
      canonicalEnvelope,
      document: {
        kind: 'revocations',
        version: list.version,
        envelope: canonicalEnvelope,
        logIndex: index,
      },
    };
  }

  private async applyEnrolment(
    envelope: unknown,
    canonicalEnvelope: string,
    index: number,
    now: Date,
  ): Promise<AppliedControl> {
    const enrolment = await verifyEnrolment(
      envelope,
      this.requireRoot('enrolment'),
      this.suites,
      this.revocations,
    );
    const stored: StoredEnrolment = {
      ownerId: enrolment.ownerId,
      lanes: enrolment.lanes,
      maxTier: enrolment.maxTier,
      logIndex: index,
      enrolledAt: now.toISOString(),
    };
    const enrolled = new Map(this.enrolled);
    enrolled.set(stored.ownerId, stored);
    return {
      ledger: new TrustLedger(this.origin, this.suites, this.root, this.revocations, enrolled),
      canonicalEnvelope,
      enrolment: stored,
    };
  }

  private requireRoot(kind: ControlKind): TrustRoot {
    if (this.root === undefined)
      throw new TrustError(
        'unknown-key',
        `a ${kind} record needs a trust root in the log first (matriz trust init)`,
      );
    return this.root;
  }

  private with(change: { root?: TrustRoot; revocations?: RevocationList }): TrustLedger {
    return new TrustLedger(
      this.origin,
      this.suites,
      change.root ?? this.root,
      change.revocations ?? this.revocations,
      this.enrolled,
    );
  }
}
