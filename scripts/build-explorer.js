#!/usr/bin/env node
/**
 * Builds the web explorer (explorer/, docs/explorer.md) into dist/explorer/: one ES module
 * bundle (Rolldown, the bundler vitest's Vite is built on, already a dev dependency), its
 * stylesheet and index.html. Run by `npm run build` (so by `npm ci`'s prepare). The bundle may
 * not import a Node.js builtin statically (the pure layers must not need Node.js); the crypto
 * layer's dynamic `import()` probes of node:crypto stay external (they reject in a browser, and
 * the suites fall back), and liboqs is replaced by a stub: the explorer loads the pure
 * TypeScript backend (@noble) only.
 */
import { copyFileSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = path.join(ROOT, 'explorer');
const OUT = path.join(ROOT, 'dist', 'explorer');
const BUILTINS = new Set(builtinModules);

const isBuiltin = (specifier) =>
  specifier.startsWith('node:') || BUILTINS.has(specifier.split('/')[0] ?? specifier);

const LIBOQS_STUB = '\0liboqs-not-in-explorer';

/**
 * Static builtin imports fail the build; dynamic probes stay external. liboqs (WebAssembly, which
 * the CSP does not allow) is replaced by a module whose loaders reject: the explorer asks for the
 * noble backend only, so they are never called.
 */
const browserOnly = {
  name: 'explorer-browser-only',
  resolveId(source, importer, { kind }) {
    const from = path.relative(ROOT, importer ?? '');
    if (source.startsWith('@oqs/liboqs-js')) return LIBOQS_STUB;
    if (!isBuiltin(source)) return null;
    if (kind === 'dynamic-import') return { id: source, external: true };
    this.error(`${from} imports the Node.js builtin "${source}": the explorer runs in a browser`);
  },
  load(id) {
    if (id !== LIBOQS_STUB) return null;
    const names = [
      'createFalcon1024',
      'createFalcon512',
      'createMLDSA44',
      'createMLDSA65',
      'createMLDSA87',
    ];
    return names
      .map(
        (name) =>
          `export const ${name} = () => Promise.reject(new Error('liboqs is not part of the explorer'));`,
      )
      .join('\n');
  },
};

export async function buildExplorer(outDir = OUT) {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const bundle = await rolldown({
    input: path.join(SOURCE, 'main.tsx'),
    platform: 'browser',
    logLevel: 'warn',
    tsconfig: path.join(SOURCE, 'tsconfig.json'),
    // JSX: the automatic runtime of Preact, from explorer/tsconfig.json.
    transform: { target: 'es2022' },
    resolve: { conditionNames: ['matriz-source', 'browser', 'import', 'module', 'default'] },
    plugins: [browserOnly],
  });
  try {
    await bundle.write({
      file: path.join(outDir, 'app.js'),
      format: 'esm',
      minify: true,
      sourcemap: false,
      codeSplitting: false,
    });
  } finally {
    await bundle.close();
  }
  copyFileSync(path.join(SOURCE, 'index.html'), path.join(outDir, 'index.html'));
  copyFileSync(path.join(SOURCE, 'app.css'), path.join(outDir, 'app.css'));
  return { dir: outDir, bytes: statSync(path.join(outDir, 'app.js')).size };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  buildExplorer().then(
    ({ dir, bytes }) => {
      console.log(
        `explorer: ${path.relative(ROOT, dir)}/app.js ${(bytes / 1024).toFixed(0)} KiB in ${Date.now() - started} ms`,
      );
    },
    (error) => {
      console.error(`explorer: build failed: ${error.message}`);
      process.exitCode = 1;
    },
  );
}
