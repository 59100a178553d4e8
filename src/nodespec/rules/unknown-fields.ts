import { appendPointer, fieldPath } from '../../json/pointer.js';
import { nodeSpecSchema } from '../schema.js';
import type { LintRule, Reporter } from './rule.js';

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean;
  items?: SchemaNode;
  $ref?: string;
}

const schemaRoot = nodeSpecSchema as unknown as SchemaNode & { $defs: Record<string, SchemaNode> };

function resolve(node: SchemaNode): SchemaNode {
  const name = node.$ref?.replace('#/$defs/', '');
  return name === undefined ? node : (schemaRoot.$defs[name] ?? node);
}

/** Levenshtein distance, for "did you mean" suggestions. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function suggestion(name: string, known: readonly string[]): string {
  const close = known.find((candidate) => distance(name, candidate) <= 2);
  return close === undefined ? '' : `; did you mean \`${close}\`?`;
}

function walk(value: unknown, schema: SchemaNode, pointer: string, report: Reporter): void {
  const node = resolve(schema);
  if (Array.isArray(value)) {
    if (node.items)
      value.forEach((item, i) => {
        walk(item, node.items as SchemaNode, `${pointer}/${i}`, report);
      });
    return;
  }
  if (value === null || typeof value !== 'object' || node.properties === undefined) return;
  const known = Object.keys(node.properties);
  for (const [key, member] of Object.entries(value)) {
    const memberSchema = node.properties[key];
    const memberPointer = appendPointer(pointer, key);
    if (memberSchema !== undefined) walk(member, memberSchema, memberPointer, report);
    else if (node.additionalProperties !== false) {
      report(
        memberPointer,
        `\`${fieldPath(memberPointer)}\` is not a NodeSpec v1 field${suggestion(key, known)}`,
        'key',
      );
    }
  }
}

export const unknownFields: LintRule = {
  id: 'NS015',
  name: 'unknown-field',
  severity: 'warning',
  rationale:
    'Sections accept extension fields, so a misspelled optional field is silently ignored unless lint points it out.',
  check(spec, _context, report) {
    walk(spec, schemaRoot, '', report);
  },
};
