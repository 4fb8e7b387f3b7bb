// The Dockerfile, built and run as README shows, on a real Docker engine
// (test/support/dockerd.ts: our own dockerd, no bridge network). Nothing is
// pulled: the base image is made from this machine's Debian packages and
// Node 24 from the npm registry, and the app tree from the repository's own
// build (test/support/hooker-image.ts explains). Without a bridge the
// container shares the host's network (`--network host`) and listens on
// free loopback ports instead of publishing 8084.

import { readFileSync, mkdtempSync, writeFileSync, rmSync, existsSync, mkdirSync, chmodSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startTestDocker, type TestDocker } from '../support/dockerd.js';
import { buildAppImage, buildBaseImage, cannotBuildReason, docker, mountScratchTmpfs, nodePackage, NODE_MAJOR, REPO } from '../support/hooker-image.js';
import { startReceiver } from '../e2e/receiver.js';

const why = cannotBuildReason();
if (why) console.warn(`\n!!! image tests SKIPPED: ${why} !!!\n`);
// The engine's data root and scratch files live on a tmpfs when possible (os.tmpdir() follows TMPDIR).
const ram = why ? undefined : mountScratchTmpfs();
const diskTmp = process.env.TMPDIR;
if (ram) process.env.TMPDIR = ram.dir;
const engine: TestDocker | undefined = why ? undefined : await startTestDocker();
function releaseRam(): void {
  if (!ram) return;
  if (diskTmp === undefined) delete process.env.TMPDIR; else process.env.TMPDIR = diskTmp;
  ram.unmount();
}
if (!engine) releaseRam();
const describeEngine = engine ? describe : describe.skip;

const tracee = readFileSync(join(REPO, '..', 'shared', 'fixtures', 'tracee-trc1-finding.json'), 'utf8');
const tag = randomBytes(4).toString('hex');
const IMAGE = `hooker-test/hooker:${tag}`;

async function waitForPing(url: string, container: string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try { if ((await fetch(`${url}/ping`)).ok) return; } catch { /* not up yet */ }
    const state = docker(engine!.dockerHost, ['inspect', '-f', '{{.State.Running}}', container]).trim();
    if (state !== 'true') throw new Error(`container exited before answering /ping:\n${logs(container)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no /ping answer within ${ms} ms:\n${logs(container)}`);
}

/** The container's stdout and stderr, from the engine's json-file log (the test runs as root like dockerd). */
function logs(container: string): string {
  try {
    const path = docker(engine!.dockerHost, ['inspect', '-f', '{{.LogPath}}', container]).trim();
    return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { log: string }).log).join('');
  } catch (e) {
    return String(e);
  }
}

