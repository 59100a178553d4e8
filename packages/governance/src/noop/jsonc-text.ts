/**
 * JSON with comments and trailing commas (JSONC: `tsconfig.json`, `.vscode/*.json`,
 * `devcontainer.json`, `*.jsonc`), as TypeScript and VS Code read it. The comments are taken out
 * (to be compared as comments) and they and trailing commas are blanked with spaces, so offsets
 * and lines stay those of the original text and the rest parses as strict JSON.
 */
import type { SourceComment } from './comment-text.js';

export interface StrippedJsonc {
  readonly json: string;
  readonly comments: readonly SourceComment[];
}

const blank = (text: string): string => text.replace(/[^\n]/g, ' ');

export function stripJsonc(text: string): StrippedJsonc {
  const comments: SourceComment[] = [];
  let json = '';
  let i = 0;
  let lastSignificant = -1;
  while (i < text.length) {
    const ch = text.charAt(i);
    if (ch === '"') {
      let end = i + 1;
      while (end < text.length && text.charAt(end) !== '"' && text.charAt(end) !== '\n')
        end += text.charAt(end) === '\\' ? 2 : 1;
      json += text.slice(i, end + 1);
      lastSignificant = json.length - 1;
      i = end + 1;
      continue;
    }
    if (ch === '/' && (text.charAt(i + 1) === '/' || text.charAt(i + 1) === '*')) {
      const line = text.charAt(i + 1) === '/';
      const close = line ? text.indexOf('\n', i) : text.indexOf('*/', i + 2);
      const end = close < 0 ? text.length : line ? close : close + 2;
      const comment = text.slice(i, end);
      comments.push({ text: comment, syntax: line ? 'line' : 'block', offset: i, anchor: '' });
      json += blank(comment);
      i = end;
      continue;
    }
    if ((ch === '}' || ch === ']') && lastSignificant >= 0 && json.charAt(lastSignificant) === ',')
      json = `${json.slice(0, lastSignificant)} ${json.slice(lastSignificant + 1)}`;
    json += ch;
    if (!/\s/.test(ch)) lastSignificant = json.length - 1;
    i++;
  }
  return { json, comments };
}
