/** Which equality rule applies to a path, decided by its name alone (the content never picks a laxer rule). */
import type { ScriptFlavour } from './typescript-key.js';

export type FileType =
  | { readonly kind: 'script'; readonly flavour: ScriptFlavour }
  | { readonly kind: 'python' }
  | { readonly kind: 'json'; readonly comments: boolean }
  | { readonly kind: 'yaml' }
  | { readonly kind: 'markdown' }
  | { readonly kind: 'tolerant-text'; readonly language: string; readonly multilineString?: RegExp }
  | { readonly kind: 'plain-text'; readonly language: string; readonly quotes: boolean }
  | { readonly kind: 'html' }
  | { readonly kind: 'restructuredtext' }
  | {
      readonly kind: 'whitespace-syntax';
      readonly language: string;
      readonly finalNewline: boolean;
    }
  | { readonly kind: 'unknown' };

const SCRIPTS: Record<string, ScriptFlavour> = {
  ts: 'ts',
  mts: 'mts',
  cts: 'cts',
  tsx: 'tsx',
  js: 'js',
  mjs: 'mjs',
  cjs: 'cjs',
  jsx: 'jsx',
};

/**
 * Types whose compilers ignore trailing whitespace at line ends, the final newline and CRLF outside
 * string literals. `multilineString` finds string syntax that can hold a line end (raw strings,
 * text blocks, verbatim strings); where it matches, whitespace at line ends may be string content
 * and nothing is tolerated.
 */
