#!/usr/bin/env node
// The `hooker` command: built by `npm ci` (prepare) into dist/.
// dist/bundle/main.js (scripts/bundle-cli.mjs) is the same program in a few
// files, which starts faster; it is used only when it was built after
// dist/cli/main.js, so a later `tsc` alone never runs a stale bundle.
import { statSync } from 'node:fs';

const mtime = (path) => { try { return statSync(new URL(path, import.meta.url)).mtimeMs; } catch { return undefined; } };
const bundled = mtime('../dist/bundle/main.js');
const { main } = await import(bundled !== undefined && bundled >= (mtime('../dist/cli/main.js') ?? Infinity) ? '../dist/bundle/main.js' : '../dist/cli/main.js');

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  },
);
