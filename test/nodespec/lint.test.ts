import { describe, expect, it } from 'vitest';
import { LINT_RULES, lintNodeSpec, type Finding } from '../../src/nodespec/index.js';
import { capabilityCovers, isCapabilityPattern } from '../../src/nodespec/rules/capabilities.js';
import { example, exampleSources } from '../support/examples.js';

const NOW = new Date('2026-11-26T12:00:00Z');

/** A lint-clean spec (the signal router example) to break one rule at a time. */
function clean(): Record<string, any> {
  return example('signal_router.json');
}

function lint(spec: unknown): Finding[] {
  return lintNodeSpec(spec, { now: NOW });
}

function only(ruleId: string, spec: unknown): Finding[] {
  return lint(spec).filter((f) => f.ruleId === ruleId);
}

describe('lint rules', () => {
  it('have unique, stable ids in order, each with a severity and a one-line rationale', () => {
    const ids = LINT_RULES.map((r) => r.id);
    expect(ids).toStrictEqual([...ids].sort());
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of LINT_RULES) {
      expect(rule.id).toMatch(/^NS\d{3}$/);
      expect(['error', 'warning']).toContain(rule.severity);
      expect(rule.rationale).not.toContain('\n');
      expect(rule.rationale.length).toBeGreaterThan(20);
    }
  });

  it.each([
    'signal_router.json',
    'consent_ledger.json',
    'telemetry_probe.json',
    'deep_space_relay.json',
  ])('find nothing in the clean example %s', (name) => {
    expect(lint(example(name))).toStrictEqual([]);
  });

  it('warn (only warn) on the reference examples: legacy scheme and placeholder owner ids', () => {
    for (const name of ['memory_adapter.json', 'dream_processor.json']) {
      const findings = lint(example(name));
      expect(findings.map((f) => f.ruleId).sort()).toStrictEqual(['NS008', 'NS011']);
      expect(findings.every((f) => f.severity === 'warning')).toBe(true);
    }
  });

  it('report schema violations instead of running the rules on a malformed document', () => {
    const spec = clean();
    spec.identity.tier = 99;
    spec.metadata.version = 'one';
    expect(lint(spec).map((f) => f.ruleId)).toStrictEqual(['nodespec-schema']);
  });

  it('NS001 requires a Semantic Versioning version', () => {
    for (const ok of ['0.0.1', '1.2.3-rc.1+build.5', '10.20.30']) {
      expect(
        only('NS001', { ...clean(), metadata: { ...clean().metadata, version: ok } }),
      ).toStrictEqual([]);
    }
    for (const bad of ['1.2', 'v1.2.3', '01.2.3', '1.2.3-']) {
      const findings = only('NS001', {
        ...clean(),
        metadata: { ...clean().metadata, version: bad },
      });
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ pointer: '/metadata/version', severity: 'error' });
    }
  });

  it('NS002 requires p50 <= p95 <= p99 and names the percentile that breaks the order', () => {
    const spec = clean();
    spec.contracts.performance_hints = { p50: 10, p95: 5, p99: 20, timeout_ms: 100 };
    expect(only('NS002', spec)).toStrictEqual([
      {
        ruleId: 'NS002',
        severity: 'error',
        pointer: '/contracts/performance_hints/p95',
        message:
          '`contracts.performance_hints.p95` is 5, below p50 (10); percentiles must satisfy p50 <= p95 <= p99',
      },
    ]);
    spec.contracts.performance_hints = { p50: 10, p99: 9, timeout_ms: 100 };
    expect(only('NS002', spec)[0]?.pointer).toBe('/contracts/performance_hints/p99');
  });

  it('NS003 requires timeout_ms above the largest percentile', () => {
    const spec = clean();
    spec.contracts.performance_hints = { p50: 10, p95: 50, p99: 100, timeout_ms: 100 };
    expect(only('NS003', spec)[0]?.message).toBe(
      '`contracts.performance_hints.timeout_ms` is 100; must be above the largest percentile, p99 = 100',
    );
    spec.contracts.performance_hints.timeout_ms = 101;
    expect(only('NS003', spec)).toStrictEqual([]);
    spec.contracts.performance_hints = { timeout_ms: 1 };
    expect(only('NS003', spec)).toStrictEqual([]);
  });

  it('NS004 refuses an emitted signal declared twice, pointing at the second', () => {
    const spec = clean();
    spec.interfaces.signals.emits.push({ name: 'signal.routed' });
    expect(only('NS004', spec)).toMatchObject([{ pointer: '/interfaces/signals/emits/2/name' }]);
    expect(only('NS004', spec)[0]?.message).toContain('first at emits[0]');
  });

  it.each([
    ['read:memory', true],
    ['read:memory/episodic/*', true],
    ['*:memory/*', true],
    ['emit:dream/*', true],
    ['read', false],
    ['read:memory/epi*', false],
    ['read:memory/**', false],
    ['read:memory//x', false],
    ['read:memory/', false],
    ['Read:memory', false],
    ['read:mem ory', false],
  ])('NS005 capability pattern %j well-formed: %s', (pattern, valid) => {
    expect(isCapabilityPattern(pattern)).toBe(valid);
    const spec = clean();
    spec.identity.capabilities_policy = { allow: [pattern], deny: [] };
    expect(only('NS005', spec)).toHaveLength(valid ? 0 : 1);
  });

  it('NS005 explains what is wrong with a malformed pattern', () => {
    const spec = clean();
    spec.identity.capabilities_policy = {
      allow: ['memory/read', 'read:memory/epi*'],
      deny: ['write:a//b'],
    };
    expect(only('NS005', spec).map((f) => f.message)).toStrictEqual([
      'capability "memory/read" is malformed: it has no `verb:` prefix',
      'capability "read:memory/epi*" is malformed: `*` must be a whole segment, as in `read:memory/*`',
      'capability "write:a//b" is malformed: it has an empty path segment',
    ]);
  });

  it('NS006 refuses an entry both allowed and denied, exactly or through a wildcard', () => {
    const spec = clean();
    spec.identity.capabilities_policy = {
      allow: ['read:memory/a', 'emit:dream/x', 'read:logs/a'],
      deny: ['read:memory/a', 'emit:dream/*'],
    };
    expect(only('NS006', spec).map((f) => [f.pointer, f.message])).toStrictEqual([
      [
        '/identity/capabilities_policy/allow/0',
        'capability "read:memory/a" is both allowed and denied; deny wins, so the allow entry has no effect',
      ],
      [
        '/identity/capabilities_policy/allow/1',
        'capability "emit:dream/x" is both allowed and denied (by "emit:dream/*"); deny wins, so the allow entry has no effect',
      ],
    ]);
    expect(capabilityCovers('emit:dream/x', 'emit:dream/*')).toBe(false);
    expect(capabilityCovers('emit:*/x', 'emit:dream/x')).toBe(true);
    expect(capabilityCovers('emit:dream', 'emit:dream/x')).toBe(false);
  });

  it.each([
    ['ml-dsa-44', []],
    ['falcon-1024', []],
    ['ed25519', []],
    ['dilithium3', ['NS008']],
    ['rsa-2048', ['NS007']],
    ['ML-DSA-44', ['NS007']],
  ])('NS007/NS008 signing scheme %s', (scheme, ruleIds) => {
    const spec = clean();
    spec.provenance_manifest = { glymph_enabled: true, signing_scheme: scheme };
    expect(lint(spec).map((f) => f.ruleId)).toStrictEqual(ruleIds);
  });

  it('NS008 names the standard algorithm to use instead of a legacy alias', () => {
    const spec = clean();
    spec.provenance_manifest.signing_scheme = 'dilithium2';
    expect(only('NS008', spec)[0]?.message).toContain('use "ml-dsa-44"');
  });

  it('NS009 refuses pqc_compat with a classical-only scheme', () => {
    const spec = clean();
    spec.provenance_manifest = {
      glymph_enabled: true,
      signing_scheme: 'ed25519',
      pqc_compat: true,
    };
    expect(only('NS009', spec)).toMatchObject([
      { pointer: '/provenance_manifest/pqc_compat', severity: 'error' },
    ]);
    spec.provenance_manifest.pqc_compat = false;
    expect(only('NS009', spec)).toStrictEqual([]);
  });

  it('NS010 refuses a creation date in the future, wherever on Earth "today" is', () => {
    const spec = clean();
    spec.metadata.created_at = '2026-11-27';
    expect(only('NS010', spec)).toStrictEqual([]); // already the 27th at UTC+14
    spec.metadata.created_at = '2026-11-28';
    expect(only('NS010', spec)[0]?.message).toBe(
      '`metadata.created_at` is 2026-11-28, which is in the future (today is 2026-11-27 at the latest)',
    );
  });

  it('NS011 warns when owner_id is not GLYMPH:<64 hex>', () => {
    const spec = clean();
    spec.identity.owner_id = `GLYMPH:${'A'.repeat(64)}`;
    expect(only('NS011', spec)).toMatchObject([
      { severity: 'warning', pointer: '/identity/owner_id' },
    ]);
  });

  it('NS012 refuses two inputs (or two outputs) with one name', () => {
    const spec = clean();
    spec.interfaces.outputs.push({ name: 'RoutedSignal', schema_ref: 'x.json' });
    expect(only('NS012', spec)).toMatchObject([{ pointer: '/interfaces/outputs/2/name' }]);
  });

  it('NS013 warns about a repeated subscription', () => {
    const spec = clean();
    spec.interfaces.signals.subscribes.push({
      signal: 'registry.node.registered',
      handler: 'refresh_routes',
    });
    expect(only('NS013', spec)).toMatchObject([
      { severity: 'warning', pointer: '/interfaces/signals/subscribes/2' },
    ]);
  });

  it('NS014 warns about a capability listed twice in one list', () => {
    const spec = clean();
    spec.identity.capabilities_policy.deny.push('write:registry/*');
    expect(only('NS014', spec)).toMatchObject([
      { pointer: '/identity/capabilities_policy/deny/2' },
    ]);
  });

  it('NS015 warns about an unknown field, on its name, with a suggestion', () => {
    const spec = clean();
    spec.identity.capabilites_policy = {};
    spec.interfaces.inputs[0].schemaref = 'x';
    spec.security.encryption.anything = 'free-form sections are not checked';
    expect(only('NS015', spec).map((f) => [f.pointer, f.at, f.message])).toStrictEqual([
      [
        '/identity/capabilites_policy',
        'key',
        '`identity.capabilites_policy` is not a NodeSpec v1 field; did you mean `capabilities_policy`?',
      ],
      [
        '/interfaces/inputs/0/schemaref',
        'key',
        '`interfaces.inputs[0].schemaref` is not a NodeSpec v1 field; did you mean `schema_ref`?',
      ],
    ]);
  });

  it('every rule fires on some input (no rule is dead)', () => {
    const fired = new Set<string>();
    const spec = clean();
    spec.metadata.version = '1.0';
    spec.metadata.created_at = '2099-01-01';
    spec.contracts.performance_hints = { p50: 9, p95: 5, timeout_ms: 1 };
    spec.interfaces.signals.emits.push({ name: 'signal.routed' });
    spec.interfaces.inputs.push({ ...spec.interfaces.inputs[0] });
    spec.interfaces.signals.subscribes.push({ ...spec.interfaces.signals.subscribes[0] });
    spec.identity.capabilities_policy = { allow: ['bad', 'read:x', 'read:x'], deny: ['read:x'] };
    spec.identity.owner_id = 'GLYMPH:placeholder';
    spec.identity.extra = true;
    spec.provenance_manifest = {
      glymph_enabled: true,
      signing_scheme: 'ed25519',
      pqc_compat: true,
    };
    for (const f of lint(spec)) fired.add(f.ruleId);
    const legacy = clean();
    legacy.provenance_manifest.signing_scheme = 'dilithium5';
    const unknown = clean();
    unknown.provenance_manifest.signing_scheme = 'sphincs';
    for (const f of [...lint(legacy), ...lint(unknown)]) fired.add(f.ruleId);
    expect([...fired].sort()).toStrictEqual(LINT_RULES.map((r) => r.id));
  });

  it('treats every bundled example as error-free', () => {
    for (const name of exampleSources().keys()) {
      expect(lint(example(name)).filter((f) => f.severity === 'error')).toStrictEqual([]);
    }
  });
});
