/**
 * The rules added for what real histories hold (issue 16): plain text and INI, HTML, reStructuredText
 * (with and without docutils), JSONC, Python 2, Makefiles, shebang scripts, Markdown references
 * and Markdown analysed in parts. Each rule is pinned in both verdicts, with its conservative cases.
 */
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareContent } from '../../src/noop/content-equality.js';
import { compareKeys } from '../../src/noop/equality-key.js';
import { safeLineEnds } from '../../src/noop/html-text.js';
import { analyzeMarkdown } from '../../src/noop/markdown-key.js';
import { analyzeMarkdownInParts, markdownCuts } from '../../src/noop/markdown-sections.js';
import { compilePolicy, DEFAULT_POLICY_SOURCE } from '../../src/noop/policy.js';
import { compareRst } from '../../src/noop/rst-text.js';

const policy = compilePolicy(DEFAULT_POLICY_SOURCE);
const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const judge = (path: string, before: string, after: string) =>
  compareContent(path, encode(before), encode(after), policy);
const docutils =
  spawnSync('python3', ['-I', '-c', 'import docutils'], { stdio: 'ignore' }).status === 0;

describe('plain text and INI', () => {
  it('tolerates trailing whitespace and blank lines at the end of prose, requirements and INI files', () => {
    expect(judge('requirements.txt', 'flask>=2  \nclick\n', 'flask>=2\nclick\n\n\n').reason).toBe(
      'tolerated-whitespace',
    );
    expect(judge('AUTHORS', 'Ana \nBo\n', 'Ana\nBo').reason).toBe('tolerated-whitespace');
    expect(judge('LICENSE.txt', 'MIT "x\r\n', 'MIT "x\n').reason).toBe('tolerated-whitespace');
    expect(judge('tox.ini', '[tox]\nenvlist = py3 \n', '[tox]\nenvlist = py3\n').verdict).toBe(
      'noop',
    );
    expect(judge('MANIFEST.in', 'include a\n\n', 'include a\n').verdict).toBe('noop');
  });

  it('keeps every other change, continuation lines, quoted INI values and test data substantive', () => {
    expect(judge('requirements.txt', 'flask\n', 'flask \nclick\n').reason).toBe('content-changed');
    expect(judge('AUTHORS', 'Ana\n', '  Ana\n').reason).toBe('content-changed');
    expect(judge('requirements.txt', 'a \\  \nb\n', 'a \\\nb\n').reason).toBe('content-changed');
    expect(judge('setup.cfg', 'a = "x  \ny"\n', 'a = "x\ny"\n').reason).toBe('content-changed');
    expect(judge('tests/expected.txt', 'out  \n', 'out\n').reason).toBe('no-rule');
    expect(judge('Makefile.in', 'all:\n\tcc \n', 'all:\n\tcc\n').reason).toBe('no-rule');
  });
});

describe('HTML', () => {
  it('tolerates whitespace at line ends outside the places where it renders, and blank lines at the end', () => {
    const before = '<ul>  \n  <li>{{ x }}</li>\t\n</ul>\n\n\n';
    expect(judge('templates/a.html', before, '<ul>\n  <li>{{ x }}</li>\n</ul>\n').reason).toBe(
      'tolerated-whitespace',
    );
    expect(judge('a.html.j2', '<p>a \r\nb</p>\r\n', '<p>a\nb</p>\n').verdict).toBe('noop');
  });

  it('keeps whitespace in <pre>, <textarea>, attributes, scripts, template tags, trans blocks and at the very end', () => {
    const cases: [string, string][] = [
      ['<pre>\na  \n</pre>\n', '<pre>\na\n</pre>\n'],
      ['<textarea>\na \n</textarea>\n', '<textarea>\na\n</textarea>\n'],
      ['<a title="a \nb">x</a>\n', '<a title="a\nb">x</a>\n'],
      ['<script>\nlet s = `a \nb`;\n</script>\n', '<script>\nlet s = `a\nb`;\n</script>\n'],
      ['{{ "a \nb" }}\n', '{{ "a\nb" }}\n'],
      ['{% trans %}Hello \nworld{% endtrans %}\n', '{% trans %}Hello\nworld{% endtrans %}\n'],
      ['<p style="white-space: pre">a \nb</p>\n', '<p style="white-space: pre">a\nb</p>\n'],
      ['<b>a</b>\n', '<b>a</b>'],
      ['<p>a</p>\n', '<p>a</p>\n<p>b</p>\n'],
    ];
    for (const [before, after] of cases)
      expect(judge('a.html', before, after).verdict, JSON.stringify(before)).toBe('substantive');
    expect(judge('tests/templates/a.html', '<p>a </p>\n', '<p>a</p>\n').reason).toBe('no-rule');
  });

  it('scans a line end as unsafe inside <pre> and safe after it closes', () => {
    expect(safeLineEnds('<pre>\nx\n</pre>\ny\n')).toEqual([false, false, true, true, true]);
  });
});

