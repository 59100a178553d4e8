/**
 * The HTTP API (Fastify): routes declare their JSON schemas, which both validate requests and
 * generate the OpenAPI document at /api/v1/openapi.json. Every refusal is an RFC 9457 problem.
 */
import http from 'node:http';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import underPressure from '@fastify/under-pressure';
import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import { registerCors, type CorsOrigins } from './cors.js';
import type { Registry } from '../registry/registry.js';
import { VERSION } from '../version.js';
import { registerJsonBodyParser } from './body.js';
import { pressureReason, ServerMetrics } from './metrics.js';
import { frameworkProblem, problemFor, sendProblem, writeSocketProblem } from './problem-reply.js';
import { RegistryProblem } from '../registry/problems.js';
import { logRoutes } from './routes/log.js';
import { tileRoutes } from './routes/tiles.js';
import { trustRoutes } from './routes/trust.js';
import { registryRoutes, type ValidateSpec } from './routes/registry.js';
import { registerAccessLog, requestIdFor } from './request-log.js';
import { namedSchemas } from './schemas.js';
import { completeOpenApi } from './openapi.js';
import { explorerRoutes, type ExplorerAssets } from './explorer.js';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ServerMetrics;
  }
}

export interface ServerOptions {
  readonly registry: Registry;
  readonly metrics?: ServerMetrics;
  /** Largest accepted request body, bytes. Default 256 KiB. */
  readonly bodyLimit?: number;
  /** Requests per client per minute. Default 6000. */
  readonly rateLimitPerMinute?: number;
  /** Event-loop delay (ms) above which requests get 503 overloaded. Default 1000. */
  readonly maxEventLoopDelayMs?: number;
  readonly logger?: FastifyServerOptions['logger'];
  /** Readiness: false while the store or keys are not usable. */
  readonly ready?: () => Promise<boolean>;
  /**
   * Which role this process holds, said by `/readyz`: `sequencer` (one process, or the replica
   * holding the sequencer lease) or `frontend` (a replica that queues writes for it).
   */
  readonly role?: () => 'sequencer' | 'frontend';
  /** How `/validate` checks a NodeSpec; in this thread by default, in workers in the server. */
  readonly validateSpec?: ValidateSpec;
  /** Limits on connections: slow and silent clients (DEFAULT_CONNECTION_LIMITS). */
  readonly connections?: Partial<ConnectionLimits>;
  /** Origins whose pages may read the API (CORS); `*` for any. Default none. */
  readonly corsOrigins?: CorsOrigins;
  /**
   * Behind a reverse proxy: trust its X-Forwarded-For so that rate limits and logs see each real
   * client. `true` trusts every hop; a string lists the proxies' addresses or CIDRs
   * (`127.0.0.1,10.0.0.0/8`). Default false: the TCP peer is the client.
   */
  readonly trustProxy?: boolean | string;
  /**
   * The web explorer served at `/` (explorer.ts), or why it is not: `'off'` (`--no-explorer`),
   * `'not-built'` (no `dist/explorer`). Default `'off'`.
   */
  readonly explorer?: ExplorerAssets | 'off' | 'not-built';
}

/**
 * What one client may hold of the server (issue 13, slowloris): a request (headers and body)
 * must arrive within `requestTimeoutMs` (else 408 and the socket is closed), a connection that
 * sends nothing for `idleTimeoutMs` is closed, and at most `maxConnections` are open at once.
 */
export interface ConnectionLimits {
  readonly requestTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 60_000,
  maxConnections: 1024,
};

export const DEFAULT_BODY_LIMIT = 256 * 1024;

/**
 * Longest path parameter, characters as sent: a registry id is at most 193 characters, and
 * percent-encoding can triple that. Longer is 414 `uri-too-long`.
 */
