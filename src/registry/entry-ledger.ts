/**
 * The registry's rules for an owner's write, in one place: given the state before it, a signed
 * register or deregister request is either refused (a problem type and a message) or becomes a
 * log leaf and the entry's new state. The request checks (early refusal), the sequencer (the
 * decision at integration) and fsck (the replay) all decide through `EntryLedger.apply`, so the
 * three cannot disagree.
 *
 * In order, for a request whose envelope, signature, NodeSpec, freshness and origin were already
 * checked (request.ts):
 *
 * 1. `replayed-nonce`: the nonce was accepted before (and has not expired) or earlier in this
 *    ledger;
 * 2. `revoked-key`: the trust state revokes the owner key;
 * 3. register: `not-entitled` (lane and tier, policy.ts), `glymph-required`, then against the
 *    current entry: the same content by the same owner is idempotent (no leaf), anything else
 *    under a taken id is a `conflict` (ids stay reserved after deregistration); a new version
 *    of a node name another owner holds is `not-owner` (a name belongs to the owner of its
 *    first version, so nobody can squat the next version of someone else's node);
 * 4. deregister: `not-found`, `unclaimed` (an entry imported from the prototype registry that no
 *    claim has bound to an owner key yet), `not-owner`, `already-deregistered`.
 *
 * The operator's records go through `applyControl`: trust records change the trust state
 * (trust-ledger.ts); a `legacy-import` adds an entry with no owner key (legacy-entry.ts rules;
 * the same entry imported again is idempotent, anything else under a taken id a `conflict`); a
 * `claim` binds an imported, unclaimed entry with the claimed content to an owner key; a
 * `takedown` (revocation role) deregisters an active entry whose owner key is revoked.
 *
 * Like `TrustLedger`, a ledger is a value and `apply` does no I/O: the state it reads is an
 * `EntryLookup` (a snapshot the caller loaded, or fsck's replay) and what it changes is kept in
 * the new ledger it returns, so a batch is planned on a copy and dropped if its append fails.
 */
import { ownerKeyId } from '../crypto/keys.js';
import type { Claim } from '../trust/claim.js';
import type { Takedown } from '../trust/takedown.js';
import type { LegacyImport } from '../trust/legacy-import.js';
import type { NodeSpec } from '../nodespec/nodespec.js';
import type { NodeVersion, RegistryEntry } from '../store/store.js';
import { checkLegacyEntry } from './legacy-entry.js';
import { encodeControlLeaf, encodeLeaf } from '../verify/leaf.js';
import {
  entitlementRefusal,
  openlyAllowed,
  type Entitlement,
  type EntitlementPolicy,
} from './policy.js';
import { RegistryProblem } from './problems.js';
import type { RegisterRequest, WriteRequest } from './request.js';
import type { AppliedControl, ControlWrite, TrustLedger } from './trust-ledger.js';

/** The registry state a ledger starts from. Every answer is as of before the ledger's writes. */
export interface EntryLookup {
  entry(registryId: string): RegistryEntry | undefined;
  /** Whether `nonce` was accepted and is still remembered (not yet expired). */
  nonceSeen(nonce: string): boolean;
  /** The owner's enrolment as recorded in the log. */
  enrolment(ownerId: string): Entitlement | undefined;
  /** The registered versions of node `name` and their owners (Store.versionsOf). */
  versionsOf(name: string): readonly NodeVersion[];
}

/** What `apply` decided for one write. */
export type EntryDecision =
  | {
      readonly outcome: 'append';
      /** The state after the write. */
      readonly ledger: EntryLedger;
      /** The log leaf that records the write (leaf.ts). */
      readonly leaf: Uint8Array;
      /** The entry's state after the write. */
      readonly entry: RegistryEntry;
    }
  | {
      /** The same content is already registered by the same owner: nothing to append. */
      readonly outcome: 'idempotent';
      /** The log index of the registration that already holds it. */
      readonly index: number;
    }
  | { readonly outcome: 'refused'; readonly problem: RegistryProblem };

/** What `applyControl` decided for one operator record. */
export type ControlDecision =
  | {
      readonly outcome: 'append';
      readonly ledger: EntryLedger;
      readonly leaf: Uint8Array;
      /** What the trust ledger recorded (documents, enrolments). */
      readonly applied: AppliedControl;
      /** The entry an import or a claim created or changed. */
      readonly entry?: RegistryEntry;
    }
  | { readonly outcome: 'idempotent'; readonly index: number }
  | { readonly outcome: 'refused'; readonly problem: RegistryProblem };

