// The configuration watcher follows the config file, not its neighbours: a
// database (and its WAL) kept in the same directory is written continuously
// under load, and each of those writes used to re-arm the reload's debounce
// timer, so a saved cfg.yaml was not picked up until the writes stopped.

import { mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { watchConfigFile, type ConfigWatcher } from '../../src/server/config-watcher.js';

describe('watchConfigFile', () => {
  let dir = '';
  let watcher: ConfigWatcher | undefined;
  let writer: ReturnType<typeof setInterval> | undefined;
  afterEach(() => {
    clearInterval(writer);
    watcher?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reloads a saved config while another file of its directory is written all the time', async () => {
    dir = mkdtempSync(join(tmpdir(), 'hooker-watch-'));
    const cfg = join(dir, 'cfg.yaml');
    writeFileSync(cfg, 'routes: []\n');
    writeFileSync(join(dir, 'hooker.db-wal'), '');
    // A sibling written every 10 ms, faster than the 100 ms debounce, and it never stops during the test.
    writer = setInterval(() => appendFileSync(join(dir, 'hooker.db-wal'), 'x'.repeat(64)), 10);
    let reloads = 0;
    const reloaded = new Promise<void>((resolve) => {
      watcher = watchConfigFile(cfg, () => { reloads++; resolve(); }, { debounceMs: 100, pollMs: 60_000 });
    });
    await new Promise((r) => setTimeout(r, 200));
    writeFileSync(cfg, 'routes: []\n# edited\n');
    await reloaded;
    expect(reloads).toBe(1);
  });

  it('does not reload when only the neighbours change', async () => {
    dir = mkdtempSync(join(tmpdir(), 'hooker-watch-'));
    const cfg = join(dir, 'cfg.yaml');
    writeFileSync(cfg, 'routes: []\n');
    let reloads = 0;
    watcher = watchConfigFile(cfg, () => { reloads++; }, { debounceMs: 20, pollMs: 60_000 });
    for (let i = 0; i < 20; i++) {
      writeFileSync(join(dir, `other-${i % 3}.txt`), String(i));
      await new Promise((r) => setTimeout(r, 5));
    }
    writeFileSync(cfg, 'routes: []\n'); // same bytes: not a change either
    await new Promise((r) => setTimeout(r, 200));
    expect(reloads).toBe(0);
  });
});
