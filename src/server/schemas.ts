/** JSON Schemas of the HTTP API: they validate requests and document the API (OpenAPI). */

import { LANES } from '../nodespec/nodespec.js';
import { MAX_NAME_PREFIX_LENGTH, NODE_NAME_PATTERN } from '../registry/registry.js';

export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem document; `type` is urn:matriz:problem:<slug>.',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
  },
  additionalProperties: true,
} as const;

const proofSchema = {
  type: 'object',
  properties: {
    index: { type: 'integer' },
    size: { type: 'integer' },
    from: { type: 'integer' },
    to: { type: 'integer' },
    hashes: {
      type: 'array',
      items: { type: 'string', description: 'base64 SHA-256 hash, RFC 9162 order' },
    },
  },
} as const;

export const writeResultSchema = {
  $id: 'WriteResult',
  type: 'object',
  description:
    'The answer to a register or deregister request: where the log holds it, with proof.',
  required: ['registry_id', 'index', 'checkpoint', 'inclusion_proof'],
  properties: {
    registry_id: { type: 'string' },
    index: { type: 'integer', description: 'log index of the entry' },
    checkpoint: {
      type: 'string',
      description: 'signed checkpoint note (C2SP signed-note) that includes the entry',
    },
    inclusion_proof: proofSchema,
    idempotent: { type: 'boolean' },
  },
} as const;

export const entrySchema = {
  $id: 'Entry',
  type: 'object',
  description: 'A registry entry: a NodeSpec registered by its owner, and where the log holds it.',
  properties: {
    registry_id: { type: 'string' },
    owner_id: { type: 'string' },
    lane: { type: 'string' },
    tier: { type: 'integer' },
    status: { type: 'string', enum: ['active', 'deregistered'] },
    spec_digest: { type: 'string' },
    log_index: { type: 'integer' },
    deregistered_log_index: { type: 'integer' },
    integrated_at: { type: 'string' },
    provenance: {
      type: 'string',
      enum: ['owner', 'legacy-import'],
      description:
        'owner: signed by the owner key; legacy-import: imported from the prototype registry by the enrolment role (no owner signature)',
    },
    owner_revoked_at: {
      type: 'string',
      description:
        'RFC 3339 time the owner key was revoked, when the newest revocation list revokes it: the entry stays as it is, and no request signed by that key changes it',
    },
    claimed_log_index: {
      type: 'integer',
      description: 'log index of the claim that bound an imported entry to its owner key',
    },
    node_spec: { type: 'object', additionalProperties: true },
  },
} as const;

export const envelopeSchema = {
  type: 'object',
  description:
    'DSSE envelope (payloadType application/vnd.matriz.request+json) signed by the owner key.',
  additionalProperties: true,
} as const;

export const registryIdParams = {
  type: 'object',
  required: ['registry_id'],
  properties: { registry_id: { type: 'string', maxLength: 200 } },
} as const;

export const nodeNameParams = {
  type: 'object',
  required: ['name'],
  properties: {
    name: {
      type: 'string',
      minLength: 1,
      maxLength: MAX_NAME_PREFIX_LENGTH,
      pattern: NODE_NAME_PATTERN,
      description: 'a node name (NodeSpec metadata.name), exactly',
    },
  },
} as const;

export const versionsSchema = {
  type: 'object',
  description:
    'Every version of one node, active or deregistered, in the order they were registered (at most 1,000; then truncated and version_count).',
  required: ['name', 'versions'],
  properties: {
    name: { type: 'string' },
    versions: {
      type: 'array',
      items: {
        type: 'object',
        required: [
          'registry_id',
          'owner_id',
          'lane',
          'tier',
          'status',
          'log_index',
          'integrated_at',
        ],
        properties: {
          registry_id: { type: 'string' },
          owner_id: { type: 'string' },
          lane: { type: 'string', enum: [...LANES] },
          tier: { type: 'integer' },
          status: { type: 'string', enum: ['active', 'deregistered'] },
          log_index: { type: 'integer' },
          deregistered_log_index: { type: 'integer' },
          integrated_at: { type: 'string' },
        },
      },
    },
    truncated: { type: 'boolean' },
    version_count: { type: 'integer' },
  },
} as const;

export const querySchema = {
  type: 'object',
  properties: {
    signal: { type: 'string', maxLength: 200 },
    capability: { type: 'string', maxLength: 200 },
    lane: { type: 'string', enum: [...LANES] },
    owner: { type: 'string', maxLength: 200 },
    name: {
      type: 'string',
      minLength: 1,
      // At most as long as, and in the alphabet of, NodeSpec metadata.name.
      maxLength: MAX_NAME_PREFIX_LENGTH,
      pattern: NODE_NAME_PATTERN,
      description:
        'node name prefix: entries whose name (the registry id before @) starts with it, every version (memory_adapter matches memory_adapter@1.0.0 and memory_adapter_v2@0.1.0; to list one node, keep the ids whose part before @ equals it). Combines with the other filters',
    },
    cursor: { type: 'string', maxLength: 200 },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
    view: {
      type: 'string',
      enum: ['full', 'summary'],
      default: 'full',
      description: 'full: whole entries with their NodeSpec; summary: EntrySummary items',
    },
  },
  additionalProperties: false,
} as const;

export const entrySummarySchema = {
  $id: 'EntrySummary',
  type: 'object',
  description: 'An entry on a `view=summary` page: what a listing shows, without the NodeSpec.',
  required: ['registry_id', 'owner_id', 'lane', 'tier', 'version', 'signals', 'capabilities'],
  properties: {
    registry_id: { type: 'string' },
    owner_id: { type: 'string' },
    lane: { type: 'string', enum: [...LANES] },
    tier: { type: 'integer' },
    version: { type: 'string' },
    signals: {
      type: 'array',
      items: { type: 'string' },
      description: 'signal names the node emits or subscribes to',
    },
    capabilities: {
      type: 'array',
      items: { type: 'string' },
      description: "the node's allow-listed capability patterns",
    },
    owner_revoked_at: { type: 'string' },
  },
} as const;

export const queryResultSchema = {
  $id: 'Page',
  type: 'object',
  description: 'One page of entries; `next_cursor` continues after the last one (null: no more).',
  properties: {
    entries: {
      type: 'array',
      items: { anyOf: [{ $ref: 'Entry#' }, { $ref: 'EntrySummary#' }] },
      description: 'Entry items, or EntrySummary items with view=summary',
    },
    next_cursor: { type: ['string', 'null'] },
  },
} as const;

export const inclusionQuery = {
  type: 'object',
  required: ['index', 'size'],
  properties: { index: { type: 'integer', minimum: 0 }, size: { type: 'integer', minimum: 1 } },
  additionalProperties: false,
} as const;

export const consistencyQuery = {
  type: 'object',
  required: ['from', 'to'],
  properties: { from: { type: 'integer', minimum: 1 }, to: { type: 'integer', minimum: 1 } },
  additionalProperties: false,
} as const;

export { proofSchema };

/** Schemas with a name: registered once (app.addSchema), referenced as `{ $ref: 'Name#' }`. */
export const namedSchemas = [
  problemSchema,
  entrySchema,
  entrySummarySchema,
  writeResultSchema,
  queryResultSchema,
];

export const entryRef = { $ref: 'Entry#' } as const;
export const writeResultRef = { $ref: 'WriteResult#' } as const;
export const pageRef = { $ref: 'Page#' } as const;