describe('reStructuredText', () => {
  it('tolerates whitespace at line ends even in literal blocks, where docutils strips it too', () => {
    const before = 'Title\n=====\n\n::\n\n    code  \n\n';
    expect(compareRst(before, 'Title\n=====\n\n::\n\n    code\n', { docutils: false })).toEqual({
      equal: true,
      by: 'line-ends',
    });
  });

  it('without docutils, keeps blank lines and re-wrapping substantive', () => {
    const comparison = compareRst('A\nb.\n', 'A b.\n', { docutils: false });
    expect(comparison.equal).toBe(false);
    expect(
      compareRst('Para one.\n\nPara two.\n', 'Para one.\nPara two.\n', { docutils: false }),
    ).toMatchObject({ equal: false, line: 2 });
  });

  it('keeps changed words substantive without asking docutils', () => {
    expect(compareRst('Hello world.\n', 'Hello, world.\n')).toMatchObject({
      equal: false,
      why: 'the words differ',
    });
  });

  it.skipIf(!docutils)('with docutils, re-wrapping and a longer underline are no-ops', () => {
    const before = 'Title\n=====\n\nSome words that\nwrap here.\n';
    const after = 'Title\n=========\n\n\nSome words\nthat wrap here.\n';
    expect(judge('docs/a.rst', before, after).reason).toBe('equal-document-tree');
  });

  it.skipIf(!docutils)(
    'with docutils, a blank line that splits a paragraph or a re-indented literal block is substantive',
    () => {
      expect(judge('a.rst', 'One line\ntwo line.\n', 'One line\n\ntwo line.\n').verdict).toBe(
        'substantive',
      );
      expect(judge('a.rst', 'x::\n\n    a  b\n', 'x::\n\n    a b\n').verdict).toBe('substantive');
      expect(
        judge(
          'a.rst',
          'Title\n=====\n\n.. note::\n\n   Body.\n',
          'Title\n=====\n\n.. note::\n\nBody.\n',
        ).verdict,
      ).toBe('substantive');
      expect(
        judge('a.rst', '.. versionadded:: 2.0\n   Text.\n', '.. versionadded:: 2.0\n\n   Text.\n')
          .verdict,
      ).toBe('substantive');
    },
  );
});

describe('JSON with comments', () => {
  it('reads known JSONC files with comments and trailing commas', () => {
    expect(
      judge('api-extractor.json', '{\n  // main\n  "a": 1,\n}\n', '{ // main\n "a": 1 }\n').reason,
    ).toBe('equal-value');
    expect(judge('.eslintrc.json', '{"a": 1 /* x */}', '{ "a": 1 /* x */ }\n').verdict).toBe(
      'noop',
    );
  });

  it('keeps comment words, and values, substantive in JSONC', () => {
    expect(judge('tsconfig.json', '{ // a b\n"a": 1}', '{ // a c\n"a": 1}').reason).toBe(
      'comment-text-changed',
    );
    expect(judge('.eslintrc.json', '{"a": 1, // x\n}', '{"a": 2, // x\n}').reason).toBe(
      'content-changed',
    );
  });

  it('reads any .json file as JSONC only when both versions hold comments and neither is strict JSON', () => {
    expect(judge('conf/a.json', '{\n// x\n"a": 1}\n', '{ // x\n  "a": 1\n}').reason).toBe(
      'equal-value',
    );
    expect(judge('conf/a.json', '{"a": 1}\n', '{ // x\n"a": 1}\n').reason).toBe('unparseable');
    expect(judge('conf/a.json', '{"a": 1,}\n', '{"a": 1}\n').reason).toBe('unparseable');
  });
});

