/**
 * /api/v1/trust/*: the signed trust documents a client needs to verify the log across key
 * rotations and revocations (docs/security.md). Every response is a DSSE envelope exactly as the
 * log recorded it; clients check the signatures, never the server's word.
 */
import type { FastifyInstance } from 'fastify';
import type { Registry } from '../../registry/registry.js';

const problemResponses = { '4xx': { $ref: 'Problem#' }, '5xx': { $ref: 'Problem#' } };

const envelopeSchema = {
  type: 'object',
  description:
    'DSSE envelope (payload base64, payloadType, signatures [{keyid, sig}]) as recorded in the log',
  required: ['payload', 'payloadType', 'signatures'],
  additionalProperties: true,
} as const;

export function trustRoutes(app: FastifyInstance, registry: Registry): void {
  app.get(
    '/api/v1/trust/root',
    {
      schema: {
        operationId: 'getTrustRoot',
        summary:
          'The newest trust root (payload type application/vnd.matriz.trust-root+json): keys, roles, thresholds, expiry.',
        response: { 200: envelopeSchema, ...problemResponses },
      },
    },
    async (_request, reply) =>
      reply
        .type('application/json')
        .header('cache-control', 'no-store')
        .send(await registry.trustDocument('trust-root')),
  );

  app.get(
    '/api/v1/trust/root/:version',
    {
      schema: {
        operationId: 'getTrustRootVersion',
        summary:
          'Trust root version N, for walking the chain from a pinned version: each is signed by the root keys of N-1 and of N.',
        params: {
          type: 'object',
          required: ['version'],
          properties: { version: { type: 'integer', minimum: 1 } },
        },
        response: { 200: envelopeSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      // Looked up first: a version that does not exist yet must not be cached as immutable.
      const envelope = await registry.trustDocument(
        'trust-root',
        (request.params as { version: number }).version,
      );
      return reply
        .type('application/json')
        .header('cache-control', 'public, max-age=31536000, immutable')
        .send(envelope);
    },
  );

  app.get(
    '/api/v1/trust/revocations',
    {
      schema: {
        operationId: 'getRevocations',
        summary:
          'The newest revocation list (payload type application/vnd.matriz.revocations+json), signed by the revocation role.',
        response: { 200: envelopeSchema, ...problemResponses },
      },
    },
    async (_request, reply) =>
      reply
        .type('application/json')
        .header('cache-control', 'no-store')
        .send(await registry.trustDocument('revocations')),
  );
}
