// A real Docker engine for the docker action tests.
//
// Uses the engine at DOCKER_HOST or /var/run/docker.sock when one answers;
// otherwise, as root with Debian's docker.io installed, starts a private
// `dockerd` (no bridge, no iptables, its own socket/data/exec dirs under a
// temp dir). Either way it imports a tiny image made from /bin/busybox
// (busybox-static) and, when Debian's `docker-registry` is installed, serves
// that image from a registry on 127.0.0.1 for the pull-policy tests. Nothing
// is ever pulled from a public registry. `stop()` removes everything it made.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, copyFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';

export interface TestRegistry {
  /** host:port of the registry, e.g. 127.0.0.1:41234. */
  address: string;
  /** Pushes a local image under `<address>/<repo>:<tag>` and returns that reference. */
  push(localImage: string, repo: string, tag: string): Promise<string>;
}

export interface TestDocker {
  /** Value for DOCKER_HOST (unix://...). */
  dockerHost: string;
  docker: Docker;
  /** Local busybox image (`busybox` is its only binary, with sh/echo/cat/... links). */
  image: string;
  registry?: TestRegistry;
  /** How the engine was obtained, for log lines. */
  origin: 'existing' | 'started';
  startupMs: number;
  stop(): Promise<void>;
}

const BUSYBOX = '/bin/busybox';
const APPLETS = ['sh', 'echo', 'cat', 'sleep', 'env', 'ls', 'touch', 'mkdir', 'printf', 'true', 'false', 'test', 'yes'];

/** Starts (or finds) an engine; returns undefined with a loud message when none is possible. */
export async function startTestDocker(): Promise<TestDocker | undefined> {
  const started = Date.now();
  const existing = await existingEngine();
  const ownTmp = mkdtempSync(join(tmpdir(), 'hkd-'));
  let daemon: ChildProcess | undefined;
  let docker: Docker;
  let dockerHost: string;
  if (existing) {
    ({ docker, dockerHost } = existing);
  } else {
    const why = cannotStartReason();
    if (why) {
      rmSync(ownTmp, { recursive: true, force: true });
      skipLoudly(why);
      return undefined;
    }
    const own = await startDaemon(ownTmp);
    if (!own) {
      rmSync(ownTmp, { recursive: true, force: true });
      skipLoudly(`dockerd did not come up (see its log output above)`);
      return undefined;
    }
    ({ docker, dockerHost, daemon } = own);
  }

  const tag = randomBytes(4).toString('hex');
  const image = `hooker-test/busybox:${tag}`;
  await importBusybox(docker, ownTmp, image);

  let registryProc: ChildProcess | undefined;
  let registry: TestRegistry | undefined;
  if (commandExists('docker-registry')) {
    const r = await startRegistry(docker, ownTmp);
    registryProc = r?.proc;
    registry = r?.registry;
  } else {
    console.warn('\n!!! docker-registry is not installed: pull-policy tests will be skipped !!!\n');
  }

  const stop = async (): Promise<void> => {
    if (registryProc) await terminate(registryProc);
    if (existing) {
      // Only what this run made: our image tags and containers are removed by the tests.
      const images = await docker.listImages({ filters: { reference: [`*hooker-test/busybox:${tag}`, `*/hooker/busybox:${tag}`] } }).catch(() => []);
      for (const img of images) await docker.getImage(img.Id).remove({ force: true }).catch(() => undefined);
    }
    if (daemon) {
      await terminate(daemon, 15_000);
      unmountUnder(ownTmp);
    }
    rmSync(ownTmp, { recursive: true, force: true });
  };
  return { dockerHost, docker, image, registry, origin: existing ? 'existing' : 'started', startupMs: Date.now() - started, stop };
}

function skipLoudly(reason: string): void {
  console.warn(`\n${'!'.repeat(78)}\n!!! Docker tests SKIPPED: ${reason}\n!!! Install docker.io busybox-static docker-registry and run as root (scripts/ci-install-docker.sh).\n${'!'.repeat(78)}\n`);
}