export class EntryLedger {
  private constructor(
    private readonly base: EntryLookup,
    /** The trust state writes are checked against (revocations, enrolments in the batch). */
    readonly trust: TrustLedger,
    readonly policy: EntitlementPolicy,
    /** Entries created or changed by this ledger's writes, by registry id. */
    private readonly changed: ReadonlyMap<string, RegistryEntry>,
    /** Nonces of this ledger's writes. */
    private readonly nonces: ReadonlySet<string>,
  ) {}

  /** A ledger with no writes yet over `base`. */
  static over(base: EntryLookup, trust: TrustLedger, policy: EntitlementPolicy): EntryLedger {
    return new EntryLedger(base, trust, policy, new Map(), new Set());
  }

  /** The same writes under the trust state after a trust record (trust-ledger.ts `apply`). */
  withTrust(trust: TrustLedger): EntryLedger {
    return new EntryLedger(this.base, trust, this.policy, this.changed, this.nonces);
  }

  /** An entry's current state: as this ledger's writes left it, else as the base has it. */
  entry(registryId: string): RegistryEntry | undefined {
    return this.changed.get(registryId) ?? this.base.entry(registryId);
  }

  /** The owners of node `name`'s entries as this ledger's writes left them, each once, sorted. */
  nameOwners(name: string): string[] {
    const owners = new Map(this.base.versionsOf(name).map((v) => [v.registryId, v.ownerId]));
    const prefix = `${name}@`;
    for (const entry of this.changed.values())
      if (entry.registryId.startsWith(prefix)) owners.set(entry.registryId, entry.ownerId);
    return [...new Set(owners.values())].sort();
  }

  /** Entries created or changed by this ledger's writes, in their new state. */
  changedEntries(): RegistryEntry[] {
    return [...this.changed.values()];
  }

  /**
   * Decides `request` as the write at log index `index`, integrated at `integratedAt` (RFC 3339).
   * Never throws for a refusal: a refusal is a decision.
   */
  apply(request: WriteRequest, index: number, integratedAt: string): EntryDecision {
    const refused = (problem: RegistryProblem): EntryDecision => ({ outcome: 'refused', problem });
    if (this.nonces.has(request.nonce) || this.base.nonceSeen(request.nonce)) {
      return refused(
        new RegistryProblem(
          'replayed-nonce',
          `nonce ${request.nonce} was already used within the freshness window`,
        ),
      );
    }
    const revoked = this.trust.revocation(request.owner.keyid);
    if (revoked) {
      return refused(
        new RegistryProblem(
          'revoked-key',
          `owner key ${request.owner.keyid} was revoked at ${revoked.revoked_at} (${revoked.reason}); writes it signs are refused`,
        ),
      );
    }
    const current = this.entry(request.registryId);
    let decided: () => RegistryEntry;
    if (request.op === 'register') {
      const refusal = this.registerRefusal(request);
      if (refusal !== undefined) return refused(refusal);
      if (current !== undefined) {
        if (
          current.specDigest === request.specDigest &&
          current.status === 'active' &&
          current.ownerId === request.ownerId
        )
          return { outcome: 'idempotent', index: current.registeredIndex };
        return refused(
          new RegistryProblem(
            'conflict',
            current.status === 'deregistered'
              ? `${request.registryId} was deregistered; registry ids stay reserved, publish a new version`
              : `${request.registryId} is already registered with other content (${current.specDigest}); versions are immutable, publish a new version`,
          ),
        );
      }
      const name = request.nodeSpec.metadata.name;
      const holders = this.nameOwners(name).filter((owner) => owner !== request.ownerId);
      if (holders.length > 0)
        return refused(
          new RegistryProblem(
            'not-owner',
            `the node name ${name} belongs to ${holders.join(', ')}; new versions of a node are registered by the owner of its first version`,
          ),
        );
      decided = () => registeredEntry(request, index, integratedAt);
    } else {
      if (current === undefined)
        return refused(new RegistryProblem('not-found', `${request.registryId} is not registered`));
      if (current.provenance === 'legacy-import' && current.claimedIndex === undefined)
        return refused(unclaimed(request.registryId));
      if (current.ownerId !== request.ownerId) {
        return refused(
          new RegistryProblem(
            'not-owner',
            `${request.registryId} belongs to ${current.ownerId}; the request is signed by ${request.ownerId}`,
          ),
        );
      }
      if (current.status === 'deregistered') {
        return refused(
          new RegistryProblem(
            'already-deregistered',
            `${request.registryId} is already deregistered`,
          ),
        );
      }
      decided = () => ({ ...current, status: 'deregistered', deregisteredIndex: index });
    }
    // The entry, the ledger after the write and the leaf are built on first use: the early
    // decision on a request (registry.ts) reads only the outcome.
    let entry: RegistryEntry | undefined;
    let ledger: EntryLedger | undefined;
    let leaf: Uint8Array | undefined;
    const next = (): RegistryEntry => (entry ??= decided());
    const after = (): EntryLedger => {
      const changed = new Map(this.changed);
      changed.set(request.registryId, next());
      const nonces = new Set(this.nonces);
      nonces.add(request.nonce);
      return new EntryLedger(this.base, this.trust, this.policy, changed, nonces);
    };
    return {
      outcome: 'append',
      get ledger() {
        return (ledger ??= after());
      },
      get leaf() {
        return (leaf ??= encodeLeaf(request.canonicalEnvelope, integratedAt, request.registryId));
      },
      get entry() {
        return next();
      },
    };
  }