function httpsPing(port: number): Promise<{ status: number; issuer: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/ping', rejectUnauthorized: false }, (res) => {
      const cert = (res.socket as import('node:tls').TLSSocket).getPeerCertificate();
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, issuer: JSON.stringify(cert.issuer) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describeEngine('the Docker image, built from the Dockerfile and run as shipped', () => {
  let scratch: string;
  const containers: string[] = [];
  const volumes: string[] = [];

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'hooker-image-'));
    chmodSync(scratch, 0o755);
    const host = engine!.dockerHost;
    const t0 = Date.now();
    const node = nodePackage();
    const t1 = Date.now();
    buildBaseImage(host, `hooker-test/base:${tag}`, node);
    buildAppImage(host, `hooker-test/app:${tag}`);
    const t2 = Date.now();
    docker(host, ['build', '--network', 'none', '--build-arg', `BASE_IMAGE=hooker-test/base:${tag}`, '--build-arg', `APP_FROM=hooker-test/app:${tag}`, '-t', IMAGE, REPO]);
    console.info(`image test: engine ${engine!.origin} in ${engine!.startupMs} ms; node ${node.version} ${t1 - t0} ms; base and app images ${t2 - t1} ms; docker build ${Date.now() - t2} ms`);
  }, 900_000);

  afterAll(async () => {
    if (!engine) return;
    // A dockerd we started takes its containers, volumes and images with it.
    if (engine.origin === 'started') {
      const t = Date.now();
      rmSync(scratch, { recursive: true, force: true });
      await engine.stop();
      releaseRam();
      console.info(`image test: engine stopped and removed in ${Date.now() - t} ms`);
      return;
    }
    for (const c of containers) { try { docker(engine.dockerHost, ['rm', '-f', c]); } catch { /* already gone */ } }
    for (const v of volumes) { try { docker(engine.dockerHost, ['volume', 'rm', '-f', v]); } catch { /* already gone */ } }
    for (const ref of [IMAGE, `hooker-test/base:${tag}`, `hooker-test/app:${tag}`]) { try { docker(engine.dockerHost, ['rmi', '-f', ref]); } catch { /* already gone */ } }
    rmSync(scratch, { recursive: true, force: true });
    await engine.stop();
    releaseRam();
  }, 120_000);

  it(`runs Node ${NODE_MAJOR} as uid 1000 under tini, with /server/database as its volume`, () => {
    const out = docker(engine!.dockerHost, ['run', '--rm', '--network', 'none', '--entrypoint', 'node', IMAGE, '-p', 'process.version + " " + process.getuid()']).trim();
    expect(out).toMatch(new RegExp(`^v${NODE_MAJOR}\\.\\d+\\.\\d+ 1000$`));
    const cfg = JSON.parse(docker(engine!.dockerHost, ['inspect', '-f', '{{json .Config}}', IMAGE])) as { Entrypoint: string[]; Volumes: Record<string, unknown>; User: string; Env: string[] };
    expect(cfg.Entrypoint.slice(0, 2)).toEqual(['/usr/bin/tini', '--']);
    expect(Object.keys(cfg.Volumes)).toEqual(['/server/database']);
    expect(cfg.User).toBe('1000:1000');
    expect(cfg.Env).toEqual(expect.arrayContaining(['HOOKER_CFG=/config/cfg.yaml', 'REGO_TEMPLATES_PATH=/server/rego-templates', 'REGO_FILTERS_PATH=/server/rego-filters']));
    // Set in the image, these would hide a Postee user's PATH_TO_DB and AQUAALERT_CERT_PEM/KEY_PEM.
    expect(cfg.Env.filter((e) => /^HOOKER_(DB|CERT_PEM|KEY_PEM)=/.test(e))).toEqual([]);
  });

  it('serves a mounted cfg.yaml read-only, routes an event through Postee-path templates and filters to its action, and exits 0 on SIGTERM', async () => {
    const receiver = await startReceiver();
    try {
      const [http, https] = [await freePort(), await freePort()];
      // A Postee user's layout: cfg.yaml in /config, own templates and filters mounted at /server/rego-*.
      const templates = join(scratch, 'rego-templates');
      const filters = join(scratch, 'rego-filters');
      mkdirSync(templates); mkdirSync(filters);
      writeFileSync(join(templates, 'tracee-brief.rego'), [
        'package postee.tracee.brief', '',
        'title := sprintf("%s detected", [input.SigMetadata.ID])',
        'result := {"signature": input.SigMetadata.ID, "host": input.Context.hostName, "rendered-by": "mounted-template"}', '',
      ].join('\n'));
      writeFileSync(join(filters, 'trc-only.rego'), ['package postee', '', 'default allow = false', 'allow { startswith(input.SigMetadata.ID, "TRC-") }', ''].join('\n'));
      const cfg = join(scratch, 'cfg.yaml');
      writeFileSync(cfg, [
        'name: image-test',
        'routes:',
        '  - name: tracee-to-receiver',
        '    input-files: [trc-only]',
        '    actions: [receiver]',
        '    template: tracee-brief',
        'templates:',
        '  - name: tracee-brief',
        '    rego-package: postee.tracee.brief',
        'actions:',
        '  - name: receiver',
        '    type: webhook',
        '    enable: true',
        `    url: ${receiver.url}/hook`,
        '',
      ].join('\n'));
      const volume = `hooker-test-data-${tag}`;
      volumes.push(volume);
      const name = `hooker-test-serve-${tag}`;
      containers.push(name);
      // README's command, plus --read-only and the data volume; host network instead of -p (no bridge here).
      docker(engine!.dockerHost, ['run', '-d', '--name', name, '--read-only', '--network', 'host',
        '-v', `${cfg}:/config/cfg.yaml`, '-e', 'HOOKER_CFG=/config/cfg.yaml',
        '-e', `HOOKER_HTTP=127.0.0.1:${http}`, '-e', `HOOKER_HTTPS=127.0.0.1:${https}`,
        '-v', `${volume}:/server/database`,
        '-v', `${templates}:/server/rego-templates:ro`, '-v', `${filters}:/server/rego-filters:ro`,
        IMAGE]);
      const base = `http://127.0.0.1:${http}`;
      await waitForPing(base, name, 120_000);

      const other = JSON.parse(tracee) as { SigMetadata: { ID: string } };
      other.SigMetadata.ID = 'OTHER-9';
      const skipped = await fetch(base, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(other) });
      expect(skipped.status).toBe(202);
      expect((await skipped.json() as { matched: string[] }).matched).toEqual([]);
      const accepted = await fetch(base, { method: 'POST', headers: { 'content-type': 'application/json' }, body: tracee });
      expect(accepted.status).toBe(202);
      expect((await accepted.json() as { matched: string[] }).matched).toEqual(['tracee-to-receiver']);

      const got = await receiver.waitFor(1, 30_000);
      expect(got).toHaveLength(1);
      expect(got[0]!.url).toBe('/hook');
      expect(got[0]!.body).toContain('"rendered-by":"mounted-template"');
      expect(got[0]!.body).toContain('"signature":"TRC-1"');

      // HTTPS with the self-signed pair the server made on first start, kept in the volume.
      const tls = await httpsPing(https);
      expect(tls.status).toBe(200);
      const mountpoint = docker(engine!.dockerHost, ['volume', 'inspect', '-f', '{{.Mountpoint}}', volume]).trim();
      expect(existsSync(join(mountpoint, 'hooker.db'))).toBe(true);
      expect(readFileSync(join(mountpoint, 'tls', 'cert.pem'), 'utf8')).toContain('BEGIN CERTIFICATE');
      expect(existsSync(join(mountpoint, 'tls', 'key.pem'))).toBe(true);

      const stoppedAt = Date.now();
      docker(engine!.dockerHost, ['kill', '--signal', 'TERM', name]);
      const code = docker(engine!.dockerHost, ['wait', name]).trim();
      expect(code).toBe('0');
      expect(Date.now() - stoppedAt).toBeLessThan(15_000); // the server's shutdown, not a kill after a grace period
      const out = logs(name);
      expect(out).toContain('hooker: shutting down');
      expect(out).not.toMatch(/read-only file system|EROFS/i);
    } finally {
      await receiver.close();
    }
  }, 240_000);
});
