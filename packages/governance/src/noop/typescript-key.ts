/**
 * JavaScript and TypeScript equality through the TypeScript compiler's parser: two files are equal
 * when their syntax trees are, with every identifier, string, template and regular expression text,
 * every directive (`'use strict'` exactly as written), every operator and keyword, and the flags a
 * program can observe (`let`/`const`, optional chains, `import type`). Formatting, quote style,
 * semicolons without an ASI hazard, trailing commas, redundant parentheses and numeric spelling
 * (`0x10` and `16`, `1_000` and `1000`; the parser normalizes the text) are not part of the key.
 * JSX text keeps the whitespace that renders (Babel's and React's JSX whitespace rule).
 */
import ts from 'typescript';
import {
  commentKeys,
  isSemanticComment,
  type CommentPolicy,
  type SourceComment,
} from './comment-text.js';
import { EqualityKeyBuilder } from './equality-key.js';
import type { FileAnalysis } from './file-analysis.js';

export type ScriptFlavour = 'ts' | 'tsx' | 'js' | 'jsx' | 'mts' | 'cts' | 'mjs' | 'cjs';

const SCRIPT_KINDS: Record<ScriptFlavour, ts.ScriptKind> = {
  ts: ts.ScriptKind.TS,
  mts: ts.ScriptKind.TS,
  cts: ts.ScriptKind.TS,
  tsx: ts.ScriptKind.TSX,
  js: ts.ScriptKind.JS,
  mjs: ts.ScriptKind.JS,
  cjs: ts.ScriptKind.JS,
  jsx: ts.ScriptKind.JSX,
};

/** Node flags a program can observe; the rest are parser bookkeeping. */
const OBSERVABLE_FLAGS =
  ts.NodeFlags.Let |
  ts.NodeFlags.Const |
  ts.NodeFlags.Using |
  ts.NodeFlags.AwaitUsing |
  ts.NodeFlags.Namespace |
  ts.NodeFlags.NestedNamespace |
  ts.NodeFlags.GlobalAugmentation |
  ts.NodeFlags.OptionalChain;

/**
 * JSDoc that types JavaScript checked by TypeScript (`// @ts-check`, `checkJs`): a type tag with a
 * `{type}`, or a tag that declares types. Semantic in JavaScript files, like a type annotation.
 */
