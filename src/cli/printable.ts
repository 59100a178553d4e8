/**
 * Text from a registry, made safe to print on a terminal (issue 13, terminal injection): control
 * characters (C0 but the line break, DEL, C1), bidirectional overrides and isolates, zero-width
 * characters and the byte order mark are written as `\u{…}` instead of being sent to the
 * terminal, where they could move the cursor, recolour or reorder text, or hide a look-alike.
 */
/** Whether code point `c` is one a terminal would act on or hide. */
function unprintable(c: number): boolean {
  return (
    (c < 0x20 && c !== 0x0a) ||
    (c >= 0x7f && c <= 0x9f) ||
    c === 0x061c ||
    (c >= 0x200b && c <= 0x200f) ||
    (c >= 0x2028 && c <= 0x202e) ||
    (c >= 0x2060 && c <= 0x2069) ||
    c === 0xfeff
  );
}

export function printable(text: string): string {
  let out = '';
  for (const character of text) {
    const c = character.codePointAt(0) ?? 0;
    out += unprintable(c) ? `\\u{${c.toString(16).padStart(4, '0')}}` : character;
  }
  return out;
}
