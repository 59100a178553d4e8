import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { RegistryProblem } from '../registry/problems.js';
import type { ServerMetrics } from './metrics.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Maps any error to an RFC 9457 problem document; unexpected errors are logged, never leaked. */
export function problemFor(error: FastifyError | Error, request: FastifyRequest): RegistryProblem {
  if (error instanceof RegistryProblem) return error;
  const code = (error as FastifyError).code;
  const status = (error as FastifyError).statusCode;
  switch (code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new RegistryProblem(
        'unsupported-media-type',
        `content type ${JSON.stringify(request.headers['content-type'] ?? '')} is not accepted; send application/json`,
      );
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new RegistryProblem(
        'body-too-large',
        'request body is larger than the server accepts',
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new RegistryProblem('invalid-json', 'request body is empty');
    case 'FST_ERR_VALIDATION':
      return new RegistryProblem('invalid-parameter', error.message);
    default:
      break;
  }
  if (status === 429)
    return new RegistryProblem(
      'rate-limited',
      'too many requests from this client; retry after the time in Retry-After',
    );
  if (status === 503)
    return new RegistryProblem(
      'overloaded',
      'the registry is overloaded; retry after the time in Retry-After',
    );
  request.log.error({ err: error }, 'unexpected error');
  return new RegistryProblem(
    'internal-error',
    'the server failed to handle the request; it has been logged',
  );
}

export function sendProblem(
  reply: FastifyReply,
  problem: RegistryProblem,
  metrics: ServerMetrics,
): FastifyReply {
  const document = problem.toDocument();
  metrics.refusals.inc({ problem: problem.slug });
  if (problem.slug === 'schema-violation') metrics.validationFailures.inc();
  // A halted log does not clear by retrying: it needs an operator (docs/security.md).
  if ((document.status === 429 || document.status === 503) && problem.slug !== 'log-inconsistent')
    void reply.header('retry-after', reply.getHeader('retry-after') ?? '1');
  return reply.code(document.status).type(PROBLEM_CONTENT_TYPE).send(document);
}
