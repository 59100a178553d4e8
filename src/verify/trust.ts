/**
 * Trust documents: the trust root chain from a pinned root forward (TUF-style: each version
 * signed by a threshold of the previous root keys and of its own, no version skipped, the newest
 * unexpired), and the revocation list under the newest root.
 */
import { verifyRevocationList } from '../trust/revocations.js';
import type { RevocationList } from '../trust/revocations.js';
import { verifyRootChain, verifyRootSelfSigned, type TrustRoot } from '../trust/trust-root.js';
import type { VerifierSuites } from './suites.js';

export interface TrustRootChain {
  readonly pinned: TrustRoot;
  /** The roots after the pinned one, in order. */
  readonly chain: readonly TrustRoot[];
  /** The newest root: the one checkpoints and revocation lists are verified under. */
  readonly newest: TrustRoot;
}

/**
 * Verifies the `pinned` trust root envelope (obtained out of band or on first contact) against
 * its own root role, then walks `candidates` (envelopes of versions pinned + 1, + 2, ...). Throws
 * TrustError: `malformed`, `wrong-type`, `wrong-origin` (another origin than `origin` or than
 * the pinned root), `threshold`, `rollback`, `gap`, `expired` (the newest root at `now`).
 */
export async function verifyTrustRootChain(
  pinned: unknown,
  candidates: readonly unknown[],
  options: {
    readonly suites: Pick<VerifierSuites, 'load'>;
    readonly now?: Date;
    readonly origin?: string;
  },
): Promise<TrustRootChain> {
  const load = options.suites.load;
  const root = await verifyRootSelfSigned(
    pinned,
    load,
    options.origin === undefined ? {} : { origin: options.origin },
  );
  const chain = await verifyRootChain(root, candidates, options.now ?? new Date(), load);
  return { pinned: root, chain, newest: chain.at(-1) ?? root };
}

/**
 * Verifies a revocation list envelope under `root` (its revocation role's threshold, its
 * origin); with `previous`, the list must be it or a successor that keeps every entry. Throws
 * TrustError: `malformed`, `wrong-type`, `threshold`, `wrong-origin`, `rollback`.
 */
export function verifyRevocations(
  envelope: unknown,
  root: TrustRoot,
  options: { readonly suites: Pick<VerifierSuites, 'load'>; readonly previous?: RevocationList },
): Promise<RevocationList> {
  return verifyRevocationList(envelope, root, options.suites.load, options.previous);
}
