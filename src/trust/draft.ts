/**
 * Drafting the next trust root from the current one: the unsigned version N+1 with keys added to
 * or removed from roles, thresholds changed, a new expiry. Holders of root keys then sign it one
 * by one (`addSignature`, `matriz trust sign`), offline if they like; it is valid once a
 * threshold of version N's root keys and of its own have signed.
 */
import type { Envelope } from '../crypto/dsse.js';
import type { PublicKey } from '../crypto/keys.js';
import { PAYLOAD_TYPES } from '../crypto/payload-types.js';
import { TrustError } from './errors.js';
import { unsignedEnvelope } from './signatures.js';
import { trustRootPayload, type TrustRole, type TrustRoot } from './trust-root.js';

export interface RootChanges {
  /** Keys to add to a role (a key may serve several roles). */
  readonly add?: readonly { readonly role: TrustRole; readonly key: PublicKey }[];
  /** Keyids to remove from every role. */
  readonly remove?: readonly string[];
  /** New thresholds by role. */
  readonly thresholds?: Partial<Record<TrustRole, number>>;
  readonly expires?: Date | string;
}

/** The unsigned envelope of `current.version + 1` with `changes` applied; refuses an invalid result. */
export function draftNextRoot(current: TrustRoot, changes: RootChanges): Envelope {
  const keys = new Map(current.keys);
  const roles = Object.fromEntries(
    Object.entries(current.roles).map(([role, def]) => [
      role,
      { keyids: [...def.keyids], threshold: def.threshold },
    ]),
  ) as Record<TrustRole, { keyids: string[]; threshold: number }>;
  for (const keyid of changes.remove ?? []) {
    if (!keys.has(keyid))
      throw new TrustError(
        'unknown-key',
        `${keyid} is not a key of trust root v${current.version}`,
      );
    for (const def of Object.values(roles)) def.keyids = def.keyids.filter((k) => k !== keyid);
    keys.delete(keyid);
  }
  for (const { role, key } of changes.add ?? []) {
    if (roles[role].keyids.includes(key.keyid))
      throw new TrustError('malformed', `${key.keyid} already has the ${role} role`);
    keys.set(key.keyid, key);
    roles[role].keyids.push(key.keyid);
  }
  for (const [role, threshold] of Object.entries(changes.thresholds ?? {}))
    roles[role as TrustRole].threshold = threshold;
  for (const [role, def] of Object.entries(roles))
    if (def.keyids.length === 0)
      throw new TrustError('malformed', `the draft leaves the ${role} role without keys`);
  const used = new Set(Object.values(roles).flatMap((def) => def.keyids));
  return unsignedEnvelope(
    PAYLOAD_TYPES.trustRoot,
    trustRootPayload({
      origin: current.origin,
      version: current.version + 1,
      expires: changes.expires ?? current.expires,
      keys: [...keys.values()].filter((key) => used.has(key.keyid)),
      roles,
    }),
  );
}
