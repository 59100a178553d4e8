/**
 * DSSE payload types of the documents the registry signs. The type is part of what is signed
 * (DSSE PAE), so a signature over one kind of document can never be replayed as another. These
 * strings are an API (docs/api.md): independent clients sign and check them.
 */
export const PAYLOAD_TYPES = {
  /** A NodeSpec v1 document (RFC 8785 canonical JSON). */
  nodeSpec: 'application/vnd.matriz.nodespec.v1+json',
  /** A signed registry write: `op` register or deregister (docs/api.md). */
  request: 'application/vnd.matriz.request+json',
  /** The trust root: keys, roles, thresholds, expiry. */
  trustRoot: 'application/vnd.matriz.trust-root+json',
  /** The signed revocation list. */
  revocations: 'application/vnd.matriz.revocations+json',
  /** An owner's enrolment: lanes and highest tier, signed by the trust root's enrolment role. */
  enrolment: 'application/vnd.matriz.enrolment+json',
  /** A log key rotation, signed by the old and the new log keys. */
  logRotation: 'application/vnd.matriz.log-rotation+json',
  /** An entry of the prototype registry, imported by the enrolment role (no owner signature). */
  legacyImport: 'application/vnd.matriz.legacy-import+json',
  /** The enrolment role's binding of an imported entry to its owner's key. */
  claim: 'application/vnd.matriz.claim+json',
  /** The revocation role's deregistration of an entry whose owner key is revoked. */
  takedown: 'application/vnd.matriz.takedown+json',
  /** Arbitrary bytes signed with `matriz sign` when no type is given. */
  generic: 'application/octet-stream',
} as const;

export type PayloadType = (typeof PAYLOAD_TYPES)[keyof typeof PAYLOAD_TYPES];