const TOLERANT: Record<string, { language: string; multilineString?: RegExp }> = {
  c: { language: 'C', multilineString: /R"/ },
  h: { language: 'C', multilineString: /R"/ },
  cc: { language: 'C++', multilineString: /R"/ },
  cpp: { language: 'C++', multilineString: /R"/ },
  cxx: { language: 'C++', multilineString: /R"/ },
  hpp: { language: 'C++', multilineString: /R"/ },
  hh: { language: 'C++', multilineString: /R"/ },
  hxx: { language: 'C++', multilineString: /R"/ },
  cs: { language: 'C#', multilineString: /@"|"""/ },
  java: { language: 'Java', multilineString: /"""/ },
  kt: { language: 'Kotlin', multilineString: /"""/ },
  kts: { language: 'Kotlin', multilineString: /"""/ },
  scala: { language: 'Scala', multilineString: /"""/ },
  swift: { language: 'Swift', multilineString: /"""/ },
  dart: { language: 'Dart', multilineString: /"""|'''/ },
  go: { language: 'Go', multilineString: /`/ },
  rs: { language: 'Rust', multilineString: /r#*"/ },
  proto: { language: 'Protocol Buffers' },
  css: { language: 'CSS' },
  scss: { language: 'SCSS' },
  less: { language: 'Less' },
  toml: { language: 'TOML', multilineString: /"""|'''/ },
  // Sphinx themes' Jinja-templated style sheets (`basic.css_t`).
  css_t: { language: 'CSS' },
};

/** Types where whitespace is syntax and every byte counts (noop-cases.md #30, #31, #32). */
const WHITESPACE_SYNTAX: Record<string, string> = {
  sh: 'shell',
  bash: 'shell',
  zsh: 'shell',
  ksh: 'shell',
  fish: 'shell',
  bat: 'batch',
  cmd: 'batch',
  ps1: 'PowerShell',
  mk: 'Makefile',
  mak: 'Makefile',
};

/**
 * Text read by people or by line-oriented tools that strip line ends: prose, pip requirements,
 * INI-style configuration (Python's configparser, tox, setuptools strip values). `quotes`: the
 * format has quoted values, so a line with an odd number of `"` may continue a string.
 */
const PLAIN_TEXT_EXTENSIONS: Record<string, { language: string; quotes: boolean }> = {
  txt: { language: 'plain text', quotes: false },
  ini: { language: 'INI', quotes: true },
  cfg: { language: 'INI', quotes: true },
  conf: { language: 'configuration', quotes: true },
};
const PLAIN_TEXT_NAMES =
  /^(?:AUTHORS|CONTRIBUTORS|CREDITS|THANKS|MAINTAINERS|NOTICE|PATENTS|COPYING|COPYRIGHT|LICEN[CS]E)(?:[-_.][A-Za-z0-9-]+)?$/i;
const MANIFEST_NAMES = /^(?:MANIFEST|requirements[^/]*)\.in$/;

/**
 * HTML documents and templates whose output is HTML (`page.html.j2`). Anything that is not
 * certainly HTML (a bare `.j2` may render YAML) has no rule.
 */
const HTML = /\.(?:html?|xhtml)(?:\.(?:j2|jinja2?|njk|hbs|mustache|ejs|erb|tmpl))?$/i;

/**
 * Files under test directories are often expected output or inputs compared byte for byte
 * (`tests/templates/x.html`, `test/expected.txt`), so the prose, text and HTML rules do not apply
 * there.
 */
const TEST_DIRECTORY = /(?:^|\/)(?:tests?|specs?|testing|__tests__|e2e|expected|snapshots?)\//i;

/** JSON files their tools read with comments and trailing commas (TypeScript, VS Code, Dev Containers). */
const JSONC_FILES =
  /(?:^|\/)(?:[tj]sconfig(?:\.[^/]*)?\.json|\.vscode\/[^/]+\.json|\.?devcontainer(?:\.json|\/[^/]*\.json)|devcontainer-feature\.json|api-extractor(?:\.[^/]*)?\.json|\.eslintrc\.json|tslint\.json|tsdoc\.json|typedoc\.json|deno\.json|biome\.json|\.swcrc|language-configuration\.json)$/;

export function fileTypeOf(path: string): FileType {
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (/^(?:GNUmakefile|makefile|Makefile)$/.test(name))
    return { kind: 'whitespace-syntax', language: 'Makefile', finalNewline: true };
  const inTests = TEST_DIRECTORY.test(path);
  if (PLAIN_TEXT_NAMES.test(name) && !/\.(?:md|markdown|rst|html?)$/i.test(name))
    return inTests
      ? { kind: 'unknown' }
      : { kind: 'plain-text', language: 'plain text', quotes: false };
  if (MANIFEST_NAMES.test(name)) return { kind: 'plain-text', language: name, quotes: false };
  if (name === '.swcrc') return { kind: 'json', comments: true };
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return { kind: 'unknown' };
  const extension = name.slice(dot + 1).toLowerCase();
  if (HTML.test(name)) return inTests ? { kind: 'unknown' } : { kind: 'html' };
  if (extension === 'rst' || extension === 'rest') return { kind: 'restructuredtext' };
  const plain = PLAIN_TEXT_EXTENSIONS[extension];
  if (plain !== undefined)
    return inTests && extension === 'txt' ? { kind: 'unknown' } : { kind: 'plain-text', ...plain };
  const flavour = SCRIPTS[extension];
  if (flavour !== undefined) return { kind: 'script', flavour };
  if (extension === 'py' || extension === 'pyi') return { kind: 'python' };
  if (extension === 'jsonc' || (extension === 'json' && JSONC_FILES.test(path)))
    return { kind: 'json', comments: true };
  if (extension === 'json') return { kind: 'json', comments: false };
  if (extension === 'yml' || extension === 'yaml') return { kind: 'yaml' };
  if (extension === 'md' || extension === 'markdown') return { kind: 'markdown' };
  const tolerant = TOLERANT[extension];
  if (tolerant !== undefined) return { kind: 'tolerant-text', ...tolerant };
  const syntax = WHITESPACE_SYNTAX[extension];
  if (syntax !== undefined)
    return { kind: 'whitespace-syntax', language: syntax, finalNewline: syntax === 'Makefile' };
  return { kind: 'unknown' };
}