  /**
   * Decides the operator record `write` as the leaf at `index`, integrated at `integratedAt`.
   * Like `apply`, a refusal is a decision: the problem is `invalid-request` (or `revoked-key`)
   * for a record that does not verify, and the registry's own for an import or claim the
   * registry state refuses.
   */
  async applyControl(
    write: ControlWrite,
    index: number,
    integratedAt: string,
  ): Promise<ControlDecision> {
    let applied: AppliedControl;
    try {
      applied = await this.trust.apply(write, index, new Date(integratedAt));
    } catch (error) {
      if (error instanceof RegistryProblem) return { outcome: 'refused', problem: error };
      throw error;
    }
    const leaf = encodeControlLeaf(write.kind, applied.canonicalEnvelope, integratedAt);
    let decision: EntryChange;
    if (applied.legacyImport)
      decision = this.importEntry(applied.legacyImport, index, integratedAt);
    else if (applied.claim) decision = this.claimEntry(applied.claim, index);
    else if (applied.takedown) decision = this.takeDown(applied.takedown, index);
    else return { outcome: 'append', ledger: this.withTrust(applied.ledger), leaf, applied };
    if (decision.outcome !== 'change') return decision;
    const changed = new Map(this.changed);
    changed.set(decision.entry.registryId, decision.entry);
    return {
      outcome: 'append',
      ledger: new EntryLedger(this.base, applied.ledger, this.policy, changed, this.nonces),
      leaf,
      applied,
      entry: decision.entry,
    };
  }

  private importEntry(imported: LegacyImport, index: number, integratedAt: string): EntryChange {
    const refused = (problem: RegistryProblem): EntryChange => ({ outcome: 'refused', problem });
    const checked = checkLegacyEntry(imported.legacyId, imported.nodeSpec);
    if (!checked.ok)
      return refused(
        new RegistryProblem(
          'schema-violation',
          `legacy import of ${imported.legacyId}: ${checked.reason}`,
        ),
      );
    if (checked.registryId !== imported.registryId)
      return refused(
        new RegistryProblem(
          'invalid-request',
          `legacy import of ${imported.legacyId} says registry id ${imported.registryId}; its NodeSpec makes it ${checked.registryId}`,
        ),
      );
    const current = this.entry(checked.registryId);
    if (current !== undefined) {
      if (current.provenance === 'legacy-import' && current.specDigest === checked.specDigest)
        return { outcome: 'idempotent', index: current.registeredIndex };
      return refused(
        new RegistryProblem(
          'conflict',
          `${checked.registryId} (legacy ${imported.legacyId}) is already in the registry with other content or another origin (${current.specDigest}, log index ${current.registeredIndex})`,
        ),
      );
    }
    return {
      outcome: 'change',
      entry: {
        ...newEntry(
          checked.registryId,
          checked.nodeSpec,
          checked.canonicalSpec,
          index,
          integratedAt,
        ),
        specDigest: checked.specDigest,
        ownerId: checked.nodeSpec.identity.owner_id,
        provenance: 'legacy-import',
      },
    };
  }

  private claimEntry(claim: Claim, index: number): EntryChange {
    const refused = (problem: RegistryProblem): EntryChange => ({ outcome: 'refused', problem });
    const current = this.entry(claim.registryId);
    if (current === undefined)
      return refused(new RegistryProblem('not-found', `${claim.registryId} is not registered`));
    if (current.provenance !== 'legacy-import')
      return refused(
        new RegistryProblem(
          'invalid-request',
          `${claim.registryId} was registered by its owner's key; only entries imported from the prototype registry are claimed`,
        ),
      );
    if (current.claimedIndex !== undefined) {
      if (current.ownerId === claim.ownerId)
        return { outcome: 'idempotent', index: current.claimedIndex };
      return refused(
        new RegistryProblem(
          'conflict',
          `${claim.registryId} was already claimed by ${current.ownerId} (log index ${current.claimedIndex})`,
        ),
      );
    }
    if (current.specDigest !== claim.specDigest)
      return refused(
        new RegistryProblem(
          'invalid-request',
          `the claim is for content ${claim.specDigest}; ${claim.registryId} holds ${current.specDigest}`,
        ),
      );
    return {
      outcome: 'change',
      entry: { ...current, ownerId: claim.ownerId, claimedIndex: index },
    };
  }

