/**
 * Generates the No-Op guard's evaluation corpus: a git repository whose history applies known
 * no-op transforms (prettier at other widths, re-indentation, comment re-wrapping, JSON and YAML
 * key shuffles, CRLF, final newlines, trailing whitespace, Markdown re-wrapping, empty commits) and
 * known substantive ones (hard negatives: a space in a string, a Python dedent, a Markdown word
 * split or hard break, a comment word, a number lexeme, YAML quoting, an operator, import order,
 * renames, modes, empty files, BOM, NBSP, deletions) to real files. Each commit message carries
 * `Noop-Eval: <noop|substantive> <transform>` for the harness; the guard never reads messages.
 *
 * Samples: this project's TypeScript, JavaScript/JSON/YAML/Markdown from node_modules, and Python
 * from the local CPython standard library when python3 is installed (python3 is then also the
 * oracle that keeps only Python transforms whose effect it confirms). Nothing is committed to
 * this project: the corpus is written to a temporary directory.
 */
import { Buffer } from 'node:buffer';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import * as prettier from 'prettier';
import ts from 'typescript';
import { parseDocument, isMap, isSeq } from 'yaml';

const ROOT = path.resolve(import.meta.dirname, '..');

function walk(directory, accept, out = [], depth = 0) {
  if (depth > 6) return out;
  let names;
  try {
    names = readdirSync(directory).sort();
  } catch {
    return out;
  }
  for (const name of names) {
    if (name === '.git' || name === 'dist' || name === 'coverage') continue;
    const full = path.join(directory, name);
    let stat;
    try {
      stat = statSync(full);
    } catch {
      continue;
    }
    if (stat.isDirectory()) walk(full, accept, out, depth + 1);
    else if (stat.size >= 200 && stat.size <= 60_000 && accept(full)) out.push(full);
  }
  return out;
}

/** Every k-th element, so the sample spreads over the whole list; deterministic. */
function spread(list, count) {
  if (list.length <= count) return list;
  const step = list.length / count;
  return Array.from({ length: count }, (_, i) => list[Math.floor(i * step)]);
}

function pythonStdlib() {
  const result = spawnSync(
    'python3',
    ['-c', 'import sysconfig; print(sysconfig.get_paths()["stdlib"])'],
    {
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) return undefined;
  return result.stdout.trim();
}

export function collectSamples(perLanguage) {
  const modules = path.join(ROOT, 'node_modules');
  const isText = (file) => !readFileSync(file).includes(0);
  const samples = [];
  const add = (language, files, name) => {
    for (const [index, file] of files.entries()) {
      const text = readFileSync(file, 'utf8');
      if (text.startsWith('\ufeff') || !isText(file)) continue;
      samples.push({ language, path: name(index, file), text, origin: path.relative(ROOT, file) });
    }
  };
  add(
    'ts',
    spread(
      walk(path.join(ROOT, 'src'), (f) => f.endsWith('.ts')),
      perLanguage,
    ),
    (i) => `samples/ts/s${i}.ts`,
  );
  add(
    'js',
    spread(
      walk(
        modules,
        (f) => /\.(m?js|cjs)$/.test(f) && !f.endsWith('.min.js') && !f.includes('/dist/'),
      ),
      perLanguage,
    ),
    (i, f) => `samples/js/s${i}${path.extname(f)}`,
  );
  add(
    'json',
    spread(
      walk(modules, (f) => path.basename(f) === 'package.json'),
      perLanguage,
    ),
    (i) => `samples/json/p${i}/package.json`,
  );
  add(
    'yaml',
    spread(
      walk(modules, (f) => /\.ya?ml$/.test(f) && !f.includes('pnpm-lock')),
      perLanguage,
    ),
    (i) => `samples/yaml/s${i}.yml`,
  );
  add(
    'md',
    spread(
      walk(modules, (f) => /\.md$/i.test(f)),
      perLanguage,
    ),
    (i) => `samples/md/s${i}.md`,
  );
  const stdlib = pythonStdlib();
  if (stdlib !== undefined)
    add(
      'py',
      spread(
        walk(
          stdlib,
          (f) => f.endsWith('.py') && !f.includes('/test') && !f.includes('site-packages'),
        ),
        perLanguage,
      ),
      (i) => `samples/py/s${i}.py`,
    );
  return samples;
}

// ---------- helpers

const PRETTIER_PARSERS = {
  ts: 'typescript',
  js: 'babel',
  json: 'json',
  yaml: 'yaml',
  md: 'markdown',
};

async function format(text, language, options) {
  const parser = PRETTIER_PARSERS[language];
  if (parser === undefined) return undefined;
  try {
    return await prettier.format(text, { parser, embeddedLanguageFormatting: 'off', ...options });
  } catch {
    return undefined;
  }
}

function scanTokens(text, language) {
  const scanner = ts.createScanner(
    ts.ScriptTarget.Latest,
    false,
    language === 'ts' ? ts.LanguageVariant.Standard : ts.LanguageVariant.Standard,
    text,
  );
  const tokens = [];
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    tokens.push({ kind, start: scanner.getTokenStart(), end: scanner.getTokenEnd() });
    if (tokens.length > 200_000) break;
  }
  return tokens;
}

