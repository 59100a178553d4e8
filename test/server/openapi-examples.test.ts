/**
 * Every example in the OpenAPI document is valid against its schema: each named component
 * schema, each request body and each problem response carries one, Ajv (draft 2020-12, the
 * dialect of OpenAPI 3.1) accepts it against the schema it illustrates, and each example problem
 * is one the registry really sends (its type, status and title from src/registry/problems.ts).
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROBLEMS } from '../../src/registry/problems.js';
import { validateNodeSpec } from '../../src/nodespec/index.js';
import { buildServer } from '../../src/server/app.js';
import { makeRegistry } from '../support/registry.js';

interface MediaType {
  schema?: unknown;
  example?: unknown;
}
interface Operation {
  operationId?: string;
  requestBody?: { content?: Record<string, MediaType> };
  responses?: Record<string, { content?: Record<string, MediaType> }>;
}
interface Document {
  components: { schemas: Record<string, { examples?: unknown[] }> };
  paths: Record<string, Record<string, Operation>>;
}

let app: FastifyInstance;
let document: Document;
let ajv: Ajv2020;

beforeAll(async () => {
  const t = await makeRegistry();
  app = await buildServer({ registry: t.registry });
  const response = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
  document = response.json<Document>();
  // The whole document under one id, so that `#/components/schemas/...` references resolve;
  // not strict: the document's own members (openapi, info, paths) are not schema keywords.
  ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema(document, 'openapi.json');
});

afterAll(async () => {
  await app.close();
});

let checks = 0;

/** Validates `example` against `schema` (a schema of the document, refs resolved in it). */
function errorsOf(schema: unknown, example: unknown): string[] {
  const check = ajv.compile({ $id: `check-${String(++checks)}`, allOf: [rebase(schema)] });
  return check(example)
    ? []
    : (check.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}

/** A schema that refers into the document (`#/components/...`) made to say so explicitly. */
function rebase(schema: unknown): unknown {
  return JSON.parse(
    JSON.stringify(schema).replaceAll('"#/components/', '"openapi.json#/components/'),
  ) as unknown;
}

const operations = () =>
  Object.entries(document.paths).flatMap(([route, item]) =>
    Object.entries(item).map(([method, operation]) => ({
      name: `${method.toUpperCase()} ${route}`,
      operation,
    })),
  );

describe('OpenAPI examples', () => {
  it('every named schema has an example valid against it', () => {
    const names = Object.keys(document.components.schemas);
    expect(names.length).toBeGreaterThanOrEqual(6);
    for (const name of names) {
      const { examples } = document.components.schemas[name] ?? {};
      expect(examples, name).toBeInstanceOf(Array);
      expect(examples?.length, name).toBeGreaterThan(0);
      for (const example of examples ?? [])
        expect(errorsOf({ $ref: `#/components/schemas/${name}` }, example), name).toEqual([]);
    }
  });

  it('every request body has an example valid against its schema', () => {
    const bodies = operations().flatMap(({ name, operation }) =>
      Object.entries(operation.requestBody?.content ?? {}).map(([type, media]) => ({
        where: `${name} ${type}`,
        media,
      })),
    );
    expect(bodies.length).toBeGreaterThanOrEqual(3);
    for (const { where, media } of bodies) {
      expect(media.example, where).toBeDefined();
      expect(errorsOf(media.schema, media.example), where).toEqual([]);
    }
  });

  it('the validate endpoint’s example body is a valid NodeSpec', () => {
    const media =
      document.paths['/api/v1/registry/validate']?.post?.requestBody?.content?.['application/json'];
    expect(validateNodeSpec(media?.example)).toMatchObject({ valid: true });
  });

  it('every problem response has an example the registry really sends, valid against Problem', () => {
    let count = 0;
    for (const { name, operation } of operations())
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if (!/^[45]/.test(status)) continue;
        const media = response.content?.['application/problem+json'];
        const where = `${name} ${status}`;
        expect(errorsOf(media?.schema, media?.example), where).toEqual([]);
        const example = media?.example as { type: string; status: number; title: string };
        const slug = example.type.replace(/^urn:matriz:problem:/, '') as keyof typeof PROBLEMS;
        expect(PROBLEMS[slug], `${where}: ${example.type}`).toEqual({
          status: example.status,
          title: example.title,
        });
        expect(String(example.status)[0], where).toBe(status[0]);
        count++;
      }
    expect(count).toBeGreaterThanOrEqual(10);
  });

  it('an example that breaks its schema is caught', () => {
    expect(errorsOf({ $ref: '#/components/schemas/WriteResult' }, { index: 'six' })).not.toEqual(
      [],
    );
  });
});
