/**
 * YAML equality: equal resolved data. Mappings compare in any order, sequences in order, aliases
 * are expanded, and scalars compare by resolved type and value (numbers by their lexeme, so
 * `1.10` and `1.1` differ). Every document is resolved twice, under the YAML 1.2 core schema and
 * under YAML 1.1, and both must agree: `on` and `"on"` are the same string in 1.2 but a boolean
 * and a string to a YAML 1.1 reader (PyYAML, many CI systems). Tags other than the standard ones
 * are part of the value.
 */
import {
  CST,
  Lexer,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseAllDocuments,
  type Document,
  type Node as YamlNode,
} from 'yaml';
import { commentKeys, type CommentPolicy, type SourceComment } from './comment-text.js';
import { EqualityKeyBuilder } from './equality-key.js';
import type { FileAnalysis } from './file-analysis.js';

/**
 * Refuses to visit more nodes than this through aliases, per document stream ("billion laughs");
 * nodes written out in the file are bounded by the file size.
 */
const MAX_ALIASED_NODES = 100_000;
const STANDARD_TAG = 'tag:yaml.org,2002:';

class AliasBudgetExceeded extends Error {}

export function analyzeYaml(text: string, policy: CommentPolicy): FileAnalysis {
  const code = new EqualityKeyBuilder();
  for (const version of ['1.2', '1.1'] as const) {
    const documents = parseAllDocuments(text, {
      version,
      intAsBigInt: true,
      uniqueKeys: true,
      merge: false,
      prettyErrors: false,
    });
    const list = Array.isArray(documents) ? documents : [documents];
    for (const document of list) {
      const error = document.errors[0];
      if (error) {
        return {
          ok: false,
          message: `does not parse as YAML ${version}: ${error.message}`,
          offset: error.pos[0],
        };
      }
    }
    code.push(`yaml ${version}`, 0);
    const budget = { remaining: MAX_ALIASED_NODES };
    try {
      for (const document of list) {
        code.push('document', 0);
        writeNode(document.contents, document, code, budget);
      }
    } catch (error) {
      if (error instanceof AliasBudgetExceeded)
        return { ok: false, message: 'aliases expand beyond the size the guard reads' };
      throw error;
    }
  }
  return { ok: true, code: code.build(), comments: commentKeys(yamlComments(text), policy) };
}

function writeNode(
  node: YamlNode | null,
  document: Document,
  key: EqualityKeyBuilder,
  budget: { remaining: number },
  viaAlias = false,
): void {
  if (viaAlias && --budget.remaining < 0) throw new AliasBudgetExceeded();
  const offset = node?.range?.[0] ?? 0;
  if (node === null) {
    key.push('null', offset);
    return;
  }
  if (isAlias(node)) {
    const target = node.resolve(document);
    writeNode(target ?? null, document, key, budget, true);
    return;
  }
  const tag =
    node.tag !== undefined && !node.tag.startsWith(STANDARD_TAG) ? ` tag=${node.tag}` : '';
  if (isScalar(node)) {
    const value = node.value;
    let atom: string;
    if (value === null) atom = 'null';
    else if (typeof value === 'number' || typeof value === 'bigint')
      atom = `number ${node.source ?? String(value)}`;
    else if (typeof value === 'string') atom = `string ${JSON.stringify(value)}`;
    else if (typeof value === 'boolean') atom = `boolean ${value}`;
    else if (value instanceof Date) atom = `timestamp ${node.source ?? value.toISOString()}`;
    else if (value instanceof Uint8Array) atom = `binary ${Buffer.from(value).toString('base64')}`;
    else atom = `scalar ${node.source ?? typeof value}`;
    key.push(atom + tag, offset);
    return;
  }
  if (isSeq(node)) {
    key.push(`[${tag}`, offset);
    for (const item of node.items)
      writeNode(item as YamlNode | null, document, key, budget, viaAlias);
    key.push(']', offset);
    return;
  }
  if (isMap(node)) {
    const entries = node.items.map((pair) => {
      const entry = new EqualityKeyBuilder();
      if (isPair(pair)) {
        writeNode(pair.key as YamlNode | null, document, entry, budget, viaAlias);
        entry.push(':', offset);
        writeNode(pair.value as YamlNode | null, document, entry, budget, viaAlias);
      }
      return { sortKey: entry.atoms.join('\u0000'), entry };
    });
    entries.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
    key.push(`{${tag}`, offset);
    for (const { entry } of entries) key.append(entry.build());
    key.push('}', offset);
    return;
  }
  key.push(`node ${String(node)}`, offset);
}

/** Comments found by YAML's own lexer, so a `#` inside a scalar is never one. */
function yamlComments(text: string): SourceComment[] {
  if (!text.includes('#')) return [];
  const comments: SourceComment[] = [];
  let cursor = 0;
  for (const lexeme of new Lexer().lex(text)) {
    if (CST.tokenType(lexeme) !== 'comment') continue;
    const offset = text.indexOf(lexeme, cursor);
    if (offset >= 0) cursor = offset + lexeme.length;
    comments.push({ text: lexeme, syntax: 'hash', offset: Math.max(offset, 0), anchor: '' });
  }
  return comments;
}
