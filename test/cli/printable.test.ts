import { describe, expect, it } from 'vitest';
import { printable } from '../../src/cli/printable.js';

describe('printable: registry text made safe for a terminal', () => {
  it('escapes control, bidirectional and zero-width characters, and keeps line breaks and ordinary text', () => {
    expect(printable('node@1.0.0\tcore')).toBe('node@1.0.0\\u{0009}core');
    expect(printable('a\u001b[31mred')).toBe('a\\u{001b}[31mred');
    expect(printable('evil\u202egnp.exe')).toBe('evil\\u{202e}gnp.exe');
    expect(printable('pay\u200bpal \u0000 \u009b \ufeff')).toBe(
      'pay\\u{200b}pal \\u{0000} \\u{009b} \\u{feff}',
    );
    expect(printable('line one\nline two, naïve café 🚀')).toBe(
      'line one\nline two, naïve café 🚀',
    );
  });
});
