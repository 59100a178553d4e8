/** /api/v1/log/*: the transparency log's read side, everything a verifier needs. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RegistryProblem } from '../../registry/problems.js';
import type { Registry } from '../../registry/registry.js';
import { consistencyQuery, inclusionQuery, proofSchema } from '../schemas.js';

const problemResponses = { '4xx': { $ref: 'Problem#' }, '5xx': { $ref: 'Problem#' } };

const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;

/**
 * Indexes and sizes are plain decimal. Ajv's type coercion alone would also read `0x10`, `1e1`,
 * `016` or ` 16` as numbers, giving one leaf or proof several URLs (and caches several copies);
 * checked on the raw strings before validation.
 */
function decimalOnly(source: 'params' | 'query', names: readonly string[]) {
  return (request: FastifyRequest, _reply: unknown, done: (error?: Error) => void): void => {
    const values = request[source] as Record<string, unknown>;
    for (const name of names) {
      const value = values[name];
      if (value !== undefined && (typeof value !== 'string' || !DECIMAL.test(value))) {
        done(
          new RegistryProblem(
            'invalid-parameter',
            `${name} must be a decimal integer (no sign, leading zero or exponent), got ${JSON.stringify(value)}`,
          ),
        );
        return;
      }
    }
    done();
  };
}

/** The published checkpoint as text/plain, never cached (it moves). */
export function checkpointHandler(registry: Registry) {
  return async (_request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> =>
    reply
      .type('text/plain; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(await registry.checkpoint());
}

export function logRoutes(app: FastifyInstance, registry: Registry): void {
  app.get(
    '/api/v1/log/checkpoint',
    {
      schema: {
        operationId: 'getCheckpoint',
        summary:
          'The latest signed checkpoint (C2SP tlog-checkpoint in a signed note), text/plain.',
      },
    },
    checkpointHandler(registry),
  );

  app.get(
    '/api/v1/log/entries/:index',
    {
      schema: {
        operationId: 'getLogEntry',
        summary:
          "The exact leaf bytes at a log index: RFC 8785 JSON of an owner's write (envelope, integrated_at, registry_id) or of an operator record (envelope, integrated_at, kind: trust-root, revocations, enrolment, log-rotation, legacy-import or claim).",
        params: {
          type: 'object',
          required: ['index'],
          properties: { index: { type: 'integer', minimum: 0 } },
        },
      },
      preValidation: decimalOnly('params', ['index']),
    },
    async (request, reply) => {
      const leaf = await registry.leaf((request.params as { index: number }).index);
      return reply
        .type('application/octet-stream')
        .header('cache-control', 'public, max-age=31536000, immutable')
        .send(Buffer.from(leaf));
    },
  );

  app.get(
    '/api/v1/log/proof/inclusion',
    {
      schema: {
        operationId: 'getInclusionProof',
        summary: 'RFC 9162 inclusion proof of the leaf at index in the tree of size.',
        querystring: inclusionQuery,
        response: { 200: proofSchema, ...problemResponses },
      },
      preValidation: decimalOnly('query', ['index', 'size']),
    },
    (request) => {
      const { index, size } = request.query as { index: number; size: number };
      return registry.inclusionProof(index, size);
    },
  );

  app.get(
    '/api/v1/log/proof/consistency',
    {
      schema: {
        operationId: 'getConsistencyProof',
        summary: 'RFC 9162 consistency proof from tree size from to tree size to.',
        querystring: consistencyQuery,
        response: { 200: proofSchema, ...problemResponses },
      },
      preValidation: decimalOnly('query', ['from', 'to']),
    },
    (request) => {
      const { from, to } = request.query as { from: number; to: number };
      return registry.consistencyProof(from, to);
    },
  );

  app.get(
    '/api/v1/log/keys',
    {
      schema: {
        operationId: 'getLogKeys',
        summary:
          "The log's origin and public keys: ed25519_vkey in Go sumdb/note verifier format, and ML-DSA-44 and Ed25519 public key JSON.",
        response: {
          200: {
            type: 'object',
            properties: {
              origin: { type: 'string' },
              ed25519_vkey: { type: 'string' },
              ml_dsa_44: { type: 'object', additionalProperties: true },
              ed25519: { type: 'object', additionalProperties: true },
            },
          },
        },
      },
    },
    () => registry.keys(),
  );
}
