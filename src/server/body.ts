/**
 * Request bodies are parsed by the project's strict JSON parser, not JSON.parse, so that
 * duplicate member names, deep nesting and invalid UTF-8 are refused with a position, before
 * any handler runs.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseJson, type ParsedJson } from '../json/parse.js';
import { RegistryProblem } from '../registry/problems.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The parsed body with source positions (JSON requests only). */
    parsedBody?: ParsedJson;
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
      const bytes =
        typeof body === 'string' ? body : new Uint8Array(body.buffer, body.byteOffset, body.length);
      const parsed = parseJson(bytes, { maxBytes: bodyLimit });
      if (!parsed.ok) {
        const { code, message, line, column } = parsed.error;
        const slug =
          code === 'duplicate-key'
            ? 'duplicate-key'
            : code === 'too-large'
              ? 'body-too-large'
              : 'invalid-json';
        done(
          new RegistryProblem(slug, `${message} (line ${line}, column ${column})`, {
            line,
            column,
          }),
          undefined,
        );
        return;
      }
      request.parsedBody = parsed;
      done(null, parsed.value);
    },
  );
}
