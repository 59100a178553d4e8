/**
 * The OpenAPI document is good enough to generate a working client: every operation named,
 * `servers`, named component schemas, problems as application/problem+json, a typed write body.
 * openapi-typescript generates types from the served document, a client written against them
 * type-checks, and openapi-fetch registers a node with it against a real server on loopback.
 * Redocly's recommended ruleset reports no error.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import type { FastifyInstance } from 'fastify';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/app.js';
import { makeOwner, makeRegistry } from '../support/registry.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
let app: FastifyInstance;
let base: string;
let document: {
  servers?: unknown[];
  components: { schemas: Record<string, unknown> };
  paths: Record<
    string,
    Record<
      string,
      {
        operationId?: string;
        requestBody?: { content: Record<string, { schema: unknown }> };
        responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
      }
    >
  >;
};

beforeAll(async () => {
  const t = await makeRegistry();
  // The type check below blocks this process's event loop for a while; the server shares it.
  app = await buildServer({ registry: t.registry, maxEventLoopDelayMs: 60_000 });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  document = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as typeof document;
});

afterAll(async () => {
  await app.close();
});

const operations = () =>
  Object.entries(document.paths).flatMap(([route, item]) =>
    Object.entries(item).map(([method, operation]) => ({ route, method, operation })),
  );

describe('the OpenAPI document', () => {
  it('names every operation once, and the server', () => {
    const ids = operations().map(({ operation }) => operation.operationId);
    expect(ids.every((id) => typeof id === 'string' && id !== '')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(['registerNodeSpec', 'getEntry', 'queryEntries']));
    expect(document.servers).toEqual([expect.objectContaining({ url: '/' })]);
  });

  it('names its component schemas and declares problems as application/problem+json', () => {
    expect(Object.keys(document.components.schemas).sort()).toEqual(
      [
        'Checkpoint',
        'Entry',
        'EntrySummary',
        'Page',
        'Problem',
        'WriteRequest',
        'WriteResult',
      ].sort(),
    );
    for (const { route, method, operation } of operations())
      for (const [status, response] of Object.entries(operation.responses)) {
        if (!/^[45]/.test(status)) continue;
        expect(Object.keys(response.content ?? {}), `${method} ${route} ${status}`).toEqual([
          'application/problem+json',
        ]);
        expect(response.content?.['application/problem+json']?.schema).toEqual({
          $ref: '#/components/schemas/Problem',
        });
      }
    expect(
      document.paths['/api/v1/registry/register']?.post?.requestBody?.content['application/json'],
    ).toMatchObject({ schema: { $ref: '#/components/schemas/WriteRequest' } });
  });

  it('documents the name prefix parameter of the query route, with its bounds', () => {
    const query = document.paths['/api/v1/registry/query']?.get as
      | { parameters?: { name: string; in: string; description?: string; schema?: unknown }[] }
      | undefined;
    const name = query?.parameters?.find((p) => p.in === 'query' && p.name === 'name');
    expect(name?.schema).toMatchObject({
      type: 'string',
      minLength: 1,
      maxLength: 128,
      pattern: '^[A-Za-z0-9._-]+$',
    });
    expect(name?.description).toContain('node name prefix');
  });

  it('passes Redocly’s recommended ruleset without errors', async () => {
    const problems = await lintFromString({
      source: JSON.stringify(document),
      absoluteRef: `${base}/api/v1/openapi.json`,
      config: await createConfig({ extends: ['recommended'] }),
    });
    const errors = problems
      .filter((problem) => problem.severity === 'error')
      .map(
        (problem) =>
          `${problem.ruleId}: ${problem.message} (${problem.location[0]?.pointer ?? ''})`,
      );
    expect(errors).toEqual([]);
  });

  it(
    'generates types with openapi-typescript; a client written against them type-checks and registers a node through openapi-fetch',
    { timeout: 60_000 },
    async () => {
      const directory = mkdtempSync(path.join(os.tmpdir(), 'matriz-openapi-'));
      try {
        mkdirSync(path.join(directory, 'node_modules'));
        symlinkSync(
          path.join(ROOT, 'node_modules', 'openapi-fetch'),
          path.join(directory, 'node_modules', 'openapi-fetch'),
          'dir',
        );
        writeFileSync(path.join(directory, 'package.json'), '{"type": "module"}\n');
        writeFileSync(
          path.join(directory, 'api.d.ts'),
          astToString(await openapiTS(JSON.stringify(document))),
        );
        const source = [
          "import createClient from 'openapi-fetch';",
          "import type { components, paths } from './api.js';",
          'const client = createClient<paths>({ baseUrl: process.env.BASE });',
          "const envelope = JSON.parse(process.env.ENVELOPE ?? '') as components['schemas']['WriteRequest'];",
          "const written = await client.POST('/api/v1/registry/register', { body: envelope });",
          'if (written.error) throw new Error(`refused: ${written.error.type}`);',
          'const index: number = written.data.index;',
          "const entry = await client.GET('/api/v1/registry/{registry_id}', {",
          '  params: { path: { registry_id: written.data.registry_id } },',
          '});',
          'const owner: string | undefined = entry.data?.owner_id;',
          'console.log(JSON.stringify({ index, owner }));',
        ].join('\n');
        const client = path.join(directory, 'client.ts');
        writeFileSync(client, source);
        const options: ts.CompilerOptions = {
          strict: true,
          module: ts.ModuleKind.NodeNext,
          moduleResolution: ts.ModuleResolutionKind.NodeNext,
          target: ts.ScriptTarget.ES2022,
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [path.join(ROOT, 'node_modules', '@types')],
        };
        const program = ts.createProgram([client], options);
        const diagnostics = ts
          .getPreEmitDiagnostics(program)
          .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
        expect(diagnostics).toEqual([]);
        writeFileSync(
          path.join(directory, 'client.js'),
          ts.transpileModule(source, {
            compilerOptions: { ...options, module: ts.ModuleKind.ES2022 },
          }).outputText,
        );

        const owner = await makeOwner();
        // Asynchronously: the server answering it runs in this process.
        const run = await promisify(execFile)(process.execPath, ['client.js'], {
          cwd: directory,
          env: {
            PATH: process.env.PATH ?? '',
            BASE: base,
            ENVELOPE: JSON.stringify(owner.request({ op: 'register', nodeSpec: owner.spec() })),
          },
        });
        expect(JSON.parse(run.stdout)).toEqual({ index: 0, owner: owner.ownerId });
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    },
  );
});
