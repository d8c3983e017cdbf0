// Bundles the CLI (run by `npm run build`, after tsc has type-checked and
// emitted dist/). Two builds of the same src/cli/main.ts:
//
// - dist/bundle/plain.cjs: one CommonJS file for the plain commands (maps,
//   arenas, report, strings, dump). Node 20 loads ES modules through an
//   asynchronous resolve/read/link pipeline, file by file; `strings --region`
//   started ~11 ms later from the split ES build below than from one CommonJS
//   file, in a command timed against a gdb pipeline
//   (scripts/bench/strings-scan.mjs). The interactive view is not in it: the
//   import of src/tui/run.tsx is replaced by a module that throws, and the
//   build fails if anything in it reaches Ink or React.
// - dist/bundle/esm/: the whole CLI as ES modules, split per command, for the
//   interactive view and `demo` (Ink is ESM-only, with top-level await, so
//   CommonJS cannot load it).
//
// bin/arenascope.js picks one per run; a process only ever loads one of the
// two, so module state (the cleanup registry, the addon) is never doubled.
// commander is bundled into both (eight CommonJS files otherwise); other
// packages stay external (`bindings` locates the addon at run time).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outRoot = join(root, 'dist', 'bundle');
rmSync(outRoot, { recursive: true, force: true });

/** Leaves every bare import (a package) to Node at run time, except `bundled`. */
function externalPackagesBut(bundled) {
  return {
    name: 'external-packages',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
        return bundled.includes(name) ? undefined : { path: args.path, external: true };
      });
    },
  };
}

/** The plain-command build: no TUI, and a build error if Ink or React is reached. */
const withoutTui = {
  name: 'without-tui',
  setup(b) {
    b.onResolve({ filter: /\/tui\/run\.js$/ }, () => ({ path: 'tui-not-bundled', namespace: 'without-tui' }));
    b.onLoad({ filter: /.*/, namespace: 'without-tui' }, () => ({
      contents: "throw new Error('internal: the interactive view is not in the plain-command bundle (bin/arenascope.js chose the wrong build)');",
      loader: 'js',
    }));
    b.onResolve({ filter: /^(ink|react)(\/|$)/ }, (args) => ({
      errors: [{ text: `${args.importer} imports ${args.path}: plain commands must not load the TUI` }],
    }));
  },
};

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
};

await build({
  ...common,
  entryPoints: ['src/cli/main.ts'],
  outfile: join(outRoot, 'plain.cjs'),
  format: 'cjs',
  // Modules find the package root from their own URL (src/util/packageRoot.ts).
  define: { 'import.meta.url': '__arenascopeModuleUrl' },
  banner: { js: "const __arenascopeModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [withoutTui, externalPackagesBut(['commander'])],
});

const commands = ['arenas', 'demo', 'dump', 'maps', 'report', 'strings'];
await build({
  ...common,
  entryPoints: ['src/cli/main.ts', 'src/tui/run.tsx', ...commands.map((c) => `src/commands/${c}.ts`)],
  outbase: 'src',
  outdir: join(outRoot, 'esm'),
  entryNames: '[dir]/[name]',
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  format: 'esm',
  // Bundled CommonJS (commander) calls require() for Node's own modules.
  banner: { js: "import { createRequire as __arenascopeRequire } from 'node:module'; const require = __arenascopeRequire(import.meta.url);" },
  plugins: [externalPackagesBut(['commander'])],
});