const SPECIAL_COMMENT =
  /[@#:!<>{}*`]|eslint|prettier|istanbul|ts-|noqa|type|pragma|coding|TODO|http/;
const PLAIN_PARAGRAPH_LINE = /^[A-Za-z(][^|<>`*_#[\]\\]*[A-Za-z.,;:)]$/;

function fullLineComments(lines, marker) {
  const runs = [];
  let run = [];
  for (const [i, line] of lines.entries()) {
    const match = new RegExp(`^(\\s*)${marker} (\\S.*)$`).exec(line);
    if (match && !SPECIAL_COMMENT.test(match[2])) run.push(i);
    else {
      if (run.length >= 2) runs.push(run);
      run = [];
    }
  }
  if (run.length >= 2) runs.push(run);
  return runs;
}

function wrapWords(words, width, prefix, avoidStart) {
  const lines = [];
  let line = '';
  for (const word of words) {
    if (
      line !== '' &&
      (line + ' ' + word).length > width &&
      !(avoidStart && avoidStart.test(word))
    ) {
      lines.push(prefix + line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(prefix + line);
  return lines;
}

function reflowComments(text, marker) {
  const lines = text.split('\n');
  const runs = fullLineComments(lines, marker);
  const run = runs[0];
  if (run === undefined) return undefined;
  const indent = /^\s*/.exec(lines[run[0]])[0];
  const words = run.flatMap((i) => lines[i].trim().slice(marker.length).trim().split(/\s+/));
  const wrapped = wrapWords(words, 36, `${indent}${marker} `);
  lines.splice(run[0], run.length, ...wrapped);
  return lines.join('\n');
}

function shuffleJsonValue(value, pointer) {
  if (Array.isArray(value)) return value.map((v, i) => shuffleJsonValue(v, `${pointer}/${i}`));
  if (value === null || typeof value !== 'object') return value;
  if (/^\/(exports|imports|typesVersions|publishConfig)/.test(pointer)) return value;
  const keys = Object.keys(value).reverse();
  return Object.fromEntries(keys.map((k) => [k, shuffleJsonValue(value[k], `${pointer}/${k}`)]));
}

function reverseYamlMaps(node) {
  if (isMap(node)) {
    node.items.reverse();
    for (const pair of node.items) reverseYamlMaps(pair.value);
  } else if (isSeq(node)) for (const item of node.items) reverseYamlMaps(item);
}

function markdownParagraphLines(lines) {
  let fenced = false;
  const result = [];
  for (const [i, line] of lines.entries()) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    if (!fenced && PLAIN_PARAGRAPH_LINE.test(line) && !/[^\x20-\x7e]/.test(line)) result.push(i);
  }
  return result;
}

// ---------- transforms: (text, sample) => new text | undefined (not applicable)

const NOOP_TRANSFORMS = {
  'prettier-narrow': async (text, s) => format(text, s.language, { printWidth: 40 }),
  'prettier-wide-reindent': async (text, s) =>
    format(text, s.language, { printWidth: 120, tabWidth: 4 }),
  'reindent-python': (text, s) => {
    if (s.language !== 'py' || text.includes('\t')) return undefined;
    return text
      .split('\n')
      .map((line) => line.replace(/^( {4})+/, (m) => ' '.repeat(m.length / 2)))
      .join('\n');
  },
  'comment-reflow': (text, s) =>
    s.language === 'ts' || s.language === 'js'
      ? reflowComments(text, '//')
      : s.language === 'py'
        ? reflowComments(text, '#')
        : undefined,
  'json-key-shuffle': (text, s) => {
    if (
      s.language !== 'json' ||
      /[0-9][.eE]|[0-9]{15}/.test(text.replace(/"(?:[^"\\]|\\.)*"/g, '""'))
    )
      return undefined;
    try {
      return `${JSON.stringify(shuffleJsonValue(JSON.parse(text), ''), null, 2)}\n`;
    } catch {
      return undefined;
    }
  },
  'yaml-key-shuffle': (text, s) => {
    if (s.language !== 'yaml' || text.includes('#') || /[&*!|>]/.test(text)) return undefined;
    const document = parseDocument(text);
    if (document.errors.length > 0) return undefined;
    reverseYamlMaps(document.contents);
    return String(document);
  },
  crlf: (text) =>
    text.startsWith('#!') || text.includes('\r') ? undefined : text.replace(/\n/g, '\r\n'),
  'final-newline': (text) => (text.endsWith('\n') ? text.replace(/\n+$/, '') : `${text}\n`),
  'trailing-whitespace': (text, s) => {
    if (s.language === 'md') return undefined;
    if ((s.language === 'ts' || s.language === 'js') && text.includes('`')) return undefined;
    if (s.language === 'py' && /'''|"""|\\$/m.test(text)) return undefined;
    if (s.language === 'yaml' && /[|>][-+0-9]*\s*$/m.test(text)) return undefined;
    return text
      .split('\n')
      .map((line, i) => (i % 3 === 0 && line.trim() !== '' ? `${line}  ` : line))
      .join('\n');
  },
  'markdown-rewrap': (text, s) => {
    if (s.language !== 'md') return undefined;
    const lines = text.split('\n');
    const plain = new Set(markdownParagraphLines(lines));
    for (let i = 0; i + 1 < lines.length; i++) {
      if (!plain.has(i) || !plain.has(i + 1)) continue;
      if (i > 0 && lines[i - 1].trim() !== '') continue;
      let end = i;
      while (plain.has(end + 1)) end++;
      const words = lines
        .slice(i, end + 1)
        .join(' ')
        .split(/\s+/);
      lines.splice(i, end - i + 1, ...wrapWords(words, 30, '', /^([-+*>#=|]|\d+[.)]|[A-Za-z]\.)$/));
      return lines.join('\n');
    }
    return undefined;
  },
};

const SUBSTANTIVE_TRANSFORMS = {
  'string-space': (text, s) => {
    if (s.language !== 'ts' && s.language !== 'js') return undefined;
    const token = scanTokens(text, s.language).find(
      (t) =>
        t.kind === ts.SyntaxKind.StringLiteral &&
        t.end - t.start > 4 &&
        /[A-Za-z]/.test(text.slice(t.start + 1, t.end - 1)),
    );
    if (token === undefined) return undefined;
    return `${text.slice(0, token.start + 2)} ${text.slice(token.start + 2)}`;
  },
  operator: (text, s) => {
    if (s.language !== 'ts' && s.language !== 'js') return undefined;
    const token = scanTokens(text, s.language).find(
      (t) => t.kind === ts.SyntaxKind.EqualsEqualsEqualsToken,
    );
    if (token === undefined) return undefined;
    return `${text.slice(0, token.start)}==${text.slice(token.end)}`;
  },
  'python-dedent': (text, s) => {
    if (s.language !== 'py') return undefined;
    const lines = text.split('\n');
    for (let i = 1; i + 1 < lines.length; i++) {
      const indent = (l) => /^ */.exec(l)[0].length;
      const [a, b, c] = [lines[i - 1], lines[i], lines[i + 1]];
      if (
        !/^ {8,}[a-z_]+ = [a-z_0-9.()]+$/.test(b) ||
        !/^ +[a-z_]/.test(a) ||
        indent(a) !== indent(b)
      )
        continue;
      if (a.trim().endsWith(':') || /[([{,\\]$/.test(a.trim()) || indent(c) >= indent(b)) continue;
      lines[i] = b.slice(4);
      return lines.join('\n');
    }
    return undefined;
  },
  'comment-word': (text, s) => {
    const marker =
      s.language === 'py' ? '#' : s.language === 'ts' || s.language === 'js' ? '//' : undefined;
    if (marker === undefined) return undefined;
    const lines = text.split('\n');
    for (const [i, line] of lines.entries()) {
      const match = new RegExp(`^(\\s*${marker} .*?\\b)([A-Za-z]{4,})\\b`).exec(line);
      if (match && !SPECIAL_COMMENT.test(line)) {
        lines[i] = line.replace(match[0], `${match[1]}${match[2]}x`);
        return lines.join('\n');
      }
    }
    return undefined;
  },
  'markdown-word-split': (text, s) => {
    if (s.language !== 'md') return undefined;
    const lines = text.split('\n');
    for (const i of markdownParagraphLines(lines)) {
      const match = /\b([A-Za-z]{4})([a-z]{4,})\b/.exec(lines[i]);
      if (match) {
        lines[i] = lines[i].replace(match[0], `${match[1]} ${match[2]}`);
        return lines.join('\n');
      }
    }
    return undefined;
  },
  'markdown-hard-break': (text, s) => {
    if (s.language !== 'md') return undefined;
    const lines = text.split('\n');
    const plain = new Set(markdownParagraphLines(lines));
    for (const i of plain) {
      if (plain.has(i + 1)) {
        lines[i] = `${lines[i]}  `;
        return lines.join('\n');
      }
    }
    return undefined;
  },
  'json-number-lexeme': (text, s) => {
    if (s.language !== 'json') return undefined;
    const lines = text.split('\n');
    for (const [i, line] of lines.entries()) {
      const match = /^(\s*"[^"\\]*": )([0-9]+)(,?)$/.exec(line);
      if (match) {
        lines[i] = `${match[1]}${match[2]}.0${match[3]}`;
        return lines.join('\n');
      }
    }
    return undefined;
  },
  'yaml-quote': (text, s) => {
    if (s.language !== 'yaml') return undefined;
    const lines = text.split('\n');
    for (const [i, line] of lines.entries()) {
      const match = /^(\s*[A-Za-z_-]+: )([0-9.]+|true|false|on|off|yes|no)$/.exec(line);
      if (match) {
        lines[i] = `${match[1]}"${match[2]}"`;
        const changed = lines.join('\n');
        try {
          const before = JSON.stringify(parseDocument(text, { version: '1.1' }).toJS());
          const after = JSON.stringify(parseDocument(changed, { version: '1.1' }).toJS());
          return before === after ? undefined : changed;
        } catch {
          return undefined;
        }
      }
    }
    return undefined;
  },
  'import-reorder': (text, s) => {
    const pattern =
      s.language === 'py'
        ? /^(import|from) [\w. ]+$/
        : s.language === 'ts' || s.language === 'js'
          ? /^import .* from '[^']+';?$/
          : undefined;
    if (pattern === undefined) return undefined;
    const lines = text.split('\n');
    for (let i = 0; i + 1 < lines.length; i++) {
      if (pattern.test(lines[i]) && pattern.test(lines[i + 1]) && lines[i] !== lines[i + 1]) {
        [lines[i], lines[i + 1]] = [lines[i + 1], lines[i]];
        return lines.join('\n');
      }
    }
    return undefined;
  },
  bom: (text, s) => (s.language === 'json' || s.language === 'ts' ? `\ufeff${text}` : undefined),
  nbsp: (text, s) => {
    if (s.language !== 'py' && s.language !== 'ts') return undefined;
    const index = text.indexOf(' = ');
    return index < 0 ? undefined : `${text.slice(0, index + 2)}\u00a0${text.slice(index + 3)}`;
  },
};

/** Python oracle: python3 confirms each Python no-op keeps the tokens and each dedent changes the AST. */
function pythonOracle(pairs) {
  if (pairs.length === 0) return [];
  const program = `
import ast, io, json, sys, tokenize
def toks(src):
    out = []
    for t in tokenize.generate_tokens(io.StringIO(src).readline):
        if t.type in (tokenize.NL, tokenize.COMMENT): 
            if t.type == tokenize.COMMENT: out.append(('C', ' '.join(t.string[1:].split())))
            continue
        out.append((t.type, '' if t.type in (tokenize.INDENT, tokenize.NEWLINE, tokenize.DEDENT) else t.string))
    return out
def words(seq):
    ws = []
    for t, s in seq:
        if t == 'C': ws.extend(s.split())
    return ws, [x for x in seq if x[0] != 'C']
res = []
for a, b, mode in json.load(sys.stdin):
    try:
        if mode == 'same':
            wa, ta = words(toks(a)); wb, tb = words(toks(b))
            res.append(wa == wb and ta == tb and ast.dump(ast.parse(a)) == ast.dump(ast.parse(b)))
        else:
            try:
                res.append(ast.dump(ast.parse(a)) != ast.dump(ast.parse(b)))
            except SyntaxError:
                res.append(True)
    except Exception:
        res.append(False)
print(json.dumps(res))
`;
  const result = spawnSync('python3', ['-c', program], {
    input: JSON.stringify(pairs),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (result.status !== 0) return pairs.map(() => false);
  return JSON.parse(result.stdout);
}

/**
 * Builds the corpus repository in `directory` (created empty by the caller) with git fast-import.
 * Returns counts per transform.
 */
export async function generateCorpus(directory, { perLanguage = 40, emptyCommits = 10 } = {}) {
  const samples = collectSamples(perLanguage);
  const current = new Map(samples.map((s) => [s.path, s.text]));
  const commits = [];
  commits.push({
    message: 'add samples\n\nNoop-Eval: substantive add-samples',
    changes: samples.map((s) => ({ op: 'M', path: s.path, text: s.text })),
  });
  const pythonChecks = [];
  for (const sample of samples) {
    for (const [kind, transforms] of [
      ['noop', NOOP_TRANSFORMS],
      ['substantive', SUBSTANTIVE_TRANSFORMS],
    ]) {
      for (const [name, transform] of Object.entries(transforms)) {
        if (current.get(sample.path) !== sample.text) {
          // Back to the original, so every transform starts from the real file (not scored).
          commits.push({
            message: `restore ${sample.path}`,
            changes: [{ op: 'M', path: sample.path, text: sample.text }],
          });
          current.set(sample.path, sample.text);
        }
        const before = sample.text;
        const after = await transform(before, sample);
        if (after === undefined || after === before) continue;
        if (sample.language === 'py' && name !== 'bom' && name !== 'nbsp')
          pythonChecks.push({
            index: commits.length,
            pair: [before, after, kind === 'noop' ? 'same' : 'differs'],
          });
        commits.push({
          message: `${name} ${sample.path}\n\nNoop-Eval: ${kind} ${name}`,
          changes: [{ op: 'M', path: sample.path, text: after }],
        });
        current.set(sample.path, after);
      }
    }
  }
  // Python transforms python3 does not confirm are dropped (their commits become plain substantive edits, unscored).
  const verdicts = pythonOracle(pythonChecks.map((c) => c.pair));
  pythonChecks.forEach((check, i) => {
    if (verdicts[i] !== true)
      commits[check.index].message = commits[check.index].message.replace(
        /\n\nNoop-Eval: .*/,
        '\n\n(unconfirmed by python3: not scored)',
      );
  });
  // Whole-file hard negatives.
  for (const [i, sample] of samples.filter((_, i) => i % 5 === 0).entries()) {
    const text = current.get(sample.path);
    const renamed = sample.path.replace(/(\.[a-z]+)$/, `-renamed$1`);
    if (i % 4 === 0)
      commits.push({
        message: `rename ${sample.path}\n\nNoop-Eval: substantive rename`,
        changes: [
          { op: 'D', path: sample.path },
          { op: 'M', path: renamed, text },
        ],
      });
    else if (i % 4 === 1)
      commits.push({
        message: `chmod ${sample.path}\n\nNoop-Eval: substantive mode-change`,
        changes: [{ op: 'M', path: sample.path, text, mode: '100755' }],
      });
    else if (i % 4 === 2)
      commits.push({
        message: `empty file\n\nNoop-Eval: substantive empty-file-added`,
        changes: [{ op: 'M', path: `${path.dirname(sample.path)}/pkg${i}/__init__.py`, text: '' }],
      });
    else
      commits.push({
        message: `delete ${sample.path}\n\nNoop-Eval: substantive delete`,
        changes: [{ op: 'D', path: sample.path }],
      });
  }
  for (let i = 0; i < emptyCommits; i++)
    commits.push({ message: `retrigger CI ${i}\n\nNoop-Eval: noop empty-commit`, changes: [] });

  execFileSync('git', ['init', '-q', '-b', 'main', directory]);
  const chunks = [];
  commits.forEach((commit, index) => {
    const message = Buffer.from(commit.message);
    chunks.push(
      Buffer.from(
        `commit refs/heads/main\nmark :${index + 1}\ncommitter Corpus <corpus@example.com> ${1_700_000_000 + index} +0000\ndata ${message.length}\n`,
      ),
      message,
      Buffer.from('\n'),
    );
    if (index > 0) chunks.push(Buffer.from(`from :${index}\n`));
    for (const change of commit.changes) {
      if (change.op === 'D') chunks.push(Buffer.from(`D ${JSON.stringify(change.path)}\n`));
      else {
        const bytes = Buffer.from(change.text, 'utf8');
        chunks.push(
          Buffer.from(
            `M ${change.mode ?? '100644'} inline ${JSON.stringify(change.path)}\ndata ${bytes.length}\n`,
          ),
          bytes,
          Buffer.from('\n'),
        );
      }
    }
    chunks.push(Buffer.from('\n'));
  });
  execFileSync('git', ['-C', directory, 'fast-import', '--quiet'], {
    input: Buffer.concat(chunks),
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' },
    maxBuffer: 1 << 28,
  });
  return {
    samples: samples.length,
    commits: commits.length,
    python: samples.some((s) => s.language === 'py'),
  };
}
