/**
 * The per-language equality rules on their own: what each keeps, what each sets aside, and
 * where each refuses to decide.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AnalysisCache } from '../../src/noop/analysis-cache.js';
import { compareContent } from '../../src/noop/content-equality.js';
import { compareKeys } from '../../src/noop/equality-key.js';
import { analyzeJson } from '../../src/noop/json-key.js';
import { renderedText } from '../../src/noop/markdown-key.js';
import { compilePolicy, DEFAULT_POLICY_SOURCE } from '../../src/noop/policy.js';
import { analyzeScript, renderedJsxText } from '../../src/noop/typescript-key.js';
import { analyzeYaml } from '../../src/noop/yaml-key.js';

const policy = compilePolicy(DEFAULT_POLICY_SOURCE);
const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const verdictOf = (path: string, before: string | Uint8Array, after: string | Uint8Array) =>
  compareContent(
    path,
    typeof before === 'string' ? encode(before) : before,
    typeof after === 'string' ? encode(after) : after,
    policy,
  );

describe('JavaScript and TypeScript', () => {
  it('renders JSX text the way React does: line breaks with indentation vanish, spaces on a line stay', () => {
    expect(renderedJsxText('\n    hello\n    world\n  ')).toBe('hello world');
    expect(renderedJsxText(' ')).toBe(' ');
    expect(renderedJsxText('\n   ')).toBe('');
    expect(renderedJsxText('a\t b')).toBe('a  b');
  });

  it('reads new Foo and new Foo() alike, but not new Foo(x)', () => {
    expect(verdictOf('a.js', 'x = new Foo;\n', 'x = new Foo();\n').verdict).toBe('noop');
    expect(verdictOf('a.js', 'x = new Foo;\n', 'x = new Foo(x);\n').verdict).toBe('substantive');
  });

  it('keeps the parentheses of a JSDoc cast in JavaScript', () => {
    const before = 'const n = /** @type {number} */ (value);\n';
    const after = 'const n = /** @type {number} */ value;\n';
    expect(verdictOf('a.js', before, after).reason).toBe('content-changed');
  });

  it('keeps let and const, and type-only exports, apart', () => {
    expect(verdictOf('a.ts', 'let a = 1;\n', 'const a = 1;\n').verdict).toBe('substantive');
    expect(
      verdictOf('a.ts', 'export { A } from "./a";\n', 'export type { A } from "./a";\n').verdict,
    ).toBe('substantive');
  });

  it('refuses to decide when a version does not parse, and says where', () => {
    const decision = verdictOf('a.ts', 'const a = 1;\n', 'const a = ;\n');
    expect(decision).toMatchObject({ verdict: 'substantive', reason: 'unparseable', line: 1 });
    expect(decision.detail).toContain('the new version does not parse as ts');
  });

  it('ignores comments inside strings, templates and JSX text', () => {
    const analysis = analyzeScript(
      'const s = "// no"; const t = `/* no */`; const j = <a>// no</a>;\n',
      'tsx',
      policy,
    );
    expect(analysis.ok && analysis.comments.words.atoms).toEqual([]);
  });

  it('property: adding spaces and line breaks between tokens never changes the key', () => {
    const statements = [
      'a = b + c;',
      'f(x, y);',
      'if (a) { g(); }',
      'const o = { k: 1, m: [2, 3] };',
      'return;',
    ];
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...statements), { minLength: 1, maxLength: 6 }),
        fc.array(fc.constantFrom(' ', '  ', '\n', '\n\n    ', '\t'), {
          minLength: 1,
          maxLength: 20,
        }),
        (chosen, gaps) => {
          const source = `function f() {\n${chosen.join('\n')}\n}\n`;
          let gap = 0;
          const spaced = source.replace(/ /g, () => ` ${gaps[gap++ % gaps.length] ?? ''}`);
          const before = analyzeScript(source, 'js', policy);
          const after = analyzeScript(spaced, 'js', policy);
          return before.ok && after.ok && compareKeys(before.code, after.code) === undefined;
        },
      ),
    );
  });
});

