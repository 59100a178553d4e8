import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256Digest } from '../../src/crypto/digest.js';
import { formatCanonical } from '../../src/json/canonicalize.js';
import { isFullDate, nodeSpecSchema, validateNodeSpec } from '../../src/nodespec/index.js';
import { example, exampleSources } from '../support/examples.js';

/** A reference example as the seed had it, kept unchanged for provenance. */
function referenceSeed(name: string): string {
  return readFileSync(
    path.resolve(import.meta.dirname, '../fixtures/reference-examples', name),
    'utf8',
  );
}

function messages(document: unknown): string[] {
  const result = validateNodeSpec(document);
  return result.valid ? [] : result.findings.map((f) => `${f.pointer}: ${f.message}`);
}

describe('NodeSpec v1 schema', () => {
  it.each([...exampleSources().keys()])('accepts the bundled example %s', (name) => {
    expect(messages(example(name))).toStrictEqual([]);
  });

  it('keeps the two reference examples byte-identical to the seed in test/fixtures', () => {
    // The seed files are absent in CI's clone; their SHA-256 digests are pinned here instead.
    expect(sha256Digest(referenceSeed('memory_adapter.json'))).toBe(
      'sha256:f6add5c51f7cc3d2b547819f9a18ef3dbca78cdcd613aa6991fad3d3f2c47593',
    );
    expect(sha256Digest(referenceSeed('dream_processor.json'))).toBe(
      'sha256:a801172f93bcfbb7cb3c26bd32569522dc4331542cd88f051c34cd7476b444dc',
    );
  });

  it.each(['memory_adapter.json', 'dream_processor.json'])(
    'ships the reference example %s as the canonical form of its seed',
    (name) => {
      expect(exampleSources().get(name)).toBe(
        formatCanonical(JSON.parse(referenceSeed(name)) as unknown),
      );
    },
  );

  it.each([...exampleSources().keys()])('ships the example %s in canonical form', (name) => {
    const source = exampleSources().get(name) ?? '';
    expect(source).toBe(formatCanonical(JSON.parse(source) as unknown));
  });

  it('is itself in canonical form', () => {
    const file = path.resolve(import.meta.dirname, '../../schemas/nodespec.v1.schema.json');
    expect(readFileSync(file, 'utf8')).toBe(formatCanonical(nodeSpecSchema));
  });

  it('explains an out-of-range tier with the allowed range', () => {
    const spec = example('memory_adapter.json');
    spec.identity.tier = 9;
    expect(messages(spec)).toStrictEqual([
      '/identity/tier: `identity.tier` is 9; must be an integer from 0 to 7',
    ]);
  });

  it('names a missing required field and where it is missing', () => {
    const spec = example('memory_adapter.json');
    delete spec.identity.lane;
    delete spec.security;
    expect(messages(spec).sort()).toStrictEqual([
      '/identity: `identity` is missing the required field `lane`',
      ': the document is missing the required field `security`',
    ]);
  });

  it('refuses an unknown top-level field and lists the allowed ones', () => {
    const spec = { ...example('memory_adapter.json'), extras: {} };
    const result = validateNodeSpec(spec);
    expect(result.valid).toBe(false);
    expect(result.findings[0]).toMatchObject({ pointer: '/extras', at: 'key' });
    expect(result.findings[0]?.message).toMatch(
      /^unknown top-level field `extras`; allowed fields: compatibility, contracts, .*node_type/,
    );
  });

  it('refuses a top level that is not an object', () => {
    expect(messages([1])).toStrictEqual([': the top level must be a JSON object, found an array']);
    expect(messages('spec')).toStrictEqual([
      ': the top level must be a JSON object, found the string "spec"',
    ]);
  });

  it.each([
    [
      '/identity/lane',
      (s: any) => (s.identity.lane = 'edge'),
      '`identity.lane` is "edge"; must be one of "candidate", "core", "lukhas", "products"',
    ],
    [
      '/identity/tier',
      (s: any) => (s.identity.tier = 2.5),
      '`identity.tier` is the number 2.5; must be an integer',
    ],
    [
      '/identity/tier',
      (s: any) => (s.identity.tier = '3'),
      '`identity.tier` is the string "3"; must be an integer',
    ],
    [
      '/metadata/schema_version',
      (s: any) => (s.metadata.schema_version = 'nodespec.v2'),
      '`metadata.schema_version` is "nodespec.v2"; must be "nodespec.v1"',
    ],
    [
      '/metadata/created_at',
      (s: any) => (s.metadata.created_at = '2025-02-30'),
      '`metadata.created_at` is "2025-02-30"; must be a calendar date written YYYY-MM-DD (RFC 3339 full-date)',
    ],
    [
      '/metadata/name',
      (s: any) => (s.metadata.name = ''),
      '`metadata.name` is ""; it does not have the expected form',
    ],
    [
      '/metadata/version',
      (s: any) => (s.metadata.version = ''),
      '`metadata.version` is empty; must be a non-empty string',
    ],
    [
      '/node_type',
      (s: any) => (s.node_type = 'Matriz'),
      '`node_type` is "Matriz"; it does not have the expected form (Canonical dotted node type',
    ],
    [
      '/interfaces/inputs/0',
      (s: any) => delete s.interfaces.inputs[0].schema_ref,
      '`interfaces.inputs[0]` is missing the required field `schema_ref`',
    ],
    [
      '/contracts/performance_hints/p50',
      (s: any) => (s.contracts.performance_hints.p50 = -1),
      '`contracts.performance_hints.p50` is -1; must be a number zero or more',
    ],
    [
      '/contracts/performance_hints/timeout_ms',
      (s: any) => (s.contracts.performance_hints.timeout_ms = 0),
      '`contracts.performance_hints.timeout_ms` is 0; must be a number greater than zero',
    ],
    [
      '/contracts/performance_hints/concurrency',
      (s: any) => (s.contracts.performance_hints.concurrency = 0),
      '`contracts.performance_hints.concurrency` is 0; must be an integer at least 1',
    ],
    [
      '/provenance_manifest/glymph_enabled',
      (s: any) => (s.provenance_manifest.glymph_enabled = 'yes'),
      '`provenance_manifest.glymph_enabled` is the string "yes"; must be a boolean',
    ],
    [
      '/identity/roles',
      (s: any) => (s.identity.roles = 'memory'),
      '`identity.roles` is the string "memory"; must be an array',
    ],
    [
      '/security/encryption',
      (s: any) => (s.security.encryption = null),
      '`security.encryption` is null; must be an object',
    ],
    [
      '/identity/owner_id',
      (s: any) => (s.identity.owner_id = 'x'.repeat(200)),
      'characters long; the limit is 128',
    ],
  ])('explains a bad value at %s', (pointer, mutate, message) => {
    const spec = example('memory_adapter.json');
    mutate(spec);
    const result = validateNodeSpec(spec);
    expect(result.valid).toBe(false);
    const finding = result.findings.find((f) => f.pointer === pointer);
    expect(finding?.message).toContain(message);
    expect(finding?.ruleId).toBe('nodespec-schema');
  });

  it('reports every violation at once', () => {
    const spec = example('memory_adapter.json');
    spec.identity.tier = -1;
    spec.identity.lane = 'nowhere';
    spec.metadata.created_at = 'yesterday';
    expect(messages(spec)).toHaveLength(3);
  });
});

describe('isFullDate (RFC 3339 full-date)', () => {
  it.each([
    ['2024-02-29', true],
    ['2023-02-29', false],
    ['1900-02-29', false],
    ['2000-02-29', true],
    ['2025-04-31', false],
    ['2025-12-31', true],
    ['2025-13-01', false],
    ['2025-00-10', false],
    ['2025-01-00', false],
    ['2025-1-01', false],
    ['2025-01-01T00:00:00Z', false],
  ])('%s is %s', (text, expected) => {
    expect(isFullDate(text)).toBe(expected);
  });
});
