/**
 * matriz/verify may use only the pure layers (src/log, src/trust, src/crypto, src/json) and no
 * Node.js I/O module. ESLint's layering rule does not cover src/verify yet, so this test reads
 * every import of every file the export reaches, transitively.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');
const ALLOWED = /^(verify|log|trust|crypto|json)\//;
const IMPORT = /(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g;

function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  return [...source.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? '');
}

describe('matriz/verify layering', () => {
  it('reaches only pure layers and no Node.js I/O module from src/verify/index.ts', () => {
    const seen = new Set<string>();
    const outside: string[] = [];
    const queue = [path.join(SRC, 'verify/index.ts')];
    while (queue.length > 0) {
      const file = queue.pop() ?? '';
      if (seen.has(file)) continue;
      seen.add(file);
      for (const specifier of importsOf(file)) {
        if (/^(node:)?(fs|net|http|https|child_process)(\/|$)/.test(specifier))
          outside.push(`${path.relative(SRC, file)} -> ${specifier}`);
        if (!specifier.startsWith('.')) continue;
        const target = path.resolve(path.dirname(file), specifier).replace(/\.js$/, '.ts');
        const relative = path.relative(SRC, target);
        if (!ALLOWED.test(relative)) outside.push(`${path.relative(SRC, file)} -> ${relative}`);
        else queue.push(target);
      }
    }
    expect(seen.size).toBeGreaterThan(10);
    expect(outside).toStrictEqual([]);
  });
});
