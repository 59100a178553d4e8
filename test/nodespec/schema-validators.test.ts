/**
 * The NodeSpec validators are compiled ahead of time (scripts/nodespec-validators.js) into
 * src/nodespec/schema-validators.generated.ts: the committed file must be exactly what the
 * current schema compiles to, and the precompiled validators must judge documents as Ajv
 * compiling the schema at run time does, errors included.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { isFullDate, nodeSpecSchema } from '../../src/nodespec/index.js';
import { nodeSpecValidators } from '../../src/nodespec/schema.js';
import { GENERATED_FILE, generateValidators } from '../../scripts/nodespec-validators.js';
import { example, exampleSources } from '../support/examples.js';

function runtimeValidator(allErrors: boolean) {
  const ajv = new Ajv2020({ allErrors, verbose: allErrors, strict: true, unicodeRegExp: false });
  ajv.addFormat('date', { type: 'string', validate: isFullDate });
  return ajv.compile(nodeSpecSchema);
}

/** Documents that break the schema in different ways, and the valid examples. */
function documents(): [string, unknown][] {
  const broken = (name: string, change: (spec: any) => void): [string, unknown] => {
    const spec = example('memory_adapter.json');
    change(spec);
    return [name, spec];
  };
  return [
    ...[...exampleSources().keys()].map((name): [string, unknown] => [name, example(name)]),
    broken('tier out of range', (spec) => (spec.identity.tier = 9)),
    broken('impossible date', (spec) => (spec.metadata.created_at = '2026-02-30')),
    broken('unknown member', (spec) => (spec.surprise = true)),
    broken('missing identity', (spec) => delete spec.identity),
    broken('empty name, astral characters', (spec) => {
      spec.metadata.name = '';
      spec.metadata.description = '𝄞'.repeat(3);
    }),
    ['not an object', [1, 2, 3]],
  ];
}

describe('the precompiled NodeSpec validators', () => {
  it('are what scripts/nodespec-validators.js generates from the schema (run npm run generate:validators)', () => {
    expect(readFileSync(GENERATED_FILE, 'utf8')).toBe(generateValidators());
  });

  it.each(documents())('judge "%s" as Ajv compiling the schema at run time does', (_, document) => {
    const { firstError, allErrors } = nodeSpecValidators();
    for (const [precompiled, runtime] of [
      [firstError, runtimeValidator(false)],
      [allErrors, runtimeValidator(true)],
    ] as const) {
      expect(precompiled(document)).toBe(runtime(document));
      expect(precompiled.errors ?? null).toStrictEqual(runtime.errors ?? null);
    }
  });

  it('reject an invalid document, so the comparison above compares something', () => {
    const { firstError } = nodeSpecValidators();
    const invalid = documents().filter(([, document]) => !firstError(document));
    expect(invalid.map(([name]) => name)).toEqual(
      expect.arrayContaining(['tier out of range', 'impossible date', 'not an object']),
    );
  });
});
