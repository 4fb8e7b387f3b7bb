// The compiled-policy cache (HOOKER_WASM_CACHE): a restart with the same
// routes reuses the stored wasm; a damaged entry, another key's entry or a
// changed input compiles again; and the server uses it by default beside its
// SQLite file. Real compiler, real files, real in-process servers.

import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveWasmCacheDir } from '../../src/config/env.js';
import { compile, type CompileOptions } from '../../src/rego/index.js';
import { wasmCache } from '../../src/rego/wasm-cache.js';
import { compileRoutes } from '../../src/routing/route-matcher.js';
import type { RouteConfig } from '../../src/config/types.js';
import { receiver, serve, tempDir, until } from '../e2e/server-harness.js';

const input = (rule = 'input.kind == "alert"'): CompileOptions => ({
  modules: [{ file: 'r.rego', source: `package r\nallow if { ${rule} }` }],
  entrypoints: ['r/allow'],
});

/** compile() that counts its calls. */
function counting() {
  const calls: CompileOptions[] = [];
  return { calls, compile: (o: CompileOptions) => { calls.push(o); return compile(o); } };
}

const entries = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.wasm-cache'));

describe('compiled-policy cache', () => {
  it('compiles once; the same input is then read back, byte for byte', () => {
    const dir = join(tempDir(), 'wasm-cache');
    const c = counting();
    const first = wasmCache(dir).compile(input(), c.compile);
    const second = wasmCache(dir).compile(input(), c.compile);
    expect(c.calls).toHaveLength(1);
    expect(first.cached).toBe(false);
    expect(second.cached).toBe(true);
    expect(Buffer.from(second.wasm).equals(Buffer.from(first.wasm))).toBe(true);
    expect(second.entrypoints).toEqual(first.entrypoints);
    // Only Hooker's user may read compiled policies (they embed the routes).
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, entries(dir)[0]!)).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('a changed route compiles again', () => {
    const dir = join(tempDir(), 'wasm-cache');
    const c = counting();
    wasmCache(dir).compile(input(), c.compile);
    const other = wasmCache(dir).compile(input('input.kind == "other"'), c.compile);
    expect(c.calls).toHaveLength(2);
    expect(other.cached).toBe(false);
    expect(entries(dir)).toHaveLength(2);
  });

  it('a damaged or truncated entry is ignored, reported and replaced', () => {
    const dir = join(tempDir(), 'wasm-cache');
    const c = counting();
    const good = wasmCache(dir).compile(input(), c.compile);
    const file = join(dir, entries(dir)[0]!);
    const bytes = readFileSync(file);
    for (const damaged of [Buffer.concat([bytes.subarray(0, bytes.length - 10), Buffer.from('0123456789')]), bytes.subarray(0, 100), Buffer.from('')]) {
      writeFileSync(file, damaged);
      const errors: string[] = [];
      const again = wasmCache(dir, (m) => errors.push(m)).compile(input(), c.compile);
      expect(again.cached).toBe(false);
      expect(Buffer.from(again.wasm).equals(Buffer.from(good.wasm))).toBe(true);
      expect(errors.join('\n')).toContain('damaged');
      // Rewritten whole: the next start reads it.
      expect(wasmCache(dir).compile(input(), c.compile).cached).toBe(true);
    }
    expect(c.calls).toHaveLength(4);
  });

  it("another input's entry put under this input's name is not used", () => {
    const dir = join(tempDir(), 'wasm-cache');
    const c = counting();
    wasmCache(dir).compile(input('input.a == 1'), c.compile);
    const a = entries(dir)[0]!;
    wasmCache(dir).compile(input('input.b == 2'), c.compile);
    const b = entries(dir).find((n) => n !== a)!;
    renameSync(join(dir, a), join(dir, b));
    const r = wasmCache(dir).compile(input('input.b == 2'), c.compile);
    expect(r.cached).toBe(false);
    expect(c.calls).toHaveLength(3);
  });

  it('an unwritable directory only costs the cache, never the compile', () => {
    const base = tempDir();
    writeFileSync(join(base, 'not-a-dir'), 'x');
    const errors: string[] = [];
    const r = wasmCache(join(base, 'not-a-dir', 'wasm-cache'), (m) => errors.push(m)).compile(input(), compile);
    expect(r.cached).toBe(false);
    expect(r.wasm.length).toBeGreaterThan(0);
    expect(errors.join('\n')).toContain('cannot write');
  });

  it('keeps only the most recent entries', () => {
    const dir = join(tempDir(), 'wasm-cache');
    for (let i = 0; i < 11; i++) wasmCache(dir).compile(input(`input.n == ${i}`), compile);
    expect(entries(dir).length).toBe(8);
  });

  it('a changed filter file (input-files) changes the compiled routes', async () => {
    const base = tempDir();
    const filters = join(base, 'filters');
    mkdirSync(filters);
    writeFileSync(join(filters, 'f.rego'), 'package postee\nallow if { input.kind == "a" }\n');
    const cache = wasmCache(join(base, 'wasm-cache'));
    const route = { name: 'r', actions: [], inputFiles: ['f'], serializeActions: false, plugins: {}, path: 'routes[0]' } as unknown as RouteConfig;
    const opts = { cfgFile: 'cfg.yaml', filtersPath: filters, cache };
    const one = await compileRoutes([route], opts);
    expect(one.cached).toBe(false);
    expect(one.matcher!.match({ kind: 'a' })).toEqual(['r']);
    const two = await compileRoutes([route], opts);
    expect(two.cached).toBe(true);
    expect(two.matcher!.match({ kind: 'a' })).toEqual(['r']);
    writeFileSync(join(filters, 'f.rego'), 'package postee\nallow if { input.kind == "b" }\n');
    const three = await compileRoutes([route], opts);
    expect(three.cached).toBe(false);
    expect(three.matcher!.match({ kind: 'a' })).toEqual([]);
    expect(three.matcher!.match({ kind: 'b' })).toEqual(['r']);
  });

  it('HOOKER_WASM_CACHE: beside the SQLite file by default, a directory, or off', () => {
    expect(resolveWasmCacheDir({}, '/var/lib/hooker/hooker.db')).toBe('/var/lib/hooker/wasm-cache');
    expect(resolveWasmCacheDir({ HOOKER_WASM_CACHE: '/tmp/x' }, '/var/lib/hooker/hooker.db')).toBe('/tmp/x');
    expect(resolveWasmCacheDir({ HOOKER_WASM_CACHE: 'off' }, '/var/lib/hooker/hooker.db')).toBeUndefined();
    expect(resolveWasmCacheDir({}, 'postgres://u:p@db/hooker')).toBeUndefined();
    expect(resolveWasmCacheDir({}, ':memory:')).toBeUndefined();
  });
});

