/**
 * Request bodies are parsed by the project's strict JSON parser, not JSON.parse, so that
 * duplicate member names, deep nesting and invalid UTF-8 are refused with a position, before
 * any handler runs. Routes marked `jsonBodyAsBytes` (register) get the bytes instead and parse
 * them in a verify worker, with the same refusals (registry/request-body.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ParsedJson } from '../json/parse.js';
import { parseRequestBody, RequestBytes } from '../registry/request-body.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The parsed body with source positions (JSON requests only). */
    parsedBody?: ParsedJson;
  }
  interface FastifyContextConfig {
    /**
     * The route takes its JSON body unparsed (`RequestBytes`) and parses it off the event loop
     * with `parseRequestBody`, as the verify workers do for write requests.
     */
    jsonBodyAsBytes?: boolean;
  }
}

export function registerJsonBodyParser(app: FastifyInstance, bodyLimit: number): void {
  app.removeAllContentTypeParsers();
  app.decorateRequest('parsedBody', undefined);
  app.addContentTypeParser(
    // JSON is UTF-8 (RFC 8259): a charset parameter is accepted only when it says so.
    /^application\/([a-z0-9.-]+\+)?json(\s*;\s*charset="?utf-8"?)?$/i,
    { parseAs: 'buffer', bodyLimit },
    (request: FastifyRequest, body: string | Buffer, done) => {
      if (request.routeOptions.config.jsonBodyAsBytes === true && typeof body !== 'string') {
        // A copy with its own buffer, which can be moved to a worker thread; the received
        // buffer may be a view into a larger one.
        done(null, new RequestBytes(new Uint8Array(body), bodyLimit));
        return;
      }
      const bytes =
        typeof body === 'string' ? body : new Uint8Array(body.buffer, body.byteOffset, body.length);
      let parsed: ParsedJson;
      try {
        parsed = parseRequestBody(bytes, bodyLimit);
      } catch (error) {
        done(error as Error, undefined);
        return;
      }
      request.parsedBody = parsed;
      done(null, parsed.value);
    },
  );
}
