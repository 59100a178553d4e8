/** JSON Pointer (RFC 6901) helpers. */

/** Appends one reference token to a pointer, escaping `~` and `/` (RFC 6901, section 3). */
export function appendPointer(pointer: string, token: string | number): string {
  if (typeof token === 'number') return `${pointer}/${token}`;
  if (!token.includes('~') && !token.includes('/')) return `${pointer}/${token}`;
  return `${pointer}/${token.replaceAll('~', '~0').replaceAll('/', '~1')}`;
}

/** Splits a pointer into its unescaped reference tokens (RFC 6901, section 4). */
export function pointerTokens(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/**
 * Renders a pointer the way people write field paths: `/interfaces/inputs/0/name` becomes
 * `interfaces.inputs[0].name`. The empty pointer is "the document".
 */
export function fieldPath(pointer: string): string {
  const tokens = pointerTokens(pointer);
  if (tokens.length === 0) return 'the document';
  let path = '';
  for (const token of tokens) {
    if (/^(0|[1-9]\d*)$/.test(token)) path += `[${token}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(token)) path += path === '' ? token : `.${token}`;
    else path += `[${JSON.stringify(token)}]`;
  }
  return path;
}