describe('the server and the cache', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => { for (const c of cleanup.reverse()) await c(); });

  it('a restart with the same configuration loads the routes from the cache and routes as before; a changed route compiles', async () => {
    const rx = await receiver();
    cleanup.push(() => rx.close());
    const dir = tempDir();
    const cfg = (id: string) => `routes:\n  - name: r\n    input: input.id == "${id}"\n    actions: [hook]\n    template: raw-json\ntemplates:\n  - name: raw-json\n    rego-package: hooker.rawmessage.json\nactions:\n  - name: hook\n    type: webhook\n    enable: true\n    url: ${rx.url}/in\n`;
    const post = async (url: string, id: string) => (await (await fetch(`${url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id }) })).json()) as { matched: string[] };

    const first = await serve(dir, cfg('one'));
    expect(first.holder.current.routesFromCache).toBeUndefined();
    expect((await post(first.httpUrl!, 'one')).matched).toEqual(['r']);
    await first.close();
    expect(entries(join(dir, 'wasm-cache'))).toHaveLength(1);

    const second = await serve(dir, cfg('one'));
    expect(second.holder.current.routesFromCache).toBe(true);
    expect((await post(second.httpUrl!, 'one')).matched).toEqual(['r']);
    expect((await post(second.httpUrl!, 'two')).matched).toEqual([]);
    await until(() => rx.hits.length >= 2 || undefined);
    await second.close();

    const changed = await serve(dir, cfg('two'));
    expect(changed.holder.current.routesFromCache).toBeUndefined();
    expect((await post(changed.httpUrl!, 'two')).matched).toEqual(['r']);
    expect((await post(changed.httpUrl!, 'one')).matched).toEqual([]);
    await changed.close();

    const off = await serve(dir, cfg('two'), { HOOKER_WASM_CACHE: 'off' });
    expect(off.holder.current.routesFromCache).toBeUndefined();
    await off.close();
    chmodSync(dir, 0o700);
  });
});
