/**
 * Bundles test/browser/verifier-entry.ts for a browser with esbuild (`platform: 'browser'`,
 * ESM). A static import or require of a Node.js builtin anywhere in the bundle's graph fails
 * the build, naming the importer: the pure layers must not need Node.js. A dynamic `import()`
 * of a builtin is the one allowed shape (a runtime feature probe that rejects in a browser and
 * falls back); it is left external and reported, so the test can pin the list.
 */
import { build, type Plugin } from 'esbuild';
import { statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const ENTRY = path.join(ROOT, 'test/browser/verifier-entry.ts');

export interface BrowserBundle {
  readonly file: string;
  readonly bytes: number;
  /** The source files in the bundle, relative to the repository (esbuild's metafile). */
  readonly inputs: string[];
  /** `importer -> builtin` for each dynamic import of a Node.js builtin (left to fail at run time). */
  readonly dynamicBuiltins: string[];
}

const BUILTINS = new Set(builtinModules);

function isBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || BUILTINS.has(specifier.split('/')[0] ?? specifier);
}

function nodeBuiltinGuard(dynamicBuiltins: string[]): Plugin {
  return {
    name: 'node-builtin-guard',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /.*/ }, (args) => {
        if (!isBuiltin(args.path)) return undefined;
        const importer = path.relative(ROOT, args.importer);
        if (args.kind === 'dynamic-import') {
          dynamicBuiltins.push(`${importer} -> ${args.path}`);
          return { path: args.path, external: true };
        }
        return {
          errors: [
            {
              text: `${importer} imports the Node.js builtin "${args.path}" (${args.kind}): code bundled for the browser verifier must not need Node.js`,
            },
          ],
        };
      });
    },
  };
}

/** Builds the verifier bundle (or `entry`) into `outDir`; rejects with esbuild's errors. */
export async function bundleVerifier(outDir: string, entry = ENTRY): Promise<BrowserBundle> {
  const file = path.join(outDir, 'verifier.js');
  const dynamicBuiltins: string[] = [];
  const result = await build({
    entryPoints: [entry],
    outfile: file,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: false,
    logLevel: 'silent',
    metafile: true,
    // The shared JSON and digest layers from the governance package's sources, as vitest runs them.
    conditions: ['matriz-source'],
    plugins: [nodeBuiltinGuard(dynamicBuiltins)],
  });
  return {
    file,
    bytes: statSync(file).size,
    inputs: Object.keys(result.metafile.inputs).sort(),
    dynamicBuiltins: dynamicBuiltins.sort(),
  };
}
