/** /api/v1/registry/*: validate, register, get, query, deregister. */
import type { FastifyInstance } from 'fastify';
import { locateFinding } from '../../nodespec/check.js';
import { reportFindings, type FindingsReport } from '../../nodespec/report.js';
import type { Lane } from '../../nodespec/nodespec.js';
import type { Registry } from '../../registry/registry.js';
import { MAX_REPORTED_FINDINGS } from '../../registry/request.js';
import {
  envelopeSchema,
  querySchema,
  pageRef,
  registryIdParams,
  entryRef,
  writeResultRef,
  nodeNameParams,
  versionsSchema,
} from '../schemas.js';

const problemResponses = { '4xx': { $ref: 'Problem#' }, '5xx': { $ref: 'Problem#' } };

/** Checks a NodeSpec for `/validate`: in a worker thread in the server (VerifyPool.validate). */
export type ValidateSpec = (spec: unknown, lint: boolean, limit: number) => Promise<FindingsReport>;

const validateHere: ValidateSpec = (spec, lint, limit) =>
  Promise.resolve(reportFindings(spec, lint, limit));

export function registryRoutes(
  app: FastifyInstance,
  registry: Registry,
  validate: ValidateSpec = validateHere,
): void {
  app.post(
    '/api/v1/registry/validate',
    {
      schema: {
        operationId: 'validateNodeSpec',
        summary:
          'Validate a NodeSpec (no authentication). Body: a NodeSpec, or {"node_spec": ...}.',
        querystring: {
          type: 'object',
          properties: { lint: { type: 'boolean', default: false } },
          additionalProperties: false,
        },
        body: { type: 'object', additionalProperties: true },
        response: {
          200: {
            type: 'object',
            properties: {
              valid: { type: 'boolean' },
              truncated: {
                type: 'boolean',
                description: `true when there were more than ${MAX_REPORTED_FINDINGS} findings: only the first are listed`,
              },
              finding_count: { type: 'integer', description: 'all findings, listed or not' },
              findings: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    rule_id: { type: 'string' },
                    severity: { type: 'string' },
                    message: { type: 'string' },
                    pointer: { type: 'string' },
                    line: { type: 'integer' },
                    column: { type: 'integer' },
                  },
                },
              },
            },
          },
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const body = request.body as Record<string, unknown>;
      const wrapped = Object.keys(body).length === 1 && 'node_spec' in body;
      const spec = wrapped ? body.node_spec : body;
      const prefix = wrapped ? '/node_spec' : '';
      const { lint } = request.query as { lint: boolean };
      const report = await validate(spec, lint, MAX_REPORTED_FINDINGS);
      const parsed = request.parsedBody;
      const { valid } = report;
      if (!valid) app.metrics.validationFailures.inc();
      const truncated = report.count > MAX_REPORTED_FINDINGS;
      return {
        valid,
        ...(truncated ? { truncated, finding_count: report.count } : {}),
        findings: report.findings.map((finding) => {
          const pointer = `${prefix}${finding.pointer}`;
          const located = parsed
            ? locateFinding(parsed, { ...finding, pointer })
            : { ...finding, pointer, line: 1, column: 1 };
          return {
            rule_id: finding.ruleId,
            severity: finding.severity,
            message: finding.message,
            pointer,
            line: located.line,
            column: located.column,
          };
        }),
      };
    },
  );

  app.post(
    '/api/v1/registry/register',
    {
      schema: {
        operationId: 'registerNodeSpec',
        summary: 'Register a NodeSpec: a DSSE-signed request from its owner.',
        body: envelopeSchema,
        response: { 200: writeResultRef, ...problemResponses },
      },
      // Parsed in a verify worker with the other request checks, not on the event loop.
      config: { jsonBodyAsBytes: true },
    },
    (request) => registry.register(request.body),
  );

  app.get(
    '/api/v1/registry/query',
    {
      schema: {
        operationId: 'queryEntries',
        summary: 'Active entries matching every filter, in registry id order.',
        querystring: querySchema,
        response: { 200: pageRef, ...problemResponses },
      },
    },
    async (request, reply) => {
      const q = request.query as {
        signal?: string;
        capability?: string;
        lane?: Lane;
        owner?: string;
        name?: string;
        cursor?: string;
        limit: number;
        view: 'full' | 'summary';
      };
      // The page is assembled from stored bytes: sent as it is, not serialized again.
      const { body } = await registry.queryJson(q);
      return reply.type('application/json; charset=utf-8').send(body);
    },
  );

  app.get(
    '/api/v1/registry/versions/:name',
    {
      schema: {
        operationId: 'listVersions',
        summary: 'Every version of one node, active or deregistered, in registration order.',
        params: nodeNameParams,
        response: { 200: versionsSchema, ...problemResponses },
      },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      return registry.versions(name);
    },
  );

  app.get(
    '/api/v1/registry/:registry_id',
    {
      schema: {
        operationId: 'getEntry',
        summary: 'One entry by registry id <name>@<version>.',
        params: registryIdParams,
        response: { 200: entryRef, ...problemResponses },
      },
    },
    async (request, reply) => {
      const { registry_id: registryId } = request.params as { registry_id: string };
      // The entry as stored when it was written: sent as it is, not serialized again.
      return reply.type('application/json; charset=utf-8').send(await registry.getJson(registryId));
    },
  );

  app.delete(
    '/api/v1/registry/:registry_id',
    {
      schema: {
        operationId: 'deregisterEntry',
        summary:
          'Deregister an entry: a DSSE-signed request from its owner, logged like any write.',
        params: registryIdParams,
        body: envelopeSchema,
        response: { 200: writeResultRef, ...problemResponses },
      },
    },
    (request) =>
      registry.deregister((request.params as { registry_id: string }).registry_id, request.body),
  );
}
