/**
 * JSON Canonicalization Scheme, RFC 8785 (JCS).
 *
 * - Object members are sorted by their names compared as arrays of UTF-16 code units
 *   (section 3.2.3), recursively.
 * - Numbers are serialized as ECMAScript's Number.prototype.toString does (section 3.2.2.3),
 *   which is what `JSON.stringify` does for finite numbers; `-0` becomes `0`.
 * - Strings use the minimal escaping of section 3.2.2.2, which is `JSON.stringify`'s (ES2019+
 *   "well-formed JSON.stringify"); lone surrogates are refused, as I-JSON requires.
 * - No whitespace (section 3.2.1).
 *
 * `formatCanonical` writes the same member order and number and string forms with two-space
 * indentation: the project's human-readable canonical file form (`matriz nodespec fmt`).
 */

export class CanonicalizationError extends Error {
  constructor(
    message: string,
    readonly pointer: string,
  ) {
    super(message);
    this.name = 'CanonicalizationError';
  }
}

/** Returns the RFC 8785 canonical JSON text of `value`. Throws CanonicalizationError. */
export function canonicalize(value: unknown): string {
  return withPointers((pointer) => serialize(value, pointer, null, ''));
}

/** Canonical member order and value forms, indented by two spaces, with one final LF. */
export function formatCanonical(value: unknown): string {
  return `${withPointers((pointer) => serialize(value, pointer, '', ''))}\n`;
}

/**
 * Serializes without building JSON Pointers (the hot path); if that fails, serializes again
 * with them, so the error names where (the output is deterministic, so the same error recurs).
 */
function withPointers(run: (pointer: string | null) => string): string {
  try {
    return run(null);
  } catch (error) {
    if (error instanceof CanonicalizationError) return run('');
    throw error;
  }
}

const LONE_SURROGATE = /\p{Surrogate}/u;
/** Any surrogate code unit, paired or not: a fast scan that rules most strings out. */
const ANY_SURROGATE = /[\ud800-\udfff]/;

/** `pointer` is null when not tracked (errors then carry '' until the tracked rerun). */
function serialize(
  value: unknown,
  pointer: string | null,
  indent: string | null,
  currentIndent: string,
): string {
  switch (typeof value) {
    case 'string':
      if (ANY_SURROGATE.test(value) && LONE_SURROGATE.test(value)) {
        throw new CanonicalizationError(
          'string contains a lone UTF-16 surrogate (RFC 8785 section 3.2.2.2)',
          pointer ?? '',
        );
      }
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) {
        throw new CanonicalizationError(
          `${String(value)} is not a JSON number (RFC 8785 section 3.2.2.3)`,
          pointer ?? '',
        );
      }
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return serializeArray(value, pointer, indent, currentIndent);
      return serializeObject(value as Record<string, unknown>, pointer, indent, currentIndent);
    default:
      throw new CanonicalizationError(
        `a ${typeof value} cannot be represented in JSON`,
        pointer ?? '',
      );
  }
}

function serializeArray(
  array: readonly unknown[],
  pointer: string | null,
  indent: string | null,
  currentIndent: string,
): string {
  if (array.length === 0) return '[]';
  const inner = indent === null ? null : `${currentIndent}  `;
  const items = array.map((item, index) =>
    serialize(item, pointer === null ? null : `${pointer}/${index}`, indent, inner ?? ''),
  );
  if (inner === null) return `[${items.join(',')}]`;
  return `[\n${inner}${items.join(`,\n${inner}`)}\n${currentIndent}]`;
}

function serializeObject(
  object: Record<string, unknown>,
  pointer: string | null,
  indent: string | null,
  currentIndent: string,
): string {
  const prototype: unknown = Object.getPrototypeOf(object);
  if (prototype !== Object.prototype && prototype !== null) {
    throw new CanonicalizationError('only plain objects can be represented in JSON', pointer ?? '');
  }
  // Default sort compares UTF-16 code units, exactly RFC 8785 section 3.2.3.
  const keys = Object.keys(object).sort();
  const inner = indent === null ? null : `${currentIndent}  `;
  const members: string[] = [];
  for (const key of keys) {
    const member = object[key];
    // JSON.stringify drops undefined members; so do we, so canonical forms of the same data agree.
    if (member === undefined) continue;
    const memberPointer =
      pointer === null ? null : `${pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    const name = serialize(key, memberPointer, null, '');
    const body = serialize(member, memberPointer, indent, inner ?? '');
    members.push(inner === null ? `${name}:${body}` : `${name}: ${body}`);
  }
  if (members.length === 0) return '{}';
  if (inner === null) return `{${members.join(',')}}`;
  return `{\n${inner}${members.join(`,\n${inner}`)}\n${currentIndent}}`;
}