const JSDOC_TYPE_ANNOTATION =
  /^\/\*\*[\s\S]*@(?:type|param|arg|argument|returns?|typedef|satisfies|this|property|prop|enum|callback|implements|extends|augments)\s*\{|^\/\*\*[\s\S]*@(?:template|overload|import)\b/;

/**
 * TS1121 "Octal literals are not allowed" and TS1487 "Octal escape sequences are not allowed":
 * TypeScript reports them even where JavaScript allows them.
 */
const LEGACY_OCTAL = new Set([1121, 1487]);

/**
 * A CommonJS script in sloppy mode, where `0755` is a legacy octal literal (ECMA-262 B.1.1): plain
 * JavaScript, no `import`/`export`, and no `use strict` anywhere (a directive in any function
 * makes the literal a SyntaxError there).
 */
function isSloppyScript(sourceFile: ts.SourceFile, flavour: ScriptFlavour, text: string): boolean {
  return (
    (flavour === 'js' || flavour === 'cjs') &&
    (sourceFile as unknown as { externalModuleIndicator?: unknown }).externalModuleIndicator ===
      undefined &&
    !/use strict/.test(text)
  );
}

export function analyzeScript(
  text: string,
  flavour: ScriptFlavour,
  policy: CommentPolicy,
): FileAnalysis {
  const sourceFile = ts.createSourceFile(
    `file.${flavour}`,
    text,
    { languageVersion: ts.ScriptTarget.Latest, jsDocParsingMode: ts.JSDocParsingMode.ParseNone },
    true,
    SCRIPT_KINDS[flavour],
  );
  const diagnostics = (sourceFile as unknown as { parseDiagnostics?: readonly ts.Diagnostic[] })
    .parseDiagnostics;
  const first = diagnostics?.find(
    (diagnostic) =>
      !(LEGACY_OCTAL.has(diagnostic.code) && isSloppyScript(sourceFile, flavour, text)),
  );
  if (first !== undefined) {
    return {
      ok: false,
      message: `does not parse as ${flavour}: ${ts.flattenDiagnosticMessageText(first.messageText, ' ')}`,
      ...(first.start === undefined ? {} : { offset: first.start }),
    };
  }
  const isJavaScript =
    flavour === 'js' || flavour === 'jsx' || flavour === 'mjs' || flavour === 'cjs';
  const comments = collectComments(sourceFile);
  const code = new EqualityKeyBuilder();
  const shebang = /^#![^\r\n]*/.exec(text);
  if (shebang) code.push(`shebang ${shebang[0]}`, 0);
  new ScriptKeyWriter(sourceFile, code, isJavaScript).visit(sourceFile);
  const semanticPolicy: CommentPolicy = isJavaScript
    ? { ...policy, semanticComments: [...policy.semanticComments, JSDOC_TYPE_ANNOTATION] }
    : policy;
  // A semantic comment applies to the code around it (`@ts-ignore` to the next line, `#__PURE__`
  // to the next call): anchor it by how many code atoms start before it, which formatting keeps.
  const anchored = comments.map((comment) =>
    isSemanticComment(comment.text, semanticPolicy)
      ? {
          ...comment,
          anchor: `after ${atomsBefore(code.offsets, comment.offset)} atoms`,
        }
      : comment,
  );
  return { ok: true, code: code.build(), comments: commentKeys(anchored, semanticPolicy) };
}

/** Syntax kind names for atoms and reports; the first name of each kind, not a marker alias (`FirstStatement`). */
const KIND_NAMES: readonly string[] = (() => {
  const names: string[] = [];
  for (const [name, value] of Object.entries(ts.SyntaxKind))
    if (typeof value === 'number' && names[value] === undefined) names[value] = name;
  return names;
})();

function atomsBefore(offsets: readonly number[], offset: number): number {
  let count = 0;
  for (const atomOffset of offsets) if (atomOffset <= offset) count++;
  return count;
}

class ScriptKeyWriter {
  constructor(
    private readonly sourceFile: ts.SourceFile,
    private readonly key: EqualityKeyBuilder,
    private readonly isJavaScript: boolean,
  ) {}

  visit = (node: ts.Node): void => {
    if (ts.isParenthesizedExpression(node) && !this.isJsDocCast(node)) {
      this.visit(node.expression);
      return;
    }
    if (ts.isParenthesizedTypeNode(node)) {
      this.visit(node.type);
      return;
    }
    if (ts.isJsxText(node)) {
      const rendered = renderedJsxText(node.text);
      if (rendered !== '') this.key.push(`jsx-text ${JSON.stringify(rendered)}`, node.pos);
      return;
    }
    this.key.push(this.describe(node), this.startOf(node));
    if (ts.isNamedImports(node) || ts.isNamedExports(node)) {
      this.visitUnordered(node.elements);
    } else if (ts.isSourceFile(node) || (ts.isBlock(node) && isFunctionBody(node))) {
      this.visitStatements(node.statements);
    } else {
      ts.forEachChild(node, this.visit, this.visitArray);
      if (ts.isNewExpression(node) && node.arguments === undefined) this.visitArray([]);
    }
    this.key.push(')', node.end);
  };

  private readonly visitArray = (nodes: readonly ts.Node[]): void => {
    this.key.push('[', nodes[0] === undefined ? 0 : this.startOf(nodes[0]));
    for (const node of nodes) this.visit(node);
    this.key.push(']', nodes[nodes.length - 1]?.end ?? 0);
  };

  /** Import and export specifiers bind the same names in any order. */
  private visitUnordered(nodes: readonly ts.Node[]): void {
    const keyed = nodes.map((node) => {
      const builder = new EqualityKeyBuilder();
      new ScriptKeyWriter(this.sourceFile, builder, this.isJavaScript).visit(node);
      return { joined: builder.atoms.join('\u0000'), key: builder.build() };
    });
    keyed.sort((a, b) => (a.joined < b.joined ? -1 : a.joined > b.joined ? 1 : 0));
    this.key.push('[', nodes[0] === undefined ? 0 : this.startOf(nodes[0]));
    for (const { key } of keyed) this.key.append(key);
    this.key.push(']', nodes[nodes.length - 1]?.end ?? 0);
  }

  /** A directive prologue (ECMA-262 section 11.2.1) is exact source text: `'use\x20strict'` is no directive. */
  private visitStatements(statements: readonly ts.Statement[]): void {
    this.key.push('[', statements[0] === undefined ? 0 : this.startOf(statements[0]));
    let prologue = true;
    for (const statement of statements) {
      if (
        prologue &&
        ts.isExpressionStatement(statement) &&
        ts.isStringLiteral(statement.expression)
      ) {
        // The raw text between the quotes decides (ECMA-262 11.2.1); the quote character does not.
        const raw = statement.expression.getText(this.sourceFile).slice(1, -1);
        this.key.push(`directive ${raw}`, this.startOf(statement));
        continue;
      }
      prologue = false;
      this.visit(statement);
    }
    this.key.push(']', statements[statements.length - 1]?.end ?? 0);
  }

  /** Where the node's first token starts (its `pos` includes the trivia before it). */
  private startOf(node: ts.Node): number {
    return node.kind === ts.SyntaxKind.SourceFile ? 0 : node.getStart(this.sourceFile);
  }

  /** In JavaScript checked by TypeScript, `/** @type {T} *\/ (x)` is a cast: the parentheses matter. */
  private isJsDocCast(node: ts.ParenthesizedExpression): boolean {
    if (!this.isJavaScript) return false;
    const text = this.sourceFile.text;
    const ranges = [
      ...(ts.getTrailingCommentRanges(text, node.pos) ?? []),
      ...(ts.getLeadingCommentRanges(text, node.pos) ?? []),
    ];
    return ranges.some((range) => text.startsWith('/**', range.pos));
  }

  private describe(node: ts.Node): string {
    let atom = KIND_NAMES[node.kind] ?? String(node.kind);
    const flags = node.flags & OBSERVABLE_FLAGS;
    if (flags !== 0) atom += ` flags=${flags}`;
    if (ts.isIdentifier(node) || ts.isPrivateIdentifier(node)) return `${atom} ${node.text}`;
    if (ts.isStringLiteral(node)) return `${atom} ${JSON.stringify(node.text)}`;
    if (ts.isNumericLiteral(node)) return `${atom} ${node.text}`;
    if (ts.isBigIntLiteral(node)) return `${atom} ${normalizeBigInt(node.text)}`;
    if (ts.isRegularExpressionLiteral(node)) return `${atom} ${node.text}`;
    if (ts.isTemplateLiteralToken(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      // Template raw text (what String.raw and tag functions see), with CRLF read as LF (ECMA-262 12.9.6).
      const raw = node.rawText ?? node.text;
      return `${atom} ${JSON.stringify(raw.replace(/\r\n?/g, '\n'))}`;
    }
    if (ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node))
      return `${atom} op=${node.operator}`;
    if (ts.isTypeOperatorNode(node)) return `${atom} op=${node.operator}`;
    if (ts.isHeritageClause(node)) return `${atom} token=${node.token}`;
    if (ts.isMetaProperty(node)) return `${atom} keyword=${node.keywordToken}`;
    if (ts.isImportClause(node)) return `${atom} phase=${String(node.phaseModifier)}`;
    if (
      ts.isImportSpecifier(node) ||
      ts.isExportSpecifier(node) ||
      ts.isImportEqualsDeclaration(node)
    )
      return `${atom} typeOnly=${node.isTypeOnly}`;
    if (ts.isExportDeclaration(node)) return `${atom} typeOnly=${node.isTypeOnly}`;
    if (ts.isExportAssignment(node)) return `${atom} exportEquals=${node.isExportEquals === true}`;
    if (ts.isImportTypeNode(node)) return `${atom} typeOf=${node.isTypeOf}`;
    if (ts.isImportAttributes(node)) return `${atom} token=${node.token}`;
    return atom;
  }
}

function isFunctionBody(block: ts.Block): boolean {
  return ts.isFunctionLike(block.parent);
}

function normalizeBigInt(text: string): string {
  try {
    return `${BigInt(text.slice(0, -1).replace(/_/g, '')).toString()}n`;
  } catch {
    return text;
  }
}

/**
 * The text a JSX text child renders (Babel `cleanJSXElementLiteralChild`, which React and
 * TypeScript follow): lines are trimmed where they meet a line break, lines left empty are dropped,
 * and the remaining lines are joined by one space.
 */
export function renderedJsxText(text: string): string {
  const lines = text.split(/\r\n|\n|\r/);
  let lastNonEmptyLine = 0;
  for (let i = 0; i < lines.length; i++) if (/[^ \t]/.test(lines[i] ?? '')) lastNonEmptyLine = i;
  let result = '';
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').replace(/\t/g, ' ');
    const isFirstLine = i === 0;
    const isLastLine = i === lines.length - 1;
    const isLastNonEmptyLine = i === lastNonEmptyLine;
    let trimmed = line;
    if (!isFirstLine) trimmed = trimmed.replace(/^[ ]+/, '');
    if (!isLastLine) trimmed = trimmed.replace(/[ ]+$/, '');
    if (trimmed) {
      if (!isLastNonEmptyLine) trimmed += ' ';
      result += trimmed;
    }
  }
  return result;
}