describe('Python 2 and the top of a Python file', () => {
  it('reads sources Python 3 refuses as Python 2', () => {
    const before = 'def f():\n\tif x:\n\t        print `x`\n';
    const after = 'def f():\n\tif x:   \n\t        print `x`\n';
    expect(judge('a.py', before, after).reason).toBe('equal-tokens');
    expect(judge('a.py', 'print x <> y\n', 'print x<>y\n').reason).toBe('equal-tokens');
  });

  it('never equates a Python 2 version with a Python 3 one, and keeps Python 2 indentation', () => {
    expect(judge('a.py', 'x = `1`\n', 'x = repr(1)\n').verdict).toBe('substantive');
    expect(judge('a.py', 'if x:\n        y\n\tz\n', 'if x:\n        y\n        z\n').reason).toBe(
      'content-changed',
    );
    expect(judge('a.py', 'if x:\n\ty\n\tz `1`\n', 'if x:\n\ty\nz `1`\n').reason).toBe(
      'content-changed',
    );
  });

  it('compares Python 2 sources token for token: quote style and trailing commas stay substantive', () => {
    // Python 3 would call these equal; Python 2's `print ('a',)` prints a tuple, and without a
    // Python 2 parser the guard does not guess what a token means there.
    expect(
      judge('a.py', 'print x\ny = d.pop("k", None)\n', "print x\ny = d.pop('k', None)\n").reason,
    ).toBe('content-changed');
    expect(judge('a.py', "print x\nprint ('a',)\n", "print x\nprint ('a')\n").reason).toBe(
      'content-changed',
    );
    expect(
      judge('a.py', 'print x\ny = d.pop("k",None)\n', 'print x\ny = d.pop("k", None)\n').reason,
    ).toBe('equal-tokens');
  });

  it('lets blank lines move a pragma near the top, but not the coding cookie out of line 2', () => {
    expect(
      judge('a.py', '"""Doc."""\n# noqa\nx = 1\n', '"""Doc."""\n\n# noqa\nx = 1\n').verdict,
    ).toBe('noop');
    expect(
      judge(
        'a.py',
        '#!/usr/bin/env python\n# coding: latin-1\nx = 1\n',
        '#!/usr/bin/env python\n\n# coding: latin-1\nx = 1\n',
      ).reason,
    ).toBe('semantic-comment-changed');
  });
});

describe('Makefiles and shebang scripts', () => {
  it('tolerates only the final line feeds of a Makefile', () => {
    expect(judge('Makefile', 'all:\n\tcc a.c', 'all:\n\tcc a.c\n\n').reason).toBe(
      'tolerated-whitespace',
    );
    expect(judge('Makefile', 'X = a \nall:\n', 'X = a\nall:\n').reason).toBe(
      'whitespace-is-syntax',
    );
    expect(judge('Makefile', 'all: \\\n', 'all: \\').reason).toBe('whitespace-is-syntax');
    expect(judge('run.sh', 'ls\n', 'ls').reason).toBe('whitespace-is-syntax');
  });

  it('reads an extension-less node or python script in its language when the shebang is the same', () => {
    expect(
      judge('bin/app', '#!/usr/bin/env node\nvar a = 1\n', '#!/usr/bin/env node\nvar a = 1;\n')
        .reason,
    ).toBe('equal-syntax-tree');
    expect(
      judge('bin/tool', '#!/usr/bin/python3\nx = ( 1 )\n', '#!/usr/bin/python3\nx = (1)\n').reason,
    ).toBe('equal-tokens');
    expect(judge('bin/app', '#!/usr/bin/env node\nx\n', '#!/usr/bin/env nodejs\nx;\n').reason).toBe(
      'no-rule',
    );
    expect(judge('bin/app', '#!/bin/sh\nx\n', '#!/bin/sh\nx \n').reason).toBe('no-rule');
  });

  it('accepts legacy octal literals and escapes only in sloppy CommonJS', () => {
    const sloppy = '#!/usr/bin/env node\nvar m = 0755, e = "\\033";\n';
    expect(judge('bin/app', sloppy, `${sloppy}\n`).reason).toBe('equal-syntax-tree');
    const strict = `'use strict';\nvar m = 0755;\n`;
    expect(judge('a.js', strict, `${strict}\n`).reason).toBe('unparseable');
    expect(judge('a.mjs', 'var m = 0755;\n', 'var m = 0755;\n\n').reason).toBe('unparseable');
  });
});

