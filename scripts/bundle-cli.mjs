// Bundles the `hooker` command (dist/cli/main.js, tsc's output, and every
// module of dist/ it imports) into dist/bundle/: main.js with what every
// command loads, and a chunk per part loaded on demand (a dynamic import()
// stays one: the subcommands, the PostgreSQL store, ...). bin/hooker.js runs
// dist/bundle/main.js when it is there and newer than dist/cli/main.js.
// Run by `npm run build:ts` (and so by `npm run build` and `npm ci`).
//
// Why: on Node 20, which has no module compile cache, loading the server's
// ~280 modules of dist/ and ~350 files of its packages one by one was about
// half of the time from spawn to the first /ping (issue 12, target 4); a few
// files skip their resolution, reads and per-module instantiation.
//
// What stays as it was: packages are bundled except the ones below (native
// addons, WebAssembly read from their own directory, the libraries
// src/lazy-libraries.ts loads on first use, and Fastify's schema compilers
// that src/server/lazy-schema-compilers.ts requires from where Fastify is
// installed). Each dist/ module keeps its own `import.meta.url` (rewritten to
// its dist/ file's URL), so paths derived from it (build/runtime.wasm, the
// bundled templates, worker threads' entry files, the wasm cache's compiler
// identity) are the same as without the bundle; worker threads still load
// their entries from dist/.
//
// Rolldown (Vite's bundler), not esbuild: esbuild turns every module's
// top-level `const` into `var` when it bundles, and V8 optimises reads of a
// mutable binding less well (the JSON shape pass, whose states are top-level
// constants, took 4.45 against 4.25 µs per event in a micro-benchmark; held
// ingest 157 against 148 µs of CPU per event, medians of 8 and 7 runs).
// Rolldown keeps declarations as written.
import { readdir, rm, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { rolldown } from 'rolldown';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const entry = `${dist}cli/main.js`;
// `node scripts/bundle-cli.mjs [DIR]`: another directory under dist/ (tests); packages resolve from the repository's node_modules.
const outdir = resolve(process.argv[2] ?? `${dist}bundle`);
if (!outdir.startsWith(dist) || outdir === resolve(dist)) throw new Error(`bundle-cli: ${outdir} is not a directory under ${dist}`);

/** Loaded at run time from node_modules, as before (a package name stands for its subpaths too). */
const external = [
  // native addons (src/store/sqlite/driver.ts picks one by Node version)
  'better-sqlite3', 'better-sqlite3-napi', 'pg', 'pg-native',
  // reads its wasm helpers relative to its own files
  '@open-policy-agent/opa-wasm', 'binaryen',
  // src/lazy-libraries.ts: loaded on first use (its require through createRequire stays a run-time require)
  'undici', '@kubernetes/client-node', 'nats', 'dockerode', 'nodemailer', 'graphql', 're2js', 'inspecjs',
  // Fastify's schema compilers: src/server/lazy-schema-compilers.ts requires them from Fastify's directory on first use
  '@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler',
  // the test-only TypeScript loader named by the worker threads' bootstraps
  'tsx',
];
const isExternal = (id) => id.startsWith('node:') || id.startsWith('@aws-sdk/') || external.some((e) => id === e || id.startsWith(`${e}/`));

/** Each dist/ module's import.meta.url as its own file's URL (chunks are written flat into outdir: one relative path fits every chunk). */
const keepOwnUrl = {
  name: 'dist-import-meta-url',
  transform(code, id) {
    if (!id.startsWith(dist) || !code.includes('import.meta.url')) return null;
    const rel = relative(outdir, id).split('\\').join('/');
    return { code: code.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`), map: null };
  },
};

const started = performance.now();
// Chunks are named by content hash: the previous build's would pile up.
await rm(outdir, { recursive: true, force: true });
const bundle = await rolldown({ input: entry, platform: 'node', external: isExternal, plugins: [keepOwnUrl], logLevel: 'warn' });
await bundle.write({
  dir: outdir,
  format: 'esm',
  entryFileNames: '[name].js',
  chunkFileNames: 'chunk-[hash].js',
  // No banner defining `require`: for bundled CommonJS packages rolldown adds its own (createRequire of the chunk's
  // URL), and a chunk whose one module declares a top-level `require` (src/lazy-libraries.ts, driver.ts) would not load.
  // Read only with --enable-source-maps.
  sourcemap: true,
});
await bundle.close();
const files = await readdir(outdir);
let bytes = 0;
for (const f of files) bytes += (await stat(join(outdir, f))).size;
console.log(`bundled ${pathToFileURL(entry).href} into ${relative(process.cwd(), outdir)}/ (${files.length} files, ${(bytes / 1024 / 1024).toFixed(1)} MiB) in ${(performance.now() - started).toFixed(0)} ms`);
