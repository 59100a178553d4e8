/**
 * The guard's policy: which paths are compared byte for byte, which comments are semantic, which
 * JSON members keep their order, and what a team has chosen to relax (renames, mode changes,
 * comment words, volatile lines in generated files). The defaults refuse anything unproven; a
 * configuration file (see config.ts) can only add to the lists, and every relaxation shows in the
 * reason the guard reports.
 */
import picomatch from 'picomatch';

export interface GeneratedFiles {
  readonly paths: readonly string[];
  /** Regular expressions a differing line must match, in both versions, to be ignored. */
  readonly volatile: readonly string[];
}

export interface OrderSensitiveJson {
  readonly paths: readonly string[];
  /** JSON Pointers whose members keep their order (first match wins for their consumers). */
  readonly pointers: readonly string[];
}

/** The policy as written: plain data, digested into the audit log. */
export interface NoopPolicySource {
  /** `substantive` (default): comment words count. `not-substantive`: only semantic comments count. */
  readonly comments: 'substantive' | 'not-substantive';
  readonly semanticComments: readonly string[];
  readonly byteExact: readonly string[];
  /** Globs under which a rename with identical content is a no-op. */
  readonly renames: readonly string[];
  /** Globs under which a 100644 <-> 100755 change is a no-op. */
  readonly modeChanges: readonly string[];
  readonly generated: readonly GeneratedFiles[];
  readonly orderSensitiveJson: readonly OrderSensitiveJson[];
}

/** Comments that change builds, type checks, lint, coverage, decoding or execution (noop-cases.md #23). */
export const DEFAULT_SEMANTIC_COMMENTS: readonly string[] = [
  '[#@]__[A-Z_]+__', // /*#__PURE__*/, /*@__NO_SIDE_EFFECTS__*/, __INLINE__, __KEY__
  '^/\\*!', // legal comments kept by minifiers
  '@(?:license|preserve|copyright)\\b',
  '@ts-(?:ignore|expect-error|check|nocheck)\\b',
  '^///\\s*<(?:reference|amd-module|amd-dependency)\\b',
  'eslint-(?:disable|enable)|^/\\*\\s*(?:eslint|eslint-env|global|globals|exported)\\s',
  'prettier-ignore',
  'webpack[A-Z][A-Za-z]*\\s*:',
  '@vite-ignore',
  '[#@]\\s*source(?:Mapping)?URL=',
  '@jsx(?:ImportSource|Runtime|Frag)?\\b',
  '\\b(?:istanbul|c8|v8)\\s+ignore\\b',
  '@(?:jest|vitest)-environment\\b',
  '@(?:no)?flow\\b',
  'biome-ignore|deno-(?:lint|fmt)-ignore|tslint:|jshint|jslint',
  '^#!', // shebang
  'coding[:=]', // PEP 263 coding cookie
  '\\btype:', // PEP 484 type comments, `# type: ignore`
  '\\bnoqa\\b|\\bpragma\\b|pylint:|mypy:|pyright:|pyre-|isort:|\\bfmt:\\s*(?:off|on|skip)|\\bnosec\\b|yapf:|ruff:',
  '^//go:|^//\\s*\\+build|^//line |^//export |^//nolint|^//lint:',
  'yaml-language-server:|yamllint',
];

/** Paths whose bytes are the contract (noop-cases.md #29, #33, #43, #44, #47). */
export const DEFAULT_BYTE_EXACT: readonly string[] = [
  '**/*.snap',
  '**/__snapshots__/**',
  '**/*.patch',
  '**/*.diff',
  '**/*.golden',
  '**/golden/**',
  '**/testdata/**',
  '**/fixtures/**',
  '**/__fixtures__/**',
  '**/package-lock.json',
  '**/npm-shrinkwrap.json',
  '**/yarn.lock',
  '**/pnpm-lock.yaml',
  '**/bun.lock',
  '**/*.lock',
  '**/*.lockb',
  '**/go.sum',
  '**/*.sum',
  '**/*SUMS',
  '**/*.sha1',
  '**/*.sha256',
  '**/*.sha512',
  '**/*.md5',
  '**/*.asc',
  '**/*.sig',
  '**/*.minisig',
  '**/*.gpg',
  '**/migrations/**',
  '**/migration/**',
  '**/db/migrate/**',
  '**/V[0-9]*__*.sql',
  '**/R__*.sql',
  '**/.gitattributes',
  '**/.gitmodules',
  '**/.editorconfig',
  '**/.prettierrc*',
  '**/prettier.config.*',
  '**/.prettierignore',
  '**/.eslintrc', // JSON or YAML, whichever parses: no one rule reads it
  '**/.clang-format',
  '**/.rustfmt.toml',
  '**/rustfmt.toml',
  '**/.style.yapf',
  '**/.markdownlint*',
];

export const DEFAULT_ORDER_SENSITIVE_JSON: readonly OrderSensitiveJson[] = [
  {
    paths: ['**/package.json'],
    pointers: ['/exports', '/imports', '/typesVersions', '/publishConfig/exports'],
  },
];

export const DEFAULT_POLICY_SOURCE: NoopPolicySource = {
  comments: 'substantive',
  semanticComments: [],
  byteExact: [],
  renames: [],
  modeChanges: [],
  generated: [],
  orderSensitiveJson: [],
};

/** A policy ready to use: defaults merged with the configuration, globs and patterns compiled. */
export interface NoopPolicy {
  readonly source: NoopPolicySource;
  readonly commentWordsAreSubstantive: boolean;
  readonly semanticComments: readonly RegExp[];
  isByteExact(path: string): boolean;
  allowsRename(path: string): boolean;
  allowsModeChange(path: string): boolean;
  /** The volatile-line patterns for a generated path, or undefined when the path is not declared generated. */
  volatileLines(path: string): readonly RegExp[] | undefined;
  orderedJsonPointers(path: string): readonly string[];
}

const GLOB_OPTIONS = { dot: true } as const;

function matcher(globs: readonly string[]): (path: string) => boolean {
  if (globs.length === 0) return () => false;
  return picomatch([...globs], GLOB_OPTIONS);
}

export function compilePolicy(source: NoopPolicySource = DEFAULT_POLICY_SOURCE): NoopPolicy {
  const byteExact = matcher([...DEFAULT_BYTE_EXACT, ...source.byteExact]);
  const renames = matcher(source.renames);
  const modeChanges = matcher(source.modeChanges);
  const generated = source.generated.map((entry) => ({
    matches: matcher(entry.paths),
    volatile: entry.volatile.map((pattern) => new RegExp(pattern, 'u')),
  }));
  const ordered = [...DEFAULT_ORDER_SENSITIVE_JSON, ...source.orderSensitiveJson].map((entry) => ({
    matches: matcher(entry.paths),
    pointers: entry.pointers,
  }));
  return {
    source,
    commentWordsAreSubstantive: source.comments === 'substantive',
    semanticComments: [...DEFAULT_SEMANTIC_COMMENTS, ...source.semanticComments].map(
      (pattern) => new RegExp(pattern, 'u'),
    ),
    isByteExact: byteExact,
    allowsRename: renames,
    allowsModeChange: modeChanges,
    volatileLines: (path) => {
      const matching = generated.filter((entry) => entry.matches(path));
      return matching.length === 0 ? undefined : matching.flatMap((entry) => entry.volatile);
    },
    orderedJsonPointers: (path) =>
      ordered.filter((entry) => entry.matches(path)).flatMap((entry) => entry.pointers),
  };
}
