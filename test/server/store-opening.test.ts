// startServer with a store its caller already started opening (`hooker serve`
// opens the database before it loads the server's modules): the server uses
// that store, and closes it when the start fails.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readServerSettings } from '../../src/config/env.js';
import { startServer } from '../../src/server/server.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/types.js';

const CONFIG = `
routes:
  - name: all
    actions: [out]
    template: raw-json
templates:
  - name: raw-json
    rego-package: hooker.rawmessage.json
actions:
  - name: out
    type: stdout
    enable: true
`;

function setup(cfgText: string) {
  const dir = mkdtempSync(join(tmpdir(), 'hooker-store-opening-'));
  const cfg = join(dir, 'cfg.yaml');
  writeFileSync(cfg, cfgText);
  const env = { HOOKER_CFG: cfg, HOOKER_HTTP: '127.0.0.1:0', HOOKER_HTTPS: '', HOOKER_DB: join(dir, 'hooker.db') };
  return { env, settings: readServerSettings(env, { cfgPath: cfg }) };
}

/** The store, with a record of whether it was closed. */
async function watched(path: string): Promise<{ store: Store; closed: () => boolean }> {
  const store = await openStore(path, { sqliteThread: false });
  let closed = false;
  const close = store.close.bind(store);
  store.close = async () => { closed = true; await close(); };
  return { store, closed: () => closed };
}

describe('startServer({ storeOpening })', () => {
  it('serves from the store it is given instead of opening its own', async () => {
    const { env, settings } = setup(CONFIG);
    const given = await watched(settings.dbPath);
    const server = await startServer({ settings, env, watchConfig: false, log: () => {}, storeOpening: Promise.resolve(given.store) });
    try {
      expect(server.engine.store).toBe(given.store);
      const res = await fetch(`${server.httpUrl}/ping`);
      expect(res.status).toBe(200);
    } finally {
      await server.close();
    }
    expect(given.closed()).toBe(true);
  });

  it('closes the given store when the configuration is refused', async () => {
    const { env, settings } = setup('routes: [\n');
    const given = await watched(settings.dbPath);
    await expect(startServer({ settings, env, watchConfig: false, log: () => {}, storeOpening: Promise.resolve(given.store) })).rejects.toThrow();
    expect(given.closed()).toBe(true);
  });
});
