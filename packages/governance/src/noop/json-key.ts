/**
 * JSON equality: equal values, with each number compared by its lexeme (`1` and `1.0` differ, and
 * so do two big integers that `JSON.parse` would round to the same double) and object members in
 * any order, except under order-sensitive members, where consumers take the first match
 * (`package.json` `exports` and `imports` conditions, Node.js "Conditional exports").
 */
import { appendPointer, parseJson, type JsonValue } from '../json/index.js';
import { commentKeys, type CommentPolicy } from './comment-text.js';
import { EqualityKeyBuilder } from './equality-key.js';
import { stripJsonc } from './jsonc-text.js';
import { NO_COMMENTS, type FileAnalysis } from './file-analysis.js';

const NUMBER_LEXEME = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?/y;
const MAX_JSON_BYTES = 64 * 1024 * 1024;
const MAX_JSON_DEPTH = 1000;

/**
 * @param orderedPointers JSON Pointers below which member order is kept (and the members themselves).
 * @param jsonc For JSONC files, the comment policy: comments and trailing commas are allowed.
 */
export function analyzeJson(
  source: string,
  orderedPointers: readonly string[],
  jsonc?: CommentPolicy,
): FileAnalysis {
  const stripped = jsonc === undefined ? undefined : stripJsonc(source);
  const text = stripped?.json ?? source;
  const parsed = parseJson(text, { maxBytes: MAX_JSON_BYTES, maxDepth: MAX_JSON_DEPTH });
  if (!parsed.ok) {
    return {
      ok: false,
      message: `does not parse as JSON: ${parsed.error.message}`,
      offset: parsed.error.offset,
    };
  }
  const key = new EqualityKeyBuilder();
  const offsetOf = (pointer: string): number => parsed.locate(pointer)?.offset ?? 0;
  const isOrdered = (pointer: string): boolean =>
    orderedPointers.some((ordered) => pointer === ordered || pointer.startsWith(`${ordered}/`));

  const visit = (value: JsonValue, pointer: string, into: EqualityKeyBuilder): void => {
    const offset = offsetOf(pointer);
    if (value === null || typeof value === 'boolean') {
      into.push(String(value), offset);
    } else if (typeof value === 'number') {
      NUMBER_LEXEME.lastIndex = offset;
      into.push(`number ${NUMBER_LEXEME.exec(parsed.text)?.[0] ?? String(value)}`, offset);
    } else if (typeof value === 'string') {
      into.push(`string ${JSON.stringify(value)}`, offset);
    } else if (Array.isArray(value)) {
      into.push('[', offset);
      value.forEach((item, index) => {
        visit(item, appendPointer(pointer, index), into);
      });
      into.push(']', offset);
    } else {
      const members = Object.keys(value).map((name) => {
        const member = appendPointer(pointer, name);
        const builder = new EqualityKeyBuilder();
        builder.push(`member ${JSON.stringify(name)}`, parsed.locateKey(member)?.offset ?? offset);
        visit(value[name] ?? null, member, builder);
        return { name, source: parsed.locateKey(member)?.offset ?? 0, key: builder };
      });
      if (isOrdered(pointer)) members.sort((a, b) => a.source - b.source);
      else members.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      into.push(isOrdered(pointer) ? '{ordered' : '{', offset);
      for (const member of members) into.append(member.key.build());
      into.push('}', offset);
    }
  };
  visit(parsed.value, '', key);
  const comments =
    stripped === undefined || jsonc === undefined
      ? NO_COMMENTS
      : commentKeys(stripped.comments, jsonc);
  return { ok: true, code: key.build(), comments };
}
