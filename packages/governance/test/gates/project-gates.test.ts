import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseGateConfig } from '../../src/gates/gate-config.js';

const file = fileURLToPath(new URL('../../../../.matriz/gates.yml', import.meta.url));

describe("the project's own gates (.matriz/gates.yml)", () => {
  const result = parseGateConfig(readFileSync(file, 'utf8'), file);
  const gates = result.ok ? result.gates : [];

  it('parses and runs the gates the project promises, all required', () => {
    expect(result.ok ? '' : result.error.message).toBe('');
    expect(gates.map((g) => g.name)).toEqual(
      expect.arrayContaining([
        'nodespec-validate',
        'unit-tests',
        'pqc-sign-verify',
        'promotion-guard',
        'registry-smoke',
      ]),
    );
    expect(gates.every((g) => g.required)).toBe(true);
  });

  it('has no gate that only checks that a file exists', () => {
    const existenceOnly = /^\s*(test|\[)\s+-[efds]\s+\S+\s*\]?\s*$|^\s*ls\s+\S+\s*$/;
    for (const gate of gates) {
      for (const step of gate.command.split(/&&|\|\||;/))
        expect(step, `${gate.name}: ${step}`).not.toMatch(existenceOnly);
    }
  });

  it('checks the examples, the canonical schemas, the crypto vectors and the production lanes', () => {
    const command = (name: string): string => gates.find((g) => g.name === name)?.command ?? '';
    expect(command('nodespec-validate')).toContain('nodespec validate examples/');
    expect(command('nodespec-validate')).toContain('nodespec fmt --check schemas/');
    expect(command('pqc-sign-verify')).toContain('vitest run test/crypto');
    expect(command('promotion-guard')).toContain('guard promotion --all');
    expect(command('registry-smoke')).toBe('node scripts/registry-smoke.js');
  });
});
