/**
 * Bundles test/browser/verifier-entry.ts for a browser with Rolldown (`platform: 'browser'`,
 * ESM; Rolldown is the bundler vitest's Vite is built on, so it is already installed). A static
 * import or require of a Node.js builtin anywhere in the bundle's graph fails the build, naming
 * the importer: the pure layers must not need Node.js. A dynamic `import()` of a builtin is the
 * one allowed shape (a runtime feature probe that rejects in a browser and falls back); it is
 * left external and reported, so the test can pin the list.
 */
import { statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { rolldown, type Plugin } from 'rolldown';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const ENTRY = path.join(ROOT, 'test/browser/verifier-entry.ts');

export interface BrowserBundle {
  readonly file: string;
  readonly bytes: number;
  /** The source files in the bundle, relative to the repository. */
  readonly inputs: string[];
  /** `importer -> builtin` for each dynamic import of a Node.js builtin (left to fail at run time). */
  readonly dynamicBuiltins: string[];
}

const BUILTINS = new Set(builtinModules);

function isBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || BUILTINS.has(specifier.split('/')[0] ?? specifier);
}

/**
 * @oqs/liboqs-js loads each algorithm's WebAssembly module with `import()` of a path relative to
 * itself (`../../../../dist/ml-dsa-44.min.js`), which a page serves beside the bundle. Rolldown
 * would bundle all of them (it resolves the constant path); they stay external, as written.
 */
const liboqsModules: Plugin = {
  name: 'liboqs-modules-external',
  resolveId(source, importer) {
    if (importer?.includes('/@oqs/liboqs-js/src/') && /\/dist\/[\w.-]+\.js$/.test(source))
      return { id: source, external: true };
    return null;
  },
};

function nodeBuiltinGuard(dynamicBuiltins: string[]): Plugin {
  return {
    name: 'node-builtin-guard',
    resolveId(source, importer, { kind }) {
      if (!isBuiltin(source)) return null;
      const from = path.relative(ROOT, importer ?? '');
      if (kind === 'dynamic-import') {
        dynamicBuiltins.push(`${from} -> ${source}`);
        return { id: source, external: true };
      }
      this.error(
        `${from} imports the Node.js builtin "${source}" (${kind}): code bundled for the browser verifier must not need Node.js`,
      );
    },
  };
}

/** Builds the verifier bundle (or `entry`) into `outDir`; rejects with the bundler's errors. */
export async function bundleVerifier(outDir: string, entry = ENTRY): Promise<BrowserBundle> {
  const file = path.join(outDir, 'verifier.js');
  const dynamicBuiltins: string[] = [];
  const bundle = await rolldown({
    input: entry,
    platform: 'browser',
    logLevel: 'silent',
    transform: { target: 'es2022' },
    // The shared JSON and digest layers from the governance package's sources, as vitest runs them.
    resolve: { conditionNames: ['matriz-source', 'browser', 'import', 'module', 'default'] },
    plugins: [liboqsModules, nodeBuiltinGuard(dynamicBuiltins)],
  });
  try {
    const { output } = await bundle.write({
      file,
      format: 'esm',
      minify: true,
      sourcemap: false,
      codeSplitting: false,
    });
    const moduleIds = output.flatMap((chunk) => (chunk.type === 'chunk' ? chunk.moduleIds : []));
    return {
      file,
      bytes: statSync(file).size,
      inputs: moduleIds
        .filter((id) => path.isAbsolute(id))
        .map((id) => path.relative(ROOT, id))
        .sort(),
      dynamicBuiltins: dynamicBuiltins.sort(),
    };
  } finally {
    await bundle.close();
  }
}