function cannotStartReason(): string | undefined {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'no Docker engine is reachable and starting dockerd needs root';
  if (!commandExists('dockerd')) return 'no Docker engine is reachable and dockerd is not installed';
  if (!existsSync(BUSYBOX)) return `${BUSYBOX} (busybox-static) is missing`;
  return undefined;
}

function commandExists(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

async function existingEngine(): Promise<{ docker: Docker; dockerHost: string } | undefined> {
  const host = process.env.DOCKER_HOST;
  let dockerHost: string;
  if (host?.startsWith('unix://')) dockerHost = host;
  else if (host) return undefined; // tcp engines are not used for tests (would not share our host paths)
  else if (existsSync('/var/run/docker.sock')) dockerHost = 'unix:///var/run/docker.sock';
  else return undefined;
  const docker = new Docker({ socketPath: dockerHost.slice('unix://'.length) });
  return (await pings(docker, 1_000)) ? { docker, dockerHost } : undefined;
}

async function pings(docker: Docker, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      await docker.ping();
      return true;
    } catch {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function startDaemon(dir: string): Promise<{ docker: Docker; dockerHost: string; daemon: ChildProcess } | undefined> {
  for (const driver of ['overlay2', 'vfs']) {
    const root = join(dir, driver);
    mkdirSync(root, { recursive: true });
    const socket = join(root, 'docker.sock');
    const log = openSync(join(root, 'dockerd.log'), 'a');
    const daemon = spawn('dockerd', [
      '--bridge=none', '--iptables=false', '--ip6tables=false',
      `--data-root=${join(root, 'data')}`, `--exec-root=${join(root, 'exec')}`, `--pidfile=${join(root, 'dockerd.pid')}`,
      `--storage-driver=${driver}`, '-H', `unix://${socket}`,
    ], { stdio: ['ignore', log, log] });
    let exited = false;
    daemon.once('exit', () => { exited = true; });
    const docker = new Docker({ socketPath: socket });
    const deadline = Date.now() + 20_000;
    let up = false;
    while (!exited && Date.now() < deadline) {
      if (await pings(docker, 0)) { up = true; break; }
      await new Promise((r) => setTimeout(r, 50));
    }
    if (up) return { docker, dockerHost: `unix://${socket}`, daemon };
    console.warn(`dockerd with --storage-driver=${driver} failed:\n${readFileSync(join(root, 'dockerd.log'), 'utf8').split('\n').slice(-15).join('\n')}`);
    await terminate(daemon);
    unmountUnder(root);
  }
  return undefined;
}

async function importBusybox(docker: Docker, dir: string, image: string): Promise<void> {
  const rootfs = join(dir, 'rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  mkdirSync(join(rootfs, 'tmp'), { recursive: true });
  mkdirSync(join(rootfs, 'data'), { recursive: true });
  if (!existsSync(join(rootfs, 'bin', 'busybox'))) {
    copyFileSync(BUSYBOX, join(rootfs, 'bin', 'busybox'));
    for (const applet of APPLETS) symlinkSync('busybox', join(rootfs, 'bin', applet));
  }
  const tarPath = join(dir, 'rootfs.tar');
  const tar = spawnSync('tar', ['-C', rootfs, '-cf', tarPath, '.']);
  if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr.toString()}`);
  const [repo, tag] = image.split(':');
  const stream = await docker.importImage(createReadStream(tarPath), { repo, tag, changes: ['ENV PATH=/bin'] });
  await followProgress(docker, stream);
}

function followProgress(docker: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, output: Array<{ error?: string }>) => {
      const failed = err ?? output.find((o) => o.error);
      if (failed) reject(failed instanceof Error ? failed : new Error(String((failed as { error?: string }).error)));
      else resolve();
    });
  });
}

async function startRegistry(docker: Docker, dir: string): Promise<{ proc: ChildProcess; registry: TestRegistry } | undefined> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const config = join(dir, 'registry.yml');
  writeFileSync(config, [
    'version: 0.1',
    'log:',
    '  level: error',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'registry')}`,
    'http:',
    `  addr: ${address}`,
    `  secret: ${randomBytes(16).toString('hex')}`,
    '',
  ].join('\n'));
  const log = openSync(join(dir, 'registry.log'), 'a');
  const proc = spawn('docker-registry', ['serve', config], { stdio: ['ignore', log, log] });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://${address}/v2/`);
      if (res.ok) break;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  const registry: TestRegistry = {
    address,
    async push(localImage, repo, tag) {
      const ref = `${address}/${repo}:${tag}`;
      await docker.getImage(localImage).tag({ repo: `${address}/${repo}`, tag });
      // The engine insists on an X-Registry-Auth header even for an open registry.
      const stream = await docker.getImage(ref).push({ authconfig: { serveraddress: address } });
      await followProgress(docker, stream);
      return ref;
    },
  };
  return { proc, registry };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function terminate(proc: ChildProcess, graceMs = 5_000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    proc.once('exit', () => { clearTimeout(timer); resolve(); });
    proc.kill('SIGTERM');
  });
}

