/**
 * Request ids and the access log. Every request gets an id: the client's `X-Request-Id` when it
 * is a plain token (so one id follows a request through proxies and into a support ticket),
 * otherwise a random UUID; the id is echoed in the answer's `X-Request-Id` and carried by every
 * log line of the request (`request_id`). One JSON access line per request records method,
 * route, status and duration; never the body, query values or headers, which may carry
 * signatures, tokens or NodeSpecs.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

export const REQUEST_ID_HEADER = 'x-request-id';

/** A client-chosen id is kept only if it is a short token: no spaces, quotes or control bytes. */
const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** Fastify `genReqId`: the client's X-Request-Id when acceptable, else a random UUID. */
export function requestIdFor(request: IncomingMessage): string {
  const given = request.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && ACCEPTED_REQUEST_ID.test(given) ? given : randomUUID();
}

/** Echoes the request id and writes one access line per answered request. */
export function registerAccessLog(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: reply.statusCode,
        duration_ms: Math.round(reply.elapsedTime * 1000) / 1000,
      },
      'request',
    );
  });
}
