/**
 * What the OpenAPI document (/api/v1/openapi.json) says beyond what @fastify/swagger derives from
 * the route schemas, so that a generated client (openapi-typescript, openapi-fetch) can register
 * as well as read:
 *
 * - `servers`: this server, relative to the document; `security: []`: no HTTP authentication,
 *   since a write carries its owner's signature in the body;
 * - errors as the server sends them: `application/problem+json` (RFC 9457), schema `Problem`;
 * - `WriteRequest`, the DSSE envelope a write carries. The routes' own body schema stays lenient
 *   on purpose: a malformed envelope must reach the registry's checks, which refuse it as
 *   `bad-signature` (docs/api.md, write checks), not as a schema error;
 * - `Checkpoint`, the text/plain signed note; log leaves as octet streams;
 * - an example for every named schema, request body and problem response, each valid against
 *   its schema (test/server/openapi-examples.test.ts checks them with Ajv).
 */
import type { SwaggerTransformObject } from '@fastify/swagger';

type Document = Record<string, unknown> & {
  components?: { schemas?: Record<string, unknown> };
  paths?: Record<string, Record<string, Operation>>;
};
interface Operation {
  operationId?: string;
  requestBody?: { content?: Record<string, unknown> };
  responses?: Record<string, { description?: string; content?: Record<string, unknown> }>;
}

const PROBLEM = 'application/problem+json';

const WRITE_REQUEST = {
  type: 'object',
  description:
    'A DSSE envelope (https://github.com/secure-systems-lab/dsse) signed by the owner key. `payload` is the base64 of the RFC 8785 canonical JSON request: {"op": "register", "node_spec": ...} or {"op": "deregister", "registry_id": ...}, with "owner_public_key", "nonce", "issued_at" and "origin" (docs/api.md, "Signed write requests").',
  required: ['payloadType', 'payload', 'signatures'],
  properties: {
    payloadType: { type: 'string', const: 'application/vnd.matriz.request+json' },
    payload: { type: 'string', description: 'base64 (RFC 4648 §4) of the canonical request JSON' },
    signatures: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['keyid', 'sig'],
        properties: {
          keyid: { type: 'string', description: 'SHA-256 key id of the owner public key' },
          sig: { type: 'string', description: 'base64 signature over the DSSE PAE' },
        },
      },
    },
  },
  examples: [
    {
      payloadType: 'application/vnd.matriz.request+json',
      payload: 'eyJpc3N1ZWRfYXQiOiIyMDI2LTEyLTA1VDEyOjAwOjAwWiIsIi4uLiI6Ii4uLiJ9',
      signatures: [{ keyid: '29568e29bf2e3a2a...', sig: 'MEUCIQ...' }],
    },
  ],
};

const CHECKPOINT_EXAMPLE =
  'registry.example/matriz\n7\nl4GkVvG2b9mJm4nZ9kq0wC0bq3m8nN3k2i5x3bV8r1E=\n\n— registry.example/matriz Az3gq1...\n— registry.example/matriz 0Qm1Zx...\n';

const CHECKPOINT = {
  type: 'string',
  description:
    'A C2SP tlog-checkpoint (origin, tree size, base64 root hash) in a C2SP signed note: an Ed25519 line and an ML-DSA-44 cosignature line.',
  examples: [CHECKPOINT_EXAMPLE],
};

const PROBLEM_EXAMPLE = {
  type: 'urn:matriz:problem:not-found',
  title: 'Not found',
  status: 404,
  detail: 'no entry telemetry-probe@0.9.4',
};

/** `examples/telemetry_probe.json`, the smallest bundled NodeSpec. */
const NODE_SPEC_EXAMPLE = {
  contracts: { performance_hints: { concurrency: 1, p50: 2, p95: 8, timeout_ms: 1000 } },
  identity: {
    lane: 'candidate',
    owner_id: 'GLYMPH:c76d35496f3cac43b47d559d6ca86ef6ab148409509807d8e28c1c0f7abd92be',
    roles: ['ops.telemetry'],
    tier: 1,
  },
  interfaces: {
    inputs: [],
    outputs: [{ name: 'MetricBatch', schema_ref: 'schemas/metric_batch.json' }],
    signals: { emits: [{ name: 'telemetry.batch' }], subscribes: [] },
  },
  metadata: {
    created_at: '2025-08-30',
    name: 'telemetry-probe',
    schema_version: 'nodespec.v1',
    version: '0.9.4',
  },
  node_type: 'matriz.ops.telemetry_probe',
  provenance_manifest: { glymph_enabled: true, pqc_compat: false, signing_scheme: 'ed25519' },
  security: { encryption: { transport: 'TLS 1.3' } },
};

const ENTRY_EXAMPLE = {
  registry_id: 'telemetry-probe@0.9.4',
  owner_id: NODE_SPEC_EXAMPLE.identity.owner_id,
  lane: 'candidate',
  tier: 1,
  status: 'active',
  spec_digest: 'sha256:0b6f0a3c9d1e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c',
  log_index: 6,
  integrated_at: '2026-12-05T12:00:00Z',
  provenance: 'owner',
  node_spec: NODE_SPEC_EXAMPLE,
};