/** dockerd normally unmounts on shutdown; this catches what a crash leaves behind. */
function unmountUnder(dir: string): void {
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n')
    .map((l) => l.split(' ')[1])
    .filter((m): m is string => !!m && m.startsWith(dir))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
}

export interface AuthRegistry extends TestRegistry {
  username: string;
  password: string;
  /** A .dockerconfigjson document holding the credentials. */
  dockerConfigJson: string;
  stop(): Promise<void>;
}

/**
 * A second local registry that requires basic auth (htpasswd, bcrypt hashed
 * with Python's crypt module). Undefined, with a loud message, when
 * docker-registry or a bcrypt implementation is missing.
 */
export async function startAuthRegistry(engine: TestDocker, username = 'hooker-robot', password = randomBytes(12).toString('hex')): Promise<AuthRegistry | undefined> {
  if (!commandExists('docker-registry')) { console.warn('\n!!! docker-registry is not installed: registry credential tests will be skipped !!!\n'); return undefined; }
  const hash = spawnSync('python3', ['-W', 'ignore', '-c', 'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))', password], { encoding: 'utf8' });
  if (hash.status !== 0 || !hash.stdout.startsWith('$2')) { console.warn('\n!!! no bcrypt (python3 crypt): registry credential tests will be skipped !!!\n'); return undefined; }
  const dir = mkdtempSync(join(tmpdir(), 'hkr-'));
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  writeFileSync(join(dir, 'htpasswd'), `${username}:${hash.stdout.trim()}\n`);
  const config = join(dir, 'registry.yml');
  writeFileSync(config, [
    'version: 0.1', 'log:', '  level: error', 'storage:', '  filesystem:', `    rootdirectory: ${join(dir, 'data')}`,
    'auth:', '  htpasswd:', '    realm: hooker-test', `    path: ${join(dir, 'htpasswd')}`,
    'http:', `  addr: ${address}`, `  secret: ${randomBytes(16).toString('hex')}`, '',
  ].join('\n'));
  const log = openSync(join(dir, 'registry.log'), 'a');
  const proc = spawn('docker-registry', ['serve', config], { stdio: ['ignore', log, log] });
  const deadline = Date.now() + 10_000;
  let up = false;
  while (!up && Date.now() < deadline) {
    // 401 is the answer of a registry that is up and wants credentials.
    try { up = (await fetch(`http://${address}/v2/`)).status === 401; } catch { /* not up yet */ }
    if (!up) await new Promise((r) => setTimeout(r, 50));
  }
  const authconfig = { username, password, serveraddress: address };
  return {
    address, username, password,
    dockerConfigJson: JSON.stringify({ auths: { [address]: { auth: Buffer.from(`${username}:${password}`).toString('base64') } } }),
    async push(localImage, repo, tag) {
      const ref = `${address}/${repo}:${tag}`;
      await engine.docker.getImage(localImage).tag({ repo: `${address}/${repo}`, tag });
      const stream = await engine.docker.getImage(ref).push({ authconfig });
      await followProgress(engine.docker, stream);
      return ref;
    },
    async stop() {
      await terminate(proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