describe('JSON', () => {
  it('keeps member order under the given pointers and ignores it elsewhere', () => {
    const a = analyzeJson('{"x": {"b": 1, "a": 2}, "y": {"b": 1, "a": 2}}', ['/x']);
    const b = analyzeJson('{"y": {"a": 2, "b": 1}, "x": {"b": 1, "a": 2}}', ['/x']);
    const c = analyzeJson('{"y": {"a": 2, "b": 1}, "x": {"a": 2, "b": 1}}', ['/x']);
    expect(a.ok && b.ok && compareKeys(a.code, b.code)).toBeUndefined();
    expect(a.ok && c.ok && compareKeys(a.code, c.code)).toBeDefined();
  });

  it('refuses duplicate keys as unparseable', () => {
    expect(verdictOf('a.json', '{"a": 1}', '{"a": 1, "a": 1}')).toMatchObject({
      reason: 'unparseable',
    });
  });

  it('compares strings by value: escapes are spelling', () => {
    expect(verdictOf('a.json', '["A"]', '["\\u0041"]').verdict).toBe('noop');
  });
});

describe('JSONC', () => {
  const tsconfig =
    '{\n  // strictness\n  "compilerOptions": { "strict": true, /* yes */ "target": "es2022" }\n}\n';

  it('reads tsconfig.json with comments and trailing commas, comparing the comments as words', () => {
    const reformatted =
      '{\n  // strictness\n  "compilerOptions": {\n    "target": "es2022",\n    /* yes */ "strict": true,\n  },\n}\n';
    expect(verdictOf('tsconfig.json', tsconfig, reformatted)).toMatchObject({
      verdict: 'noop',
      reason: 'equal-value',
    });
    expect(
      verdictOf(
        'packages/a/tsconfig.build.json',
        tsconfig,
        tsconfig.replace('strictness', 'strict mode'),
      ).reason,
    ).toBe('comment-text-changed');
    expect(verdictOf('.vscode/settings.json', '{"a": 1 // x\n}', '{"a": 2 // x\n}').reason).toBe(
      'content-changed',
    );
    expect(
      verdictOf('a.jsonc', '{"s": "// not a comment"}', '{"s": "// not  a comment"}').verdict,
    ).toBe('substantive');
  });

  it('keeps plain .json strict: a comment makes it unparseable', () => {
    expect(verdictOf('data.json', '{"a": 1}', '{"a": 1 // x\n}').reason).toBe('unparseable');
  });
});

describe('YAML', () => {
  it('compares every document of a stream, in order', () => {
    expect(verdictOf('a.yml', 'a: 1\n---\nb: 2\n', 'a: 1\n---\nb: 2\n...\n').verdict).toBe('noop');
    expect(verdictOf('a.yml', 'a: 1\n---\nb: 2\n', 'b: 2\n---\na: 1\n').verdict).toBe(
      'substantive',
    );
  });

  it('keeps custom tags, timestamps and binary values', () => {
    expect(verdictOf('a.yml', 'a: !Ref x\n', 'a: x\n').verdict).toBe('substantive');
    expect(verdictOf('a.yml', 'a: 2001-12-14\n', 'a: 2001-12-15\n').verdict).toBe('substantive');
    expect(verdictOf('a.yml', 'a: !!binary aGk=\n', 'a: !!binary aGk=  \n').verdict).toBe('noop');
    expect(verdictOf('a.yml', 'a: !!binary aGk=\n', 'a: !!binary aGo=\n').verdict).toBe(
      'substantive',
    );
  });

  it('reads null spellings alike only when the value is null in both', () => {
    expect(verdictOf('a.yml', 'a: ~\n', 'a: null\n').verdict).toBe('noop');
    expect(verdictOf('a.yml', 'a:\n', 'a: ""\n').verdict).toBe('substantive');
  });

  it('refuses an alias bomb instead of expanding it', () => {
    let bomb = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 9; i++)
      bomb += `a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]\n`;
    const result = analyzeYaml(bomb, policy);
    expect(result.ok).toBe(false);
  });

  it('refuses duplicate keys and syntax errors as unparseable', () => {
    expect(verdictOf('a.yml', 'a: 1\n', 'a: 1\na: 2\n')).toMatchObject({ reason: 'unparseable' });
    expect(verdictOf('a.yml', 'a: [1\n', 'a: [1]\n')).toMatchObject({ reason: 'unparseable' });
  });
});

