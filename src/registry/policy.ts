/**
 * Which lanes and tiers an owner may claim (DESIGN.md, Identity). By default anyone may
 * self-enrol in lane `candidate` up to tier 2; other lanes and higher tiers need an owner an
 * administrator enrolled. The policy is data (a JSON file), checked at load time.
 */
import { isOwnerId } from '../crypto/keys.js';
import { LANES, type Lane } from '../nodespec/nodespec.js';

export interface Entitlement {
  readonly lanes: readonly Lane[];
  readonly maxTier: number;
}

export interface EntitlementPolicy {
  /** What any owner may claim without enrolment. */
  readonly open: Entitlement;
  /** Enrolled owners, by GLYMPH owner id. */
  readonly owners: ReadonlyMap<string, Entitlement>;
}

export const DEFAULT_POLICY: EntitlementPolicy = {
  open: { lanes: ['candidate'], maxTier: 2 },
  owners: new Map(),
};

/** Whether anyone may claim (lane, tier) without an enrolment: no lookup needed. */
export function openlyAllowed(policy: EntitlementPolicy, lane: Lane, tier: number): boolean {
  return policy.open.lanes.includes(lane) && tier <= policy.open.maxTier;
}

/**
 * Why `ownerId` may not claim (lane, tier), or undefined when it may. `logged` is the owner's
 * enrolment recorded in the log (`matriz owners enrol`); it takes precedence over an entry for
 * the same owner in the policy file.
 */
export function entitlementRefusal(
  policy: EntitlementPolicy,
  ownerId: string,
  lane: Lane,
  tier: number,
  logged?: Entitlement,
): string | undefined {
  const enrolled = logged ?? policy.owners.get(ownerId);
  const allows = (e: Entitlement): boolean => e.lanes.includes(lane) && tier <= e.maxTier;
  if (allows(policy.open) || (enrolled !== undefined && allows(enrolled))) return undefined;
  if (enrolled === undefined) {
    return `owner ${ownerId} is not enrolled; without enrolment an owner may claim lane ${policy.open.lanes.join(' or ')} up to tier ${policy.open.maxTier}, not lane ${lane} at tier ${tier}`;
  }
  return `owner ${ownerId} is enrolled for lane ${enrolled.lanes.join(', ')} up to tier ${enrolled.maxTier}, not lane ${lane} at tier ${tier}`;
}

/**
 * Reads a policy document: `{"open": {"lanes": [...], "max_tier": n}, "owners": {"GLYMPH:...":
 * {"lanes": [...], "max_tier": n}}}`. Throws an Error naming the bad field.
 */
export function parsePolicy(value: unknown): EntitlementPolicy {
  const record = asRecord(value, 'policy');
  const open =
    record.open === undefined ? DEFAULT_POLICY.open : parseEntitlement(record.open, 'policy.open');
  const owners = new Map<string, Entitlement>();
  for (const [ownerId, entitlement] of Object.entries(
    asRecord(record.owners ?? {}, 'policy.owners'),
  )) {
    if (!isOwnerId(ownerId))
      throw new Error(`policy.owners: ${JSON.stringify(ownerId)} is not a GLYMPH owner id`);
    owners.set(ownerId, parseEntitlement(entitlement, `policy.owners["${ownerId}"]`));
  }
  return { open, owners };
}

function parseEntitlement(value: unknown, where: string): Entitlement {
  const record = asRecord(value, where);
  const { lanes, max_tier: maxTier } = record;
  if (
    !Array.isArray(lanes) ||
    !lanes.every((lane): lane is Lane => (LANES as readonly string[]).includes(lane as string))
  ) {
    throw new Error(`${where}.lanes must be a list of ${LANES.join(', ')}`);
  }
  if (typeof maxTier !== 'number' || !Number.isInteger(maxTier) || maxTier < 0 || maxTier > 7) {
    throw new Error(`${where}.max_tier must be an integer from 0 to 7`);
  }
  return { lanes, maxTier };
}

function asRecord(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${where} must be a JSON object`);
  return value as Record<string, unknown>;
}
