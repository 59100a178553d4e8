/**
 * Compares two reStructuredText documents by their docutils document trees, through python3 when
 * it has docutils (no Node.js parser for reStructuredText exists that matches docutils). The tree
 * is read without positions (`line`, `source`); inside literal blocks, doctest blocks, comments,
 * raw and inline literals text is exact; elsewhere a run of whitespace counts as one space, as
 * HTML renders it, except a line break touching CJK text (the Markdown rule, CSS Text 3 "Segment
 * Break Transformation Rules"). Directives and roles docutils does not know (Sphinx's) become error
 * nodes that keep their source text exactly, so their content still counts.
 *
 * python3 runs isolated (`-I`: neither the current directory nor PYTHON* variables reach
 * `sys.path`, so a checked-out `docutils.py` is never imported), in the temporary directory, with
 * file insertion (`include`, `raw :file:`/`:url:`, `csv-table :url:`) and docutils configuration
 * files turned off. When python3 or docutils is missing, or the run fails, the answer is
 * `unavailable` and the caller falls back to its conservative rule.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';

export type DoctreeComparison =
  | { readonly kind: 'equal' }
  | { readonly kind: 'different'; readonly line?: number; readonly detail: string }
  | { readonly kind: 'unavailable'; readonly why: string };

const SCRIPT = String.raw`
import io, json, re, sys
try:
    from docutils import nodes
    from docutils.core import publish_doctree
except Exception:
    sys.exit(3)
CJK = re.compile('[\u1100-\u11ff\u2e80-\u303f\u3040-\u30ff\u3100-\u312f\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]')
RUN = re.compile('[ \t\n]+')
def collapse(text):
    def one(m):
        if '\n' not in m.group(0):
            return ' '
        before = text[m.start() - 1:m.start()]
        after = text[m.end():m.end() + 1]
        return '\n' if CJK.match(before) or CJK.match(after) else ' '
    return RUN.sub(one, text)
FIXED = (nodes.FixedTextElement, nodes.literal)
def serialize(node, fixed, out):
    if isinstance(node, nodes.Text):
        text = str(node)
        out.append((None, '#text ' + json.dumps(text if fixed else collapse(text))))
        return
    fixed = fixed or isinstance(node, FIXED)
    attributes = sorted((k, v) for k, v in node.attributes.items() if k not in ('line', 'source'))
    out.append((node.line, node.tagname + ' ' + json.dumps(attributes, default=str)))
    for child in node.children:
        serialize(child, fixed, out)
    out.append((None, '/' + node.tagname))
def tree(text):
    settings = {
        'report_level': 5, 'halt_level': 5, 'warning_stream': io.StringIO(),
        'file_insertion_enabled': False, 'raw_enabled': False, '_disable_config': True,
        'input_encoding': 'unicode', 'syntax_highlight': 'none', 'traceback': True,
        'pep_references': False, 'rfc_references': False,
    }
    out = []
    serialize(publish_doctree(text, settings_overrides=settings), False, out)
    return out
request = json.load(sys.stdin)
old, new = tree(request['old']), tree(request['new'])
if [atom for _, atom in old] == [atom for _, atom in new]:
    print(json.dumps({'equal': True}))
else:
    line = None
    for index, (position, atom) in enumerate(new):
        if index >= len(old) or old[index][1] != atom:
            detail = (old[index][1] if index < len(old) else 'nothing') + ' became ' + atom
            break
        if position is not None:
            line = position
    else:
        detail = old[len(new)][1] + ' became nothing'
    print(json.dumps({'equal': False, 'line': line, 'detail': detail[:200]}))
`;

let docutilsMissing: string | undefined;

export function compareDoctrees(before: string, after: string): DoctreeComparison {
  if (docutilsMissing !== undefined) return { kind: 'unavailable', why: docutilsMissing };
  const result = spawnSync('python3', ['-I', '-c', SCRIPT], {
    input: JSON.stringify({ old: before, new: after }),
    cwd: os.tmpdir(),
    encoding: 'utf8',
    timeout: 30_000,
    maxBuffer: 4 * 1024 * 1024,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C.UTF-8' },
  });
  if (result.error !== undefined) {
    const why = `python3 did not run (${result.error.message})`;
    if ((result.error as NodeJS.ErrnoException).code === 'ENOENT') docutilsMissing = why;
    return { kind: 'unavailable', why };
  }
  if (result.status === 3) {
    docutilsMissing = 'python3 has no docutils';
    return { kind: 'unavailable', why: docutilsMissing };
  }
  if (result.status !== 0)
    return {
      kind: 'unavailable',
      why: `docutils failed: ${(result.stderr || '').trim().split('\n').pop() ?? ''}`,
    };
  try {
    const answer = JSON.parse(result.stdout) as { equal: boolean; line?: number; detail?: string };
    if (answer.equal) return { kind: 'equal' };
    return {
      kind: 'different',
      ...(typeof answer.line === 'number' ? { line: answer.line } : {}),
      detail: answer.detail ?? 'the document trees differ',
    };
  } catch {
    return { kind: 'unavailable', why: 'docutils gave no answer' };
  }
}
