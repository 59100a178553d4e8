/**
 * RT-FUZZ (No-Op guard): the language keys that decide whether a change is substantive read
 * files from any pull request. Light properties only (the guard is being changed on another
 * branch): mutated Python, TypeScript, JSON, YAML and Markdown never make the comparison throw,
 * every verdict is one of the two with a reason, and the Python tokenizer refuses with a message
 * and an offset inside the text.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareContent } from '../../packages/governance/src/noop/content-equality.js';
import { compilePolicy, DEFAULT_POLICY_SOURCE } from '../../packages/governance/src/noop/policy.js';
import { tokenizePython } from '../../packages/governance/src/noop/python-tokenizer.js';
import { anyString, fuzzParameters, fuzzTimeout, mutatedFrom } from './fuzz.js';
import { observe } from './observe.js';

const policy = compilePolicy(DEFAULT_POLICY_SOURCE);
const encoder = new TextEncoder();

const SAMPLES: Record<string, string> = {
  'tool.py': [
    '#!/usr/bin/env python3',
    'import os  # why',
    '',
    'class A(object):',
    '    """Doc."""',
    '    def f(self, x: int = 1, *a, **k) -> str:',
    "        return f\"{x!r:>{10}} {'q'}\" + r'\\d' + b'\\x00'.decode() \\",
    '            + """multi',
    'line"""',
    '    async def g(self):',
    '        await (yield [i for i in range(3) if i])',
    '',
  ].join('\n'),
  'view.tsx': [
    '// @ts-check',
    "import type { A } from './a';",
    'export const x = <T,>(a: T): T => a;',
    'const el = <div className="x">\n    hello {`t${1}`}\n  </div>;',
    '/** @param {string} s */',
    'function f(s) { return /re[/]x/g.test(s) ? s : `${s}`; }',
    'enum E { A = 1 }',
    '',
  ].join('\n'),
  'package.json': '{"name":"x","exports":{".":"./a.js","./b":"./b.js"},"scripts":{"t":"x"}}\n',
  'ci.yaml': 'a: &a {b: [1, 2, "3"]}\nc: *a\nd: |\n  text\n---\n- !tag x\n- 2026-01-01\n',
  'README.md': '---\ntitle: x\n---\n# Title\n\nSome *text*  with  spaces.\n\n```js\nx = 1\n```\n',
};

describe('RT-FUZZ: No-Op guard language keys', () => {
  it(
    'RT-FUZZ-14: comparing a file with a mutated version never throws, and every verdict has a reason',
    () => {
      const verdicts = new Map<string, number>();
      for (const [path, text] of Object.entries(SAMPLES)) {
        const sample = encoder.encode(text);
        // The sample against itself is not a change (the property is not vacuous).
        expect(compareContent(path, sample, sample, policy).verdict, path).toBe('noop');
        fc.assert(
          fc.property(mutatedFrom([sample]), fc.boolean(), (mutated, forwards) => {
            const [before, after] = forwards ? [sample, mutated] : [mutated, sample];
            const decision = compareContent(path, before, after, policy);
            expect(['noop', 'substantive']).toContain(decision.verdict);
            expect(decision.reason.length).toBeGreaterThan(0);
            const key = `${path} ${decision.verdict}`;
            verdicts.set(key, (verdicts.get(key) ?? 0) + 1);
          }),
          fuzzParameters(120),
        );
      }
      observe([...verdicts].map(([key, n]) => `${key} ×${n}`).join(', '));
      expect([...verdicts.keys()].some((key) => key.endsWith('substantive'))).toBe(true);
    },
    fuzzTimeout(40_000),
  );

  it(
    'RT-FUZZ-15: the Python tokenizer returns tokens ending in ENDMARKER, or a refusal with an offset inside the text',
    () => {
      let refused = 0;
      const python = SAMPLES['tool.py'] ?? '';
      const text = fc.oneof(
        mutatedFrom([encoder.encode(python)]).map((bytes) => new TextDecoder().decode(bytes)),
        anyString(80),
      );
      fc.assert(
        fc.property(text, (source) => {
          const result = tokenizePython(source);
          if (!result.ok) {
            refused++;
            expect(result.message.length).toBeGreaterThan(0);
            expect(result.offset).toBeGreaterThanOrEqual(0);
            expect(result.offset).toBeLessThanOrEqual(source.length);
            return;
          }
          expect(result.tokens.at(-1)?.type).toBe('ENDMARKER');
          const offsets = result.tokens.map((token) => token.offset);
          expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
        }),
        fuzzParameters(500),
      );
      observe(`python tokenizer: ${refused} refused`);
      expect(refused).toBeGreaterThan(0);
    },
    fuzzTimeout(20_000),
  );
});
