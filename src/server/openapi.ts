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
 * - examples.
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

const CHECKPOINT = {
  type: 'string',
  description:
    'A C2SP tlog-checkpoint (origin, tree size, base64 root hash) in a C2SP signed note: an Ed25519 line and an ML-DSA-44 cosignature line.',
  examples: [
    'registry.example/matriz\n7\nl4Gk...=\n\n— registry.example/matriz Az3g...\n— registry.example/matriz 0Qm1...\n',
  ],
};

const PROBLEM_EXAMPLE = {
  type: 'urn:matriz:problem:not-found',
  title: 'Not Found',
  status: 404,
  detail: 'no entry memoria_adapter_v1@0.1.0',
};

const WRITE_OPERATIONS = new Set(['registerNodeSpec', 'deregisterEntry']);

export const completeOpenApi: SwaggerTransformObject = (input) => {
  const document = (
    'openapiObject' in input ? input.openapiObject : input.swaggerObject
  ) as Document;
  const schemas = (document.components ??= {}).schemas ?? {};
  document.components.schemas = schemas;
  schemas.WriteRequest = WRITE_REQUEST;
  schemas.Checkpoint = CHECKPOINT;
  const problem = schemas.Problem as Record<string, unknown> | undefined;
  if (problem) problem.examples = [PROBLEM_EXAMPLE];
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
        response.content = { [PROBLEM]: { schema: { $ref: '#/components/schemas/Problem' } } };
      }
      if (operation.operationId !== undefined && WRITE_OPERATIONS.has(operation.operationId))
        operation.requestBody = {
          ...operation.requestBody,
          content: {
            'application/json': { schema: { $ref: '#/components/schemas/WriteRequest' } },
          },
        };
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