describe('Markdown', () => {
  it('reads full, collapsed and shortcut references alike', () => {
    const definition = '\n\n[WSGI]: https://wsgi.readthedocs.io\n';
    expect(
      judge('README.md', `Uses [WSGI][].${definition}`, `Uses [WSGI].${definition}`).reason,
    ).toBe('equal-rendering');
    expect(
      judge(
        'README.md',
        `Uses [WSGI][].${definition}`,
        `Uses [WSGI][wsgi2].${definition}\n[wsgi2]: /x\n`,
      ).verdict,
    ).toBe('substantive');
  });

  it('cuts only where every block has ended', () => {
    expect(markdownCuts(['# A', '', 'text', '', '- item', '', 'Next'])).toEqual([
      false,
      false,
      true,
      false,
      false,
      false,
      true,
    ]);
    expect(markdownCuts(['```', '', 'code', '```', '', 'After'])).toEqual([
      false,
      false,
      false,
      false,
      false,
      true,
    ]);
    expect(markdownCuts(['- a', '  ```', '', 'x'])).toBeUndefined();
    expect(markdownCuts(['<!--', '', 'x', '-->', '', 'y'])).toEqual([
      false,
      false,
      false,
      false,
      false,
      true,
    ]);
    expect(markdownCuts(['1. a', '', '2. b'])?.[2]).toBe(false);
  });

  it('gives a document analysed in parts the key of the whole document', () => {
    const fragments = [
      '# Title',
      'Some text\nwrapped here.',
      '- a\n- b',
      '- a\n\n- b',
      '* item\n\n    ```js\n    x( 1 )\n    ```',
      '```\ncode\n\nText in code\n```',
      '<!-- a\n\nComment -->',
      '<pre>\n\nPre text\n</pre>',
      '> quote\n\n> more',
      '| a | b |\n| - | - |\n| 1 | 2 |',
      '4.15.5 / 2017-09-24\n===================',
      '1. one\n2. two',
      'Text  \nhard break',
      '    indented code\n\n    more',
      '- item\n  ```\n  code',
      '~~~\nunclosed',
    ];
    const whole = (text: string) => analyzeMarkdown(text, policy);
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...fragments), { minLength: 20, maxLength: 40 }),
        fc.array(fc.constantFrom('\n', '\n\n', '\n\n\n'), { minLength: 40, maxLength: 40 }),
        fc.boolean(),
        (parts, separators, crlf) => {
          const lf = parts.map((p, i) => p + (separators[i] ?? '\n')).join('');
          // CRLF files too: a fence line ending in CR must still open the fence.
          const text = crlf ? lf.replace(/\n/g, '\r\n') : lf;
          const inParts = analyzeMarkdownInParts(text, whole, whole);
          const full = whole(text);
          if (!inParts.ok || !full.ok) return inParts.ok === full.ok;
          return compareKeys(inParts.code, full.code) === undefined;
        },
      ),
      { numRuns: 150 },
    );
  });
});
