import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directory of the installed `matriz` package (works from `src/` and from `dist/src/`).
 * `dist/` holds a copy of package.json (the compiler emits imported JSON), so the root is
 * recognised by its `bin/matriz.js` too.
 */
export function packageRoot(): string {
  let directory = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(directory, 'package.json');
    if (
      existsSync(path.join(directory, 'bin', 'matriz.js')) &&
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'matriz'
    ) {
      return directory;
    }
    const parent = path.dirname(directory);
    if (parent === directory) throw new Error('cannot find the matriz package root');
    directory = parent;
  }
}
