import { appendPointer, fieldPath } from '../../json/pointer.js';
import { nodeSpecSchema } from '../schema.js';
import type { LintRule, Reporter } from './rule.js';

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean;
  items?: SchemaNode;
  $ref?: string;
}

/** What the walk needs of the schema, compiled once: known member names per object. */
interface Shape {
  /** Known member names, or undefined for a free-form object (no `properties`). */
  readonly members?: ReadonlyMap<string, Shape>;
  /** The top level is closed: the schema itself refuses unknown members there. */
  readonly closed: boolean;
  readonly items?: Shape;
}

const schemaRoot = nodeSpecSchema as unknown as SchemaNode & { $defs: Record<string, SchemaNode> };

function compileShape(schema: SchemaNode): Shape {
  const name = schema.$ref?.replace('#/$defs/', '');
  const node = name === undefined ? schema : (schemaRoot.$defs[name] ?? schema);
  const members =
    node.properties === undefined
      ? undefined
      : new Map(Object.entries(node.properties).map(([key, child]) => [key, compileShape(child)]));
  return {
    closed: node.additionalProperties === false,
    ...(members ? { members } : {}),
    ...(node.items ? { items: compileShape(node.items) } : {}),
  };
}

let rootShape: Shape | undefined;

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

/** Walks the document along its shape; `path` holds the reference tokens of `value`. */
function walk(value: unknown, shape: Shape, path: (string | number)[], report: Reporter): void {
  if (Array.isArray(value)) {
    const { items } = shape;
    if (items === undefined) return;
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      walk(value[i], items, path, report);
      path.pop();
    }
    return;
  }
  const { members } = shape;
  if (value === null || typeof value !== 'object' || members === undefined) return;
  for (const key in value) {
    const member = members.get(key);
    path.push(key);
    if (member !== undefined) walk((value as Record<string, unknown>)[key], member, path, report);
    else if (!shape.closed) {
      const pointer = path.reduce<string>((p, token) => appendPointer(p, token), '');
      report(
        pointer,
        `\`${fieldPath(pointer)}\` is not a NodeSpec v1 field${suggestion(key, [...members.keys()])}`,
        'key',
      );
    }
    path.pop();
  }
}

export const unknownFields: LintRule = {
  id: 'NS015',
  name: 'unknown-field',
  severity: 'warning',
  rationale:
    'Sections accept extension fields, so a misspelled optional field is silently ignored unless lint points it out.',
  check(spec, _context, report) {
    rootShape ??= compileShape(schemaRoot);
    walk(spec, rootShape, [], report);
  },
};