  private takeDown(takedown: Takedown, index: number): EntryChange {
    const refused = (problem: RegistryProblem): EntryChange => ({ outcome: 'refused', problem });
    const current = this.entry(takedown.registryId);
    if (current === undefined)
      return refused(new RegistryProblem('not-found', `${takedown.registryId} is not registered`));
    if (current.status === 'deregistered')
      return refused(
        new RegistryProblem(
          'already-deregistered',
          `${takedown.registryId} is already deregistered`,
        ),
      );
    if (current.specDigest !== takedown.specDigest)
      return refused(
        new RegistryProblem(
          'invalid-request',
          `the takedown is for content ${takedown.specDigest}; ${takedown.registryId} holds ${current.specDigest}`,
        ),
      );
    const keyid = ownerKeyId(current.ownerId);
    const revoked = keyid === undefined ? undefined : this.trust.revocation(keyid);
    if (revoked === undefined)
      return refused(
        new RegistryProblem(
          'invalid-request',
          `the owner key of ${takedown.registryId} (${current.ownerId}) is not revoked: owners deregister their own entries; the revocation role takes down only entries of revoked keys`,
        ),
      );
    return {
      outcome: 'change',
      entry: { ...current, status: 'deregistered', deregisteredIndex: index },
    };
  }

  /** Why the owner may not register this NodeSpec at all, whatever the id holds. */
  private registerRefusal(request: RegisterRequest): RegistryProblem | undefined {
    const { lane, tier } = request.nodeSpec.identity;
    if (!openlyAllowed(this.policy, lane, tier)) {
      const refusal = entitlementRefusal(
        this.policy,
        request.ownerId,
        lane,
        tier,
        this.trust.pendingEnrolment(request.ownerId) ?? this.base.enrolment(request.ownerId),
      );
      if (refusal !== undefined) return new RegistryProblem('not-entitled', refusal);
    }
    if (request.nodeSpec.provenance_manifest.glymph_enabled !== true) {
      return new RegistryProblem(
        'glymph-required',
        'provenance_manifest.glymph_enabled must be true: registrations are signed by the owner key',
      );
    }
    return undefined;
  }
}

/** What an import or a claim does to the registry state. */
type EntryChange =
  | { readonly outcome: 'change'; readonly entry: RegistryEntry }
  | { readonly outcome: 'idempotent'; readonly index: number }
  | { readonly outcome: 'refused'; readonly problem: RegistryProblem };

function unclaimed(registryId: string): RegistryProblem {
  return new RegistryProblem(
    'unclaimed',
    `${registryId} was imported from the prototype registry and has no owner key yet; an operator binds it to its owner with matriz owners claim`,
  );
}

function registeredEntry(
  request: RegisterRequest,
  index: number,
  integratedAt: string,
): RegistryEntry {
  return {
    ...newEntry(request.registryId, request.nodeSpec, request.canonicalSpec, index, integratedAt),
    ownerId: request.ownerId,
    specDigest: request.specDigest,
  };
}

/**
 * A new entry, with the derived query keys: every signal the node emits or subscribes to and
 * every capability pattern it allows, each once, sorted. Owner and digest are the caller's.
 */
function newEntry(
  registryId: string,
  nodeSpec: NodeSpec,
  canonicalSpec: string,
  index: number,
  integratedAt: string,
): Omit<RegistryEntry, 'ownerId' | 'specDigest'> {
  const { identity, interfaces } = nodeSpec;
  return {
    registryId,
    lane: identity.lane,
    tier: identity.tier,
    nodeSpec: canonicalSpec,
    status: 'active',
    registeredIndex: index,
    integratedAt,
    signals: sortedUnique([
      ...(interfaces.signals.emits ?? []).map((emit) => emit.name),
      ...(interfaces.signals.subscribes ?? []).map((subscription) => subscription.signal),
    ]),
    capabilities: sortedUnique(identity.capabilities_policy?.allow ?? []),
  };
}

function sortedUnique(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}
