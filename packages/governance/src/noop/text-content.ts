/**
 * Checks on the decoded text of both versions that hold whatever the language: binary content is
 * never compared as text; a byte order mark, invisible or unusual space characters (Trojan Source,
 * CVE-2021-42574; a no-break space is a SyntaxError in Python) and the line endings of a script
 * run through its shebang line (`/bin/sh^M: bad interpreter`) are substance.
 */
const fatalDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Git's heuristic (`buffer_is_binary`): a NUL byte in the first 8000 bytes; we also refuse bytes that are not UTF-8. */
export function decodeText(bytes: Uint8Array): string | undefined {
  const probe = bytes.subarray(0, 8000);
  if (probe.includes(0)) return undefined;
  try {
    return fatalDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}

export function hasByteOrderMark(text: string): boolean {
  return text.charCodeAt(0) === 0xfeff;
}

/**
 * Characters a reader cannot see or tell from a space: no-break and typographic spaces, zero-width
 * characters, bidirectional controls, soft hyphen, BOM inside the text, line/paragraph separators.
 */
/** Inclusive code point ranges. */
const INVISIBLE_RANGES: readonly (readonly [number, number])[] = [
  [0x00a0, 0x00a0], // no-break space
  [0x00ad, 0x00ad], // soft hyphen
  [0x034f, 0x034f], // combining grapheme joiner
  [0x061c, 0x061c], // Arabic letter mark
  [0x115f, 0x1160], // Hangul fillers
  [0x1680, 0x1680], // Ogham space mark
  [0x17b4, 0x17b5], // Khmer inherent vowels
  [0x180e, 0x180e], // Mongolian vowel separator
  [0x2000, 0x200f], // typographic spaces, zero-width space/joiners, LRM/RLM
  [0x2028, 0x202f], // line/paragraph separators, bidi embeddings and overrides, narrow NBSP
  [0x205f, 0x206f], // medium math space, word joiner, invisible operators, bidi isolates
  [0x3000, 0x3000], // ideographic space
  [0x3164, 0x3164], // Hangul filler
  [0xfe00, 0xfe0f], // variation selectors
  [0xfeff, 0xfeff], // zero-width no-break space (a BOM inside the text)
  [0xffa0, 0xffa0], // halfwidth Hangul filler
];

function isInvisible(codePoint: number): boolean {
  return INVISIBLE_RANGES.some(([low, high]) => codePoint >= low && codePoint <= high);
}

/** The invisible characters of a text (after any leading BOM), in order, as hexadecimal code points. */
export function invisibleCharacters(text: string): string {
  const found: string[] = [];
  for (let i = hasByteOrderMark(text) ? 1 : 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xa0 && isInvisible(code)) found.push(code.toString(16));
  }
  return found.join(',');
}

/** The 1-based line of the first invisible character (after any leading BOM). */
export function firstInvisibleLine(text: string): number {
  let line = 1;
  for (let i = hasByteOrderMark(text) ? 1 : 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 10) line++;
    else if (code >= 0xa0 && isInvisible(code)) return line;
  }
  return 1;
}

export function isShebangScript(text: string): boolean {
  return text.startsWith('#!');
}

export function carriageReturns(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 13) count++;
  return count;
}
