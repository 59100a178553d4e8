/**
 * Why the guard called a path a no-op or substantive. Codes are stable: reports, the audit log and
 * SARIF rule ids use them; a retired code is never reused.
 */
export type NoopReason =
  | 'equal-syntax-tree'
  | 'equal-tokens'
  | 'equal-value'
  | 'equal-data'
  | 'equal-rendering'
  | 'equal-document-tree'
  | 'tolerated-whitespace'
  | 'volatile-lines-only'
  | 'comment-change-allowed-by-policy'
  | 'rename-allowed-by-policy'
  | 'mode-change-allowed-by-policy';

export type SubstantiveReason =
  | 'added'
  | 'deleted'
  | 'renamed'
  | 'type-changed'
  | 'mode-changed'
  | 'symlink'
  | 'submodule'
  | 'binary'
  | 'too-large'
  | 'byte-exact'
  | 'whitespace-is-syntax'
  | 'no-rule'
  | 'unparseable'
  | 'content-changed'
  | 'comment-text-changed'
  | 'semantic-comment-changed'
  | 'byte-order-mark-changed'
  | 'invisible-characters-changed'
  | 'script-line-endings-changed';

export type Reason = NoopReason | SubstantiveReason;

/** One line per reason, for `--help`-level documentation, text output and SARIF rules. */
export const REASON_DESCRIPTIONS: Readonly<Record<Reason, string>> = {
  'equal-syntax-tree':
    'the JavaScript/TypeScript syntax trees, strings, directives and comment words are equal',
  'equal-tokens':
    'the Python tokens (indentation, logical lines, strings) and comment words are equal',
  'equal-value':
    'the JSON values are equal (number lexemes kept, member order ignored where consumers ignore it)',
  'equal-data':
    'the YAML data resolves equal under YAML 1.2 and YAML 1.1, and comment words are equal',
  'equal-rendering': 'the Markdown renders to the same structure',
  'equal-document-tree':
    'the reStructuredText document trees (docutils) are equal once whitespace in running text is collapsed',
  'tolerated-whitespace':
    'only trailing whitespace, line endings or the final newline changed, in a type that tolerates it',
  'volatile-lines-only':
    'a declared generated file whose only differing lines match a declared volatile pattern',
  'comment-change-allowed-by-policy':
    'only the words of ordinary comments changed, and the policy declares them not substantive',
  'rename-allowed-by-policy': 'a rename with identical content under a path the policy allows',
  'mode-change-allowed-by-policy': 'an executable-bit change under a path the policy allows',
  added: 'a file was added (even an empty one: package markers, .nojekyll, py.typed)',
  deleted: 'a file was deleted',
  renamed: 'a file was renamed (import paths, URLs, workflow identity and test discovery change)',
  'type-changed': 'a path changed type (regular file, symlink, submodule)',
  'mode-changed': 'the executable bit changed',
  symlink: 'a symbolic link changed',
  submodule: 'a submodule pointer changed',
  binary: 'a binary file changed',
  'too-large': 'the file is larger than the guard reads',
  'byte-exact':
    'the file is compared byte for byte (snapshots, fixtures, patches, lock files, checksums, migrations, checkout and formatter configuration)',
  'whitespace-is-syntax':
    'whitespace is syntax in this file type (shell, Makefile, batch); in a Makefile only the final line feeds may differ',
  'no-rule': 'the guard has no equality rule for this file type',
  unparseable: 'a version of the file does not parse, so equality cannot be shown',
  'content-changed': 'the content differs in a way a reader or a program can observe',
  'comment-text-changed': 'the words of a comment changed',
  'semantic-comment-changed':
    'a semantic comment (pragma, directive, magic comment) changed or moved',
  'byte-order-mark-changed': 'a byte order mark was added or removed',
  'invisible-characters-changed':
    'invisible or unusual space characters (NBSP, zero-width, bidi controls) changed',
  'script-line-endings-changed': 'line endings changed in a script with a shebang line',
};

export const NOOP_REASONS: readonly NoopReason[] = [
  'equal-syntax-tree',
  'equal-tokens',
  'equal-value',
  'equal-data',
  'equal-rendering',
  'equal-document-tree',
  'tolerated-whitespace',
  'volatile-lines-only',
  'comment-change-allowed-by-policy',
  'rename-allowed-by-policy',
  'mode-change-allowed-by-policy',
];
