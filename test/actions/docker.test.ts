import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerAction, MANAGED_LABEL } from '../../src/actions/docker.js';
import type { Action, DeliveryContext, DeliveryResult } from '../../src/actions/types.js';
import { startTestDocker, type TestDocker } from '../support/dockerd.js';

const engine: TestDocker | undefined = await startTestDocker();
const describeEngine = engine ? describe : describe.skip;

const tracee = JSON.parse(readFileSync(new URL('../../../shared/fixtures/tracee-trc1-finding.json', import.meta.url), 'utf8')) as Record<string, unknown>;

function build(config: Record<string, unknown>): Action {
  const { action, problems } = dockerAction.create({ name: 'forensics', type: 'docker', ...config }, { DOCKER_HOST: engine!.dockerHost });
  expect(problems).toEqual([]);
  return action!;
}

async function deliver(action: Action, event: unknown = tracee, signal = new AbortController().signal): Promise<DeliveryResult & { log: string[] }> {
  const log: string[] = [];
  const ctx: DeliveryContext = {
    deliveryId: `d-${Math.random().toString(36).slice(2)}`,
    eventId: 'e1',
    routeName: 'tracker-forensics',
    event,
    message: { title: '', body: '' },
    hops: 0,
    signal,
    log: (l) => log.push(l),
  };
  const result = await action.deliver(ctx);
  return { ...result, log };
}

async function managedContainers(): Promise<number> {
  const list = await engine!.docker.listContainers({ all: true, filters: { label: [`${MANAGED_LABEL}=true`] } });
  return list.length;
}

