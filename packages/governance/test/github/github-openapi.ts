/**
 * Validators for GitHub REST request and response bodies, compiled from GitHub's published
 * OpenAPI description (test/fixtures/github/openapi-subset.json, derived unchanged from
 * @octokit/openapi by test/fixtures/github/extract-openapi.js).
 *
 * The description is OpenAPI 3.0.3: its schemas are JSON Schema draft-04-ish plus `nullable`.
 * Ajv's default (draft-07) class understands `nullable` next to `type`; the one place that uses
 * `nullable` without `type` is rewritten to `anyOf [..., {type: null}]`, which is what it means.
 * Formats are not asserted (the description uses `uri`, `date-time` loosely in its examples).
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';

export const OPENAPI_FIXTURE = new URL('../fixtures/github/openapi-subset.json', import.meta.url);

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: Record<string, Record<string, unknown>>;
}

interface OpenApiOperation {
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, unknown>;
}

export function loadOpenApi(): OpenApiDocument {
  return JSON.parse(readFileSync(OPENAPI_FIXTURE, 'utf8')) as OpenApiDocument;
}

function nullableWithoutType(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(nullableWithoutType);
  if (!node || typeof node !== 'object') return node;
  const entries = Object.entries(node as Record<string, unknown>).map(
    ([k, v]) => [k, nullableWithoutType(v)] as const,
  );
  const object = Object.fromEntries(entries) as Record<string, unknown>;
  if (object.nullable === true && object.type === undefined) {
    const rest = { ...object };
    delete rest.nullable;
    return { anyOf: [rest, { type: 'null' }] };
  }
  return object;
}

const DOCUMENT_ID = 'https://openapi.github.test/api.github.com.json';

export interface GitHubSchemas {
  /** The request body schema of an operation. */
  request(method: string, route: string): ValidateFunction;
  /** The response body schema of an operation for a status code. */
  response(method: string, route: string, status: number): ValidateFunction;
  readonly document: OpenApiDocument;
}

export function gitHubSchemas(): GitHubSchemas {
  const document = nullableWithoutType(loadOpenApi()) as OpenApiDocument;
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ $id: DOCUMENT_ID, components: document.components });
  const cache = new Map<string, ValidateFunction>();
  const compile = (key: string, schema: unknown): ValidateFunction => {
    let validate = cache.get(key);
    if (!validate) {
      validate = ajv.compile(rebase(schema) as object);
      cache.set(key, validate);
    }
    return validate;
  };
  const resolveResponse = (
    response: unknown,
  ): { content?: Record<string, { schema: unknown }> } => {
    const ref = (response as { $ref?: string }).$ref;
    if (ref === undefined) return response as { content?: Record<string, { schema: unknown }> };
    const name = ref.split('/').pop() ?? '';
    return document.components.responses?.[name] as {
      content?: Record<string, { schema: unknown }>;
    };
  };
  const operation = (method: string, route: string): OpenApiOperation => {
    const op = document.paths[route]?.[method.toLowerCase()];
    if (!op) throw new Error(`${method} ${route} is not in the OpenAPI subset`);
    return op;
  };
  return {
    document,
    request(method, route) {
      const schema = operation(method, route).requestBody?.content['application/json']?.schema;
      if (schema === undefined) throw new Error(`${method} ${route} has no JSON request body`);
      return compile(`request ${method} ${route}`, schema);
    },
    response(method, route, status) {
      const declared = operation(method, route).responses[String(status)];
      // GitHub answers errors an operation does not declare (a 403 to a GET for a token without
      // the permission) with its general error shape, `basic-error`.
      if (declared === undefined && status < 400)
        throw new Error(`${method} ${route} declares no ${status} response`);
      const schema =
        declared === undefined
          ? { $ref: '#/components/schemas/basic-error' }
          : (resolveResponse(declared).content?.['application/json']?.schema ?? {});
      return compile(`response ${method} ${route} ${status}`, schema);
    },
  };
}

/** Points the description's local references (`#/components/...`) at the added document. */
function rebase(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rebase);
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node as Record<string, unknown>).map(([k, v]) => [
      k,
      k === '$ref' && typeof v === 'string' && v.startsWith('#/')
        ? `${DOCUMENT_ID}${v}`
        : rebase(v),
    ]),
  );
}

/** The example value an operation's response declares (resolving `#/components/examples/...`). */
export function exampleResponse(document: OpenApiDocument, name: string): Record<string, unknown> {
  const example = document.components.examples?.[name] as { value: unknown } | undefined;
  if (!example) throw new Error(`no example ${name}`);
  return structuredClone(example.value) as Record<string, unknown>;
}

export function describeErrors(validate: ValidateFunction): string {
  return (validate.errors ?? [])
    .map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`)
    .join('; ');
}