describe('Markdown', () => {
  it('compares YAML front matter as YAML: nesting counts, key order does not', () => {
    const before = '---\ntitle: A\nsidebar:\n  position: 2\n---\n# A\n';
    expect(
      verdictOf('a.md', before, '---\nsidebar:\n  position: 2\ntitle: A\n---\n# A\n').verdict,
    ).toBe('noop');
    expect(
      verdictOf('a.md', before, '---\ntitle: A\nsidebar:\nposition: 2\n---\n# A\n').verdict,
    ).toBe('substantive');
    expect(
      verdictOf('a.md', '---\n# draft\ntitle: A\n---\nx\n', '---\n# final\ntitle: A\n---\nx\n')
        .reason,
    ).toBe('comment-text-changed');
    expect(verdictOf('a.md', '---\na: [\n---\nx\n', '---\na: []\n---\nx\n').reason).toBe(
      'unparseable',
    );
  });

  it('compares TOML front matter exactly', () => {
    expect(
      verdictOf('a.md', '+++\ntitle = "A"\n+++\nx\n', '+++\ntitle  = "A"\n+++\nx\n').verdict,
    ).toBe('substantive');
    expect(
      verdictOf('a.md', '+++\ntitle = "A"\n+++\nx\n', '+++\ntitle = "A"\n+++\nx\n\n').verdict,
    ).toBe('noop');
  });

  it('collapses whitespace in Latin text and keeps line breaks that touch CJK', () => {
    expect(renderedText('a  b\n c')).toBe('a b c');
    expect(renderedText('日本\n語')).toBe('日本\n語');
    expect(renderedText('word\n日本')).toBe('word\n日本');
  });
});

describe('text rules', () => {
  it('tolerates CRLF and trailing whitespace in C, but not inner whitespace', () => {
    expect(verdictOf('a.c', 'int a;\nint b;\n', 'int a;  \r\nint b;\r\n').verdict).toBe('noop');
    expect(verdictOf('a.c', 'int a;\n', 'int  a;\n')).toMatchObject({
      verdict: 'substantive',
      line: 1,
    });
  });

  it('does not tolerate trailing whitespace where a string may span lines', () => {
    expect(
      verdictOf('a.java', 'String s = """\n  x\n""";\n', 'String s = """\n  x  \n""";\n').verdict,
    ).toBe('substantive');
    expect(verdictOf('a.c', 'char *s = "a\\\nb";\n', 'char *s = "a\\\nb";  \n').verdict).toBe(
      'substantive',
    );
  });

  it('never compares binary content or oversized files as text', () => {
    expect(verdictOf('a.txt', new Uint8Array([0x61, 0]), new Uint8Array([0x61, 0, 0])).reason).toBe(
      'binary',
    );
    expect(verdictOf('a.txt', new Uint8Array([0xc3, 0x28]), 'x').reason).toBe('binary');
    const big = new Uint8Array(9 * 1024 * 1024).fill(0x61);
    expect(verdictOf('a.txt', big, 'a').reason).toBe('too-large');
  });

  it('has no rule for unknown types and extensionless files', () => {
    expect(verdictOf('README', 'MIT\n', 'MIT \n').reason).toBe('no-rule');
    expect(verdictOf('a.sql', 'select 1;\n', 'select 1; \n').reason).toBe('no-rule');
    expect(verdictOf('bin/run', '#!/bin/sh\nls\n', '#!/bin/sh\nls \n').reason).toBe('no-rule');
  });
});

describe('AnalysisCache', () => {
  it('analyses each version once and forgets the least recently used beyond its capacity', () => {
    const cache = new AnalysisCache(2);
    let calls = 0;
    const analyze = (text: string) => {
      calls++;
      return analyzeJson(text, []);
    };
    cache.analysis('a.json', '1', analyze);
    cache.analysis('a.json', '1', analyze);
    expect(calls).toBe(1);
    cache.analysis('a.json', '2', analyze);
    cache.analysis('a.json', '1', analyze);
    cache.analysis('a.json', '3', analyze);
    expect(calls).toBe(3);
    cache.analysis('a.json', '2', analyze);
    expect(calls).toBe(4);
    cache.analysis('b.json', '1', analyze);
    expect(calls).toBe(5);
  });
});
