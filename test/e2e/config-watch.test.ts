// The config watcher of a real `hooker serve` process keeps reloading after
// saves that replace the file (`sed -i`: a new inode each time) and after
// Kubernetes ConfigMap updates (an atomic swap of the `..data` symlink the
// mounted cfg.yaml points through), each checked by where an event goes next.

import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startHooker, type HookerProcess } from './hooker-process.js';
import { startReceiver } from './receiver.js';

const cfg = (url: string, path: string) => `
routes:
  - name: all
    actions: [hook]
    template: raw-json
templates:
  - name: raw-json
    rego-package: hooker.rawmessage.json
actions:
  - name: hook
    type: webhook
    enable: true
    url: ${url}/${path}
`;

async function until(fn: () => boolean, ms = 240_000) {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const reloads = (h: HookerProcess) => h.output().split('configuration reloaded from').length - 1;

describe('config watcher', () => {
  const dirs: string[] = [];
  const procs: HookerProcess[] = [];
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function sendAndExpect(h: HookerProcess, rx: Awaited<ReturnType<typeof startReceiver>>, path: string) {
    const before = rx.got.length;
    const res = await request(`${h.url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n":1}' });
    expect(res.statusCode).toBe(202);
    await res.body.text();
    await rx.waitFor(before + 1, 60_000);
    expect(rx.got[before]!.url).toBe(`/${path}`);
  }

  it('follows `sed -i` saves (a new inode each time)', async () => {
    const rx = await startReceiver();
    const dir = mkdtempSync(join(tmpdir(), 'hooker-watch-'));
    dirs.push(dir);
    const file = join(dir, 'cfg.yaml');
    writeFileSync(file, cfg(rx.url, 'one'));
    const h = await startHooker({ HOOKER_CFG: file }, { startTimeoutMs: 300_000 });
    procs.push(h);
    try {
      await sendAndExpect(h, rx, 'one');
      for (const [n, [from, to]] of [['one', 'two'], ['two', 'three']].entries()) {
        const inode = statSync(file).ino;
        execFileSync('sed', ['-i', `s#/${from}#/${to}#`, file]);
        expect(statSync(file).ino).not.toBe(inode);
        await until(() => reloads(h) === n + 1);
        await sendAndExpect(h, rx, to!);
      }
    } finally {
      await rx.close();
    }
  }, 900_000);

  it('follows a ConfigMap update (the ..data symlink swapped atomically)', async () => {
    const rx = await startReceiver();
    const dir = mkdtempSync(join(tmpdir(), 'hooker-cm-'));
    dirs.push(dir);
    // The layout the kubelet writes: versioned directory, ..data -> it, cfg.yaml -> ..data/cfg.yaml.
    const version = (n: number, path: string) => {
      const v = join(dir, `..2026_11_25_00_00_0${n}.000000000`);
      mkdirSync(v);
      writeFileSync(join(v, 'cfg.yaml'), cfg(rx.url, path));
      return v;
    };
    let current = version(1, 'first');
    symlinkSync(current.slice(dir.length + 1), join(dir, '..data'));
    symlinkSync('..data/cfg.yaml', join(dir, 'cfg.yaml'));
    const h = await startHooker({ HOOKER_CFG: join(dir, 'cfg.yaml') }, { startTimeoutMs: 300_000 });
    procs.push(h);
    try {
      await sendAndExpect(h, rx, 'first');
      for (const [n, path] of ['second', 'third'].entries()) {
        const next = version(n + 2, path);
        symlinkSync(next.slice(dir.length + 1), join(dir, '..data_tmp'));
        renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
        rmSync(current, { recursive: true });
        current = next;
        await until(() => reloads(h) === n + 1);
        await sendAndExpect(h, rx, path);
      }
    } finally {
      await rx.close();
    }
  }, 900_000);
});
