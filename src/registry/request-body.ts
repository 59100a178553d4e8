/**
 * Request bodies are read by the project's strict JSON parser, not JSON.parse, so that duplicate
 * member names, deep nesting and invalid UTF-8 are refused with a position. The server parses
 * most bodies on the event loop (server/body.ts); write requests reach a verify worker as bytes
 * and are parsed there, with the same refusals.
 */
import { parseJson, type ParsedJson } from '../json/parse.js';
import { RegistryProblem } from './problems.js';

/** A write request's body as received: UTF-8 bytes nobody has parsed yet. */
export class RequestBytes {
  constructor(
    readonly bytes: Uint8Array,
    /** The body limit the server accepts, bytes. */
    readonly maxBytes: number,
  ) {}
}

/** Parses a request body; refusals are `invalid-json`, `duplicate-key` or `body-too-large`. */
export function parseRequestBody(bytes: string | Uint8Array, maxBytes: number): ParsedJson {
  const parsed = parseJson(bytes, { maxBytes });
  if (parsed.ok) return parsed;
  const { code, message, line, column } = parsed.error;
  const slug =
    code === 'duplicate-key'
      ? 'duplicate-key'
      : code === 'too-large'
        ? 'body-too-large'
        : 'invalid-json';
  throw new RegistryProblem(slug, `${message} (line ${line}, column ${column})`, { line, column });
}

/**
 * The body of a write request as an object. The refusal of anything else is the one the HTTP
 * API's body schema (`type: object`) gave when bodies were parsed on the event loop.
 */
export function parseRequestObject(
  body: Pick<RequestBytes, 'bytes' | 'maxBytes'>,
): Record<string, unknown> {
  const { value } = parseRequestBody(body.bytes, body.maxBytes);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new RegistryProblem('invalid-parameter', 'body must be object');
  return value;
}
