/**
 * CORS (the Fetch standard's CORS protocol) for an allow-list of origins, so that a web page of
 * another site can read the API. Default: no origin is allowed, nothing is added, and a preflight
 * `OPTIONS` is a 404 problem like any unknown route. An allowed origin gets
 * `Access-Control-Allow-Origin` on every answer (errors included, so pages can read problems and
 * `Retry-After`) and a 204 to its preflight.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** `*` allows every origin; otherwise exact origins such as `https://app.example`. */
export type CorsOrigins = readonly string[];

const ALLOWED_METHODS = 'GET, POST, DELETE';
const EXPOSED_HEADERS = 'retry-after, content-type, ratelimit-limit, ratelimit-remaining';
const PREFLIGHT_MAX_AGE_SECONDS = '600';

/** A browser origin (`scheme://host[:port]`, no path), or `*`. */
export function isCorsOrigin(value: string): boolean {
  if (value === '*') return true;
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}

/** The value for Access-Control-Allow-Origin, or undefined when `origin` is not allowed. */
function allowedOrigin(origins: CorsOrigins, origin: string | undefined): string | undefined {
  if (origin === undefined || origins.length === 0) return undefined;
  if (origins.includes('*')) return '*';
  return origins.includes(origin) ? origin : undefined;
}

/**
 * Adds the CORS headers for allowed origins, and the preflight route. `notFound` answers a
 * preflight from an origin that is not allowed, as the server answers any unknown route.
 */
export function registerCors(
  app: FastifyInstance,
  origins: CorsOrigins,
  notFound: (request: FastifyRequest, reply: FastifyReply) => unknown,
): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header('vary', 'Origin');
    const allowed = allowedOrigin(origins, request.headers.origin);
    if (allowed === undefined) return;
    reply.header('access-control-allow-origin', allowed);
    reply.header('access-control-expose-headers', EXPOSED_HEADERS);
  });
  app.options('/*', { schema: { hide: true } }, (request, reply) => {
    const allowed = allowedOrigin(origins, request.headers.origin);
    if (allowed === undefined || request.headers['access-control-request-method'] === undefined)
      return notFound(request, reply);
    return reply
      .code(204)
      .header('access-control-allow-methods', ALLOWED_METHODS)
      .header('access-control-allow-headers', 'content-type')
      .header('access-control-max-age', PREFLIGHT_MAX_AGE_SECONDS)
      .send();
  });
}