/** Every comment of the file, found in the trivia before each token (so never inside strings, templates or JSX text). */
function collectComments(sourceFile: ts.SourceFile): SourceComment[] {
  const text = sourceFile.text;
  if (!text.includes('//') && !text.includes('/*')) return [];
  const comments: SourceComment[] = [];
  const seen = new Set<number>();
  const tokens: ts.Node[] = [];
  const gather = (node: ts.Node): void => {
    if (node.kind >= ts.SyntaxKind.FirstToken && node.kind <= ts.SyntaxKind.LastToken) {
      tokens.push(node);
      return;
    }
    const children = node.getChildren(sourceFile);
    if (children.length === 0) tokens.push(node);
    for (const child of children) gather(child);
  };
  gather(sourceFile);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === undefined || token.kind === ts.SyntaxKind.JsxText) continue;
    const start =
      token.kind === ts.SyntaxKind.EndOfFileToken ? token.end : token.getStart(sourceFile);
    if (start === token.pos) continue;
    const ranges = [
      ...(ts.getLeadingCommentRanges(text, token.pos) ?? []),
      ...(ts.getTrailingCommentRanges(text, token.pos) ?? []),
    ];
    const anchor =
      token.kind === ts.SyntaxKind.EndOfFileToken ? '' : text.slice(start, token.end).slice(0, 40);
    for (const range of ranges) {
      if (range.end > start || seen.has(range.pos)) continue;
      seen.add(range.pos);
      comments.push({
        text: text.slice(range.pos, range.end),
        syntax: range.kind === ts.SyntaxKind.SingleLineCommentTrivia ? 'line' : 'block',
        offset: range.pos,
        anchor,
      });
    }
  }
  comments.sort((a, b) => a.offset - b.offset);
  return comments;
}
