import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The compiled JavaScript file `name` next to the module at `moduleUrl`, for a worker thread.
 * Tests run the TypeScript sources, which a worker cannot load; they get the build in dist/.
 */
export function compiledWorkerFile(moduleUrl: string, name: string): string {
  const here = fileURLToPath(moduleUrl);
  const sibling = path.join(path.dirname(here), name);
  if (existsSync(sibling)) return sibling;
  const marker = `${path.sep}src${path.sep}`;
  const root = here.slice(0, here.lastIndexOf(marker));
  const relative = path.relative(path.join(root, 'src'), path.dirname(here));
  return path.join(root, 'dist', 'src', relative, name);
}
