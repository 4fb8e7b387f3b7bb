// Runs once before the suite: the e2e tests start real `hooker` processes from
// the built CLI (bin/hooker.js -> dist/), as users run it. Compiling the
// sources with tsx in every child took 2–150 s per start on a loaded machine,
// so the build is brought up to date here instead, once: dist/ when a source
// file is newer than it (and dist/bundle, the bundled CLI, when dist/ is newer
// than it), build/runtime.wasm when the runtime's sources are.
// dist/ui-app when the console's sources are.
// `npm ci` builds them all, so on a fresh clone (CI) this does nothing.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const runtimeSources = join(repo, 'src/rego/runtime/assembly');

function newestMtime(dir: string, skip?: string, ext = /\.ts$/): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (path === skip) continue;
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path, skip, ext));
    else if (ext.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function mtime(path: string): number {
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}

function run(script: string, args: string[]): void {
  execFileSync(process.execPath, [join(repo, script), ...args], { cwd: repo, stdio: 'inherit' });
}

export default function setup(): void {
  const runtimeWasm = join(repo, 'build/runtime.wasm');
  const runtimeNewest = Math.max(newestMtime(runtimeSources), mtime(join(repo, 'scripts/build-runtime.mjs')));
  // build/runtime-linkable.wasm is written by the same script (older builds lack it).
  const linkable = join(repo, 'build/runtime-linkable.wasm');
  if (mtime(runtimeWasm) < runtimeNewest || mtime(linkable) < mtime(runtimeWasm)) run('scripts/build-runtime.mjs', []);
  const cliMain = join(repo, 'dist/cli/main.js');
  if (mtime(cliMain) < newestMtime(join(repo, 'src'), runtimeSources)) {
    run('node_modules/typescript/bin/tsc', ['-p', 'tsconfig.build.json']);
  }
  // The bundled CLI that bin/hooker.js runs when it is newer than dist/cli/main.js (scripts/bundle-cli.mjs), as deployed.
  if (mtime(join(repo, 'dist/bundle/main.js')) < Math.max(mtime(cliMain), mtime(join(repo, 'scripts/bundle-cli.mjs')))) run('scripts/bundle-cli.mjs', []);
  // The web console's single-page app (served from dist/ui-app by the server).
  const uiSources = join(repo, 'src/ui/app');
  const uiNewest = Math.max(newestMtime(uiSources, undefined, /\.(tsx?|css|html)$/), mtime(join(repo, 'scripts/build-ui.mjs')));
  if (mtime(join(repo, 'dist/ui-app/index.html')) < uiNewest) {
    // A worktree whose node_modules predate the console's packages runs every other test still.
    if (existsSync(join(repo, 'node_modules/preact/package.json'))) run('scripts/build-ui.mjs', []);
    else process.stderr.write('global-setup: node_modules has no preact (run npm install): the console is not built, test/ui will fail\n');
  }
}
