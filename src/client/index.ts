/**
 * `matriz/client`: a typed client of the MATRIZ Registry for Node.js tools (docs/api.md,
 * "Client SDK"). Every answer is checked with `matriz/verify` before it is returned.
 *
 *   import { RegistryClient, openOwnerKey } from 'matriz/client';
 *   const client = new RegistryClient({ server: 'https://registry.example' });
 *   const owner = await openOwnerKey('owner.key', process.env.MATRIZ_OWNER_PASSPHRASE!);
 *   await client.register(nodeSpec, owner);
 *   for await (const page of client.query({ signal: 'memory_stored' })) console.log(page.entries);
 */
export {
  openOwnerKey,
  RegistryClient,
  type EntryPage,
  type LogStatus,
  type OwnerKey,
  type QueryFilter,
  type RegistryClientOptions,
  type VerifiedEntry,
  type VerifiedWrite,
  type WriteOptions,
} from './registry-client.js';
export {
  RegistryRequestError,
  RegistryUnavailableError,
  type HttpOptions,
  type ProblemDetails,
  type UnavailableReason,
} from './http-client.js';
export { VerificationError } from './log-verifier.js';
export { ForkDetectedError } from './log-session.js';
export type { RegistryEntry, WriteResult } from '../verify/index.js';
export type { NodeSpec } from '../nodespec/nodespec.js';
