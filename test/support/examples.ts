import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

export const EXAMPLES_DIR = path.resolve(import.meta.dirname, '../../examples');

/** The bundled example NodeSpecs, by file name. */
export function exampleSources(): Map<string, string> {
  return new Map(
    readdirSync(EXAMPLES_DIR)
      .filter((name) => name.endsWith('.json'))
      .sort()
      .map((name) => [name, readFileSync(path.join(EXAMPLES_DIR, name), 'utf8')]),
  );
}

/** A fresh, mutable copy of an example. */
export function example(name: string): Record<string, any> {
  const source = exampleSources().get(name);
  if (source === undefined) throw new Error(`no example ${name}`);
  return JSON.parse(source) as Record<string, any>;
}