const MAX_PARAM_LENGTH = 1024;

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const metrics = options.metrics ?? new ServerMetrics();
  const limits = { ...DEFAULT_CONNECTION_LIMITS, ...options.connections };
  const app = Fastify({
    logger: options.logger ?? false,
    // One access line per request (request-log.ts) instead of Fastify's two.
    logController: new LogController({
      disableRequestLogging: true,
      requestIdLogLabel: 'request_id',
    }),
    requestIdHeader: false,
    genReqId: requestIdFor,
    // Fastify passes each request's child logger an options object even when empty, which
    // sends pino down its slow path (serializers, formatters and levels copied per request):
    // with no options the child only binds the request id.
    childLoggerFactory: (logger, bindings, childOptions) =>
      Object.keys(childOptions).length === 0
        ? logger.child(bindings)
        : logger.child(bindings, childOptions),
    bodyLimit,
    // Node checks request deadlines every connectionsCheckingInterval (30 s by default): check
    // often enough that a deadline means what it says.
    serverFactory: (handler) => {
      const server = http.createServer(
        {
          requestTimeout: limits.requestTimeoutMs,
          headersTimeout: limits.requestTimeoutMs,
          connectionsCheckingInterval: Math.min(1000, limits.requestTimeoutMs),
        },
        handler,
      );
      // Idle: no bytes either way for idleTimeoutMs. A client that stopped reading an answer
      // is idle (closed); a handler still working on a request (nothing sent yet) gets more time,
      // up to the request timeout past the first idle period, then the socket is closed too.
      server.setTimeout(limits.idleTimeoutMs, (socket) => {
        const pending = (socket as typeof socket & { _httpMessage?: { headersSent?: boolean } })
          ._httpMessage;
        const waiting = socket as typeof socket & {
          matrizWaiting?: { readonly message: object; readonly since: number };
        };
        if (pending !== undefined && pending.headersSent !== true) {
          // Per request: a keep-alive socket's next request starts its own allowance.
          if (waiting.matrizWaiting?.message !== pending)
            waiting.matrizWaiting = { message: pending, since: Date.now() };
          if (Date.now() - waiting.matrizWaiting.since < limits.requestTimeoutMs) {
            socket.setTimeout(limits.idleTimeoutMs);
            return;
          }
        }
        socket.destroy();
      });
      server.keepAliveTimeout = Math.min(limits.idleTimeoutMs, 72_000);
      server.maxConnections = limits.maxConnections;
      return server;
    },
    trustProxy: options.trustProxy ?? false,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Refusals made before any route runs are problem documents too (issue 13).
    frameworkErrors: (error, _request, reply) => {
      sendProblem(reply, frameworkProblem(error), metrics);
    },
    clientErrorHandler: (error, socket) => {
      writeSocketProblem(error, socket, metrics);
    },
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false } },
  });
  app.decorate('metrics', metrics);
  registerAccessLog(app);
  for (const schema of namedSchemas) app.addSchema(schema);
  registerJsonBodyParser(app, bodyLimit);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'MATRIZ Registry',
        version: VERSION,
        description: 'Post-quantum signed transparency registry for MATRIZ nodes.',
      },
    },
    // Components are named by their $id (Problem, Entry, ...), not def-0, def-1.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
    transformObject: (document) => completeOpenApi(document),
  });
  await app.register(underPressure, {
    maxEventLoopDelay: options.maxEventLoopDelayMs ?? 1000,
    retryAfter: 5,
    exposeStatusRoute: false,
    pressureHandler: (_request, reply, type) => {
      metrics.rejections.inc({ reason: pressureReason(type) });
      void reply.header('retry-after', '5');
      sendProblem(
        reply,
        new RegistryProblem(
          'overloaded',
          'the registry is overloaded; retry after the time in Retry-After',
        ),
        metrics,
      );
    },
  });
  await app.register(rateLimit, {
    max: options.rateLimitPerMinute ?? 6000,
    timeWindow: 60_000,
    errorResponseBuilder: (_request, context) => {
      metrics.rejections.inc({ reason: 'rate_limit' });
      const problem = new RegistryProblem(
        'rate-limited',
        `more than ${context.max} requests in ${context.after}; retry after the time in Retry-After`,
      );
      return Object.assign(new Error(problem.detail), { statusCode: 429, problem });
    },
  });

  app.setErrorHandler((error: Error & { problem?: unknown }, request, reply) => {
    const problem =
      error.problem instanceof RegistryProblem ? error.problem : problemFor(error, request);
    return sendProblem(reply, problem, metrics);
  });
  const notFound = (request: FastifyRequest, reply: FastifyReply) =>
    sendProblem(
      reply,
      new RegistryProblem('not-found', `no route ${request.method} ${request.url}`),
      metrics,
    );
  app.setNotFoundHandler(notFound);
  registerCors(app, options.corsOrigins ?? [], notFound);

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ route, method: request.method, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ route, method: request.method }, reply.elapsedTime / 1000);
  });

  registryRoutes(app, options.registry, options.validateSpec);
  logRoutes(app, options.registry);
  tileRoutes(app, options.registry);
  trustRoutes(app, options.registry);
  const explorer = options.explorer ?? 'off';
  explorerRoutes(app, typeof explorer === 'string' ? undefined : explorer, (request, reply) =>
    sendProblem(
      reply,
      new RegistryProblem(
        'not-found',
        explorer === 'not-built'
          ? `no route ${request.method} ${request.url}: the web explorer is not built (npm run build)`
          : `no route ${request.method} ${request.url}`,
      ),
      metrics,
    ),
  );

  app.get('/api/v1/openapi.json', { schema: { hide: true } }, () => app.swagger());
  app.get('/healthz', { schema: { hide: true }, config: { rateLimit: false } }, () => ({
    status: 'ok',
  }));
  app.get(
    '/readyz',
    { schema: { hide: true }, config: { rateLimit: false } },
    async (_request, reply) => {
      const ready = options.ready ? await options.ready() : true;
      return reply
        .code(ready ? 200 : 503)
        .send({ status: ready ? 'ready' : 'not ready', role: options.role?.() ?? 'sequencer' });
    },
  );
  app.get(
    '/metrics',
    { schema: { hide: true }, config: { rateLimit: false } },
    async (_request, reply) =>
      reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  return app;
}