const WRITE_RESULT_EXAMPLE = {
  registry_id: 'telemetry-probe@0.9.4',
  index: 6,
  checkpoint: CHECKPOINT_EXAMPLE,
  inclusion_proof: {
    index: 6,
    size: 7,
    hashes: [
      'Ihd3Y8uR0bQ8rVf2Wn1w7cU5xJ0mK3hN8pL2tA6sB9E=',
      'q2lT9vF4yH1nR6wB3xK8mC5pZ0jD7gS2uE9aL4oV1tI=',
    ],
  },
};

/** Examples for the components @fastify/swagger derives from src/server/schemas.ts. */
const SCHEMA_EXAMPLES: Record<string, unknown> = {
  Entry: ENTRY_EXAMPLE,
  WriteResult: WRITE_RESULT_EXAMPLE,
  EntrySummary: {
    registry_id: ENTRY_EXAMPLE.registry_id,
    owner_id: ENTRY_EXAMPLE.owner_id,
    lane: ENTRY_EXAMPLE.lane,
    tier: ENTRY_EXAMPLE.tier,
    version: ENTRY_EXAMPLE.registry_id.slice(ENTRY_EXAMPLE.registry_id.lastIndexOf('@') + 1),
    signals: ['memory_stored'],
    capabilities: ['read:memory/episodic/*'],
  },
  Page: { entries: [ENTRY_EXAMPLE], next_cursor: null },
  Problem: PROBLEM_EXAMPLE,
};

/** An example problem for each status range, per operation: the refusal it most often sends. */
function problemExample(operationId: string | undefined, range: string): Record<string, unknown> {
  if (range.startsWith('5'))
    return {
      type: 'urn:matriz:problem:overloaded',
      title: 'Registry is overloaded',
      status: 503,
      detail: 'the registry is overloaded; retry after the time in Retry-After',
    };
  switch (operationId) {
    case 'registerNodeSpec':
      return {
        type: 'urn:matriz:problem:not-entitled',
        title: 'Owner may not claim this lane or tier',
        status: 403,
        detail:
          'lane core, tier 5 needs an enrolment of this owner key in the log (matriz owners enrol)',
      };
    case 'deregisterEntry':
      return {
        type: 'urn:matriz:problem:not-owner',
        title: 'Only the owner may change this entry',
        status: 403,
        detail: 'telemetry-probe@0.9.4 belongs to another owner key',
      };
    case 'validateNodeSpec':
    case 'queryEntries':
      return {
        type: 'urn:matriz:problem:invalid-parameter',
        title: 'Invalid query parameter',
        status: 400,
        detail: 'querystring/limit must be <= 500',
      };
    default:
      return PROBLEM_EXAMPLE;
  }
}

const WRITE_OPERATIONS = new Set(['registerNodeSpec', 'deregisterEntry']);

export const completeOpenApi: SwaggerTransformObject = (input) => {
  const document = (
    'openapiObject' in input ? input.openapiObject : input.swaggerObject
  ) as Document;
  const schemas = (document.components ??= {}).schemas ?? {};
  document.components.schemas = schemas;
  schemas.WriteRequest = WRITE_REQUEST;
  schemas.Checkpoint = CHECKPOINT;
  for (const [name, example] of Object.entries(SCHEMA_EXAMPLES)) {
    const schema = schemas[name] as Record<string, unknown> | undefined;
    if (schema) schema.examples = [example];
  }
  // No HTTP authentication: a write is authenticated by the owner's signature inside its body.
  document.security = [];
  document.servers = [
    { url: '/', description: 'this registry (the server serving this document)' },
  ];
  for (const operations of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if (!/^[45]/.test(status)) continue;
        response.description ??= 'An RFC 9457 problem document';
        response.content = {
          [PROBLEM]: {
            schema: { $ref: '#/components/schemas/Problem' },
            example: problemExample(operation.operationId, status),
          },
        };
      }
      if (operation.operationId !== undefined && WRITE_OPERATIONS.has(operation.operationId))
        operation.requestBody = {
          ...operation.requestBody,
          content: {
            'application/json': {
              schema: { $ref: '#/components/schemas/WriteRequest' },
              example: WRITE_REQUEST.examples[0],
            },
          },
        };
      if (operation.operationId === 'validateNodeSpec') {
        const json = operation.requestBody?.content?.['application/json'] as
          Record<string, unknown> | undefined;
        if (json) json.example = NODE_SPEC_EXAMPLE;
      }
      if (operation.operationId === 'getCheckpoint')
        operation.responses = {
          ...operation.responses,
          200: {
            description: 'The latest signed checkpoint',
            content: { 'text/plain': { schema: { $ref: '#/components/schemas/Checkpoint' } } },
          },
        };
      if (operation.operationId === 'getLogEntry')
        operation.responses = {
          ...operation.responses,
          200: {
            description: 'The exact leaf bytes',
            content: {
              'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
            },
          },
        };
    }
  }
  return document;
};
