import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
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

/**
 * What the router refuses before any route runs (Fastify's `frameworkErrors`): a path that is
 * not valid percent-encoding, or a path parameter over the length limit.
 */
export function frameworkProblem(error: FastifyError): RegistryProblem {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH')
    return new RegistryProblem(
      'uri-too-long',
      'a path segment is longer than any registry id or parameter can be',
    );
  return new RegistryProblem(
    'invalid-parameter',
    'the request path is not valid percent-encoded UTF-8',
  );
}

/**
 * Node's HTTP parser refuses a request before Fastify sees it (Content-Length with
 * Transfer-Encoding, a negative or repeated Content-Length, bad framing, oversized headers, the
 * request timeout): answered as a problem document like every other refusal, then the
 * connection is closed. A reset socket gets nothing.
 */
export function writeSocketProblem(
  error: Error & { code?: string; reason?: unknown; rawPacket?: unknown },
  socket: Socket,
  metrics: ServerMetrics,
): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  let problem: RegistryProblem;
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT')
    problem = new RegistryProblem(
      'request-timeout',
      'the request (headers and body) did not arrive within the request timeout',
    );
  else if (error.code === 'HPE_HEADER_OVERFLOW')
    problem = new RegistryProblem(
      'headers-too-large',
      'the request headers are larger than the server accepts',
    );
  else {
    const reason = typeof error.reason === 'string' ? `: ${error.reason}` : '';
    problem = new RegistryProblem(
      'malformed-http',
      `the request is not well-formed HTTP/1.1${reason}`,
    );
  }
  metrics.refusals.inc({ problem: problem.slug });
  // An answer already under way on this connection (a 413 sent before the rest of its body
  // arrived) is not followed by a second one: the connection is just closed, as Node does.
  const inProgress = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || inProgress?.headersSent === true) {
    socket.destroy();
    return;
  }
  const document = problem.toDocument();
  // An answer to HEAD has no body, even when the request around it did not parse.
  const head =
    error.rawPacket instanceof Uint8Array &&
    Buffer.from(error.rawPacket.subarray(0, 5)).toString('latin1') === 'HEAD ';
  const body = head ? '' : JSON.stringify(document);
  socket.end(
    `HTTP/1.1 ${document.status} ${STATUS_CODES[document.status] ?? ''}\r\n` +
      `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Connection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}