describeEngine('docker action against a real engine', () => {
  let scratch: string;
  beforeAll(() => {
    console.info(`docker tests: ${engine!.origin} engine at ${engine!.dockerHost}, ready in ${engine!.startupMs} ms`);
    scratch = mkdtempSync(join(tmpdir(), 'hooker-docker-vol-'));
  });
  afterAll(async () => {
    rmSync(scratch, { recursive: true, force: true });
    await engine?.stop();
  });

  it('runs a container that sees HOOKER_EVENT, resolves cmd/env references, writes a mounted volume and is removed', async () => {
    const action = build({
      'docker-image-name': engine!.image,
      'docker-cmd': ['sh', '-c', 'echo "$HOOKER_EVENT" > /out/event.json; echo "sig=$1 host=$SIG_HOST"; echo oops >&2', 'argv0', 'event.input.SigMetadata.ID'],
      'docker-env': { SIG_HOST: 'event.input.Context.hostName', STATIC: 'yes' },
      'docker-volume-mounts': { [scratch]: '/out' },
      'docker-network': 'none',
      'docker-pull': 'never',
    });
    const before = await managedContainers();
    const r = await deliver(action);
    expect(r.ok, r.detail).toBe(true);
    const sigId = (tracee.SigMetadata as { ID: string }).ID;
    const host = (tracee.Context as { hostName: string }).hostName;
    expect(r.log).toContain(`stdout: sig=${sigId} host=${host}`);
    expect(r.log).toContain('stderr: oops');
    expect(JSON.parse(readFileSync(join(scratch, 'event.json'), 'utf8'))).toEqual(tracee);
    expect(r.changed?.[0]).toMatch(/ran and was removed/);
    expect(await managedContainers()).toBe(before);
  });

  it('labels the container as Hooker\'s and honours memory and pids-limit', async () => {
    const action = build({
      'docker-image-name': engine!.image,
      'docker-cmd': ['sleep', '1'],
      'docker-network': 'host',
      'docker-pull': 'never',
      memory: '32m',
      'pids-limit': 16,
    });
    const running = deliver(action);
    let info: Awaited<ReturnType<ReturnType<TestDocker['docker']['getContainer']>['inspect']>> | undefined;
    for (let i = 0; i < 100 && !info; i++) {
      const list = await engine!.docker.listContainers({ filters: { label: [`${MANAGED_LABEL}=true`, 'io.hooker.action=forensics'] } });
      if (list[0]) info = await engine!.docker.getContainer(list[0].Id).inspect();
      else await new Promise((res) => setTimeout(res, 20));
    }
    expect(info).toBeDefined();
    expect(info!.Config.Labels['io.hooker.route']).toBe('tracker-forensics');
    expect(info!.HostConfig.Memory).toBe(32 * 1024 * 1024);
    expect(info!.HostConfig.PidsLimit).toBe(16);
    expect(info!.HostConfig.NetworkMode).toBe('host');
    const r = await running;
    expect(r.ok).toBe(true);
    await expect(engine!.docker.getContainer(info!.Id).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('fails on a non-zero exit code and still removes the container', async () => {
    const action = build({ 'docker-image-name': engine!.image, 'docker-cmd': ['sh', '-c', 'echo failing; exit 3'], 'docker-network': 'none', 'docker-pull': 'never' });
    const before = await managedContainers();
    const r = await deliver(action);
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/exited with code 3/);
    expect(r.log).toContain('stdout: failing');
    expect(await managedContainers()).toBe(before);
  });

  it('kills the container at its timeout and removes it', async () => {
    const action = build({ 'docker-image-name': engine!.image, 'docker-cmd': ['sleep', '30'], 'docker-network': 'none', 'docker-pull': 'never', timeout: '700ms' });
    const before = await managedContainers();
    const started = Date.now();
    const r = await deliver(action);
    const took = Date.now() - started;
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/killed after timeout of 700 ms/);
    expect(took).toBeGreaterThanOrEqual(700);
    expect(took).toBeLessThan(10_000);
    expect(await managedContainers()).toBe(before);
  });

  it('kills the container when the delivery is aborted', async () => {
    const action = build({ 'docker-image-name': engine!.image, 'docker-cmd': ['sleep', '30'], 'docker-network': 'none', 'docker-pull': 'never' });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const r = await deliver(action, tracee, ac.signal);
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/aborted/);
  });

  it('fails without running anything when a cmd reference does not resolve', async () => {
    const action = build({ 'docker-image-name': engine!.image, 'docker-cmd': ['echo', 'event.input.No.Such'], 'docker-network': 'none', 'docker-pull': 'never' });
    const before = await managedContainers();
    const r = await deliver(action);
    expect(r).toMatchObject({ ok: false, retryable: false });
    expect(r.detail).toMatch(/event\.input\.No does not exist/);
    expect(await managedContainers()).toBe(before);
  });

  describe('pull policies against the local registry', () => {
    const maybe = engine?.registry ? it : it.skip;

    maybe('never: fails when the image is absent, runs when present', async () => {
      const ref = await engine!.registry!.push(engine!.image, 'hooker/never', 'v1');
      await engine!.docker.getImage(ref).remove();
      const action = build({ 'docker-image-name': ref, 'docker-cmd': ['true'], 'docker-network': 'none', 'docker-pull': 'never' });
      const r = await deliver(action);
      expect(r).toMatchObject({ ok: false, retryable: false });
      expect(r.detail).toMatch(/not present and docker-pull is 'never'/);
      await expect(engine!.docker.getImage(ref).inspect()).rejects.toMatchObject({ statusCode: 404 });
    });

    maybe('if-not-present (the default): pulls an absent image once, then uses the local copy', async () => {
      const ref = await engine!.registry!.push(engine!.image, 'hooker/ifnp', 'v1');
      await engine!.docker.getImage(ref).remove();
      const action = build({ 'docker-image-name': ref, 'docker-cmd': ['true'], 'docker-network': 'none' });
      const first = await deliver(action);
      expect(first.ok, first.detail).toBe(true);
      expect(first.log).toContain(`pulling ${ref}`);
      const second = await deliver(action);
      expect(second.ok).toBe(true);
      expect(second.log.some((l) => l.startsWith('pulling'))).toBe(false);
    });

    maybe('always: pulls even when present and runs the registry\'s newer image; if-not-present keeps the local one', async () => {
      const ref = await engine!.registry!.push(engine!.image, 'hooker/always', 'v1');
      const [repo, tag] = [ref.slice(0, ref.lastIndexOf(':')), 'v1'];
      // A newer image under the same tag in the registry only: commit a /marker file, push, point the local tag back.
      const c = await engine!.docker.createContainer({ Image: engine!.image, Cmd: ['sh', '-c', 'echo v2 > /marker'], HostConfig: { NetworkMode: 'none' } });
      await c.start();
      await c.wait();
      await c.commit({ repo, tag });
      await c.remove();
      await engine!.registry!.push(ref, 'hooker/always', 'v1');
      await engine!.docker.getImage(engine!.image).tag({ repo, tag });

      const cmd = { 'docker-image-name': ref, 'docker-cmd': ['cat', '/marker'], 'docker-network': 'none' };
      const local = await deliver(build({ ...cmd, 'docker-pull': 'if-not-present' }));
      expect(local.ok).toBe(false);
      expect(local.log.some((l) => l.startsWith('pulling'))).toBe(false);

      const r = await deliver(build({ ...cmd, 'docker-pull': 'always' }));
      expect(r.ok, r.detail).toBe(true);
      expect(r.log).toContain(`pulling ${ref}`);
      expect(r.log).toContain('stdout: v2');
    });

    maybe('always: a tag missing from the registry fails the delivery', async () => {
      const ref = `${engine!.registry!.address}/hooker/missing:v9`;
      const action = build({ 'docker-image-name': ref, 'docker-cmd': ['true'], 'docker-network': 'none', 'docker-pull': 'always' });
      const r = await deliver(action);
      expect(r.ok).toBe(false);
      expect(r.detail).toMatch(/pulling .*missing:v9 failed/);
    });
  });
});

describe('docker test engine', () => {
  it('is available on this machine (CI installs docker.io busybox-static docker-registry)', () => {
    if (!engine) console.warn('!!! no Docker engine: the docker action tests above were SKIPPED !!!');
    // Where the packages are installed and we are root, the engine must have come up.
    if (existsSync('/usr/sbin/dockerd') && process.getuid?.() === 0) expect(engine).toBeDefined();
  });
});
