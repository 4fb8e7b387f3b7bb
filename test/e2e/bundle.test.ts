// The bundled CLI (scripts/bundle-cli.mjs: what `npm run build` makes and
// bin/hooker.js runs): built into a directory of its own under dist/, it
// serves and delivers with the store on the event loop and with both worker
// threads (their entry files, the wasm runtime, the bundled templates and
// the compiled-policy cache are all found from paths the bundle rewrites),
// and a restart takes the routes from the cache. bin/hooker.js runs the
// bundle only when it was built after dist/cli/main.js.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { oneRouteConfig, startHooker, type HookerProcess } from './hooker-process.js';
import { startReceiver } from './receiver.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const outdir = join(repo, 'dist', `.bundle-test-${process.pid}`);

const MODES = [
  { mode: 'default', env: { HOOKER_SQLITE_THREAD: '0', HOOKER_HTTP_THREAD: '0' } },
  { mode: 'both worker threads', env: { HOOKER_SQLITE_THREAD: '1', HOOKER_HTTP_THREAD: '1' } },
];

describe('the bundled CLI', () => {
  const procs: HookerProcess[] = [];
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let entry: string;
  beforeAll(async () => {
    receiver = await startReceiver();
    execFileSync(process.execPath, [join(repo, 'scripts/bundle-cli.mjs'), outdir], { cwd: repo, stdio: 'pipe' });
    // What bin/hooker.js does with dist/bundle/main.js.
    entry = join(outdir, 'run.mjs');
    writeFileSync(entry, "import { main } from './main.js';\nprocess.exitCode = await main(process.argv.slice(2));\n");
  }, 120_000);
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    await receiver.close();
    rmSync(outdir, { recursive: true, force: true });
  });

  it.each(MODES)('serves, delivers and restarts from the compiled-policy cache ($mode)', { timeout: 120_000 }, async ({ mode, env: modeEnv }) => {
    const dir = mkdtempSync(join(tmpdir(), 'hooker-bundle-'));
    const path = `/${mode.replace(/ /g, '-')}`;
    const cfg = join(dir, 'cfg.yaml');
    writeFileSync(cfg, oneRouteConfig(`${receiver.url}${path}`, { route: 'ship', concurrency: 2 }));
    const env = { ...modeEnv, HOOKER_CFG: cfg, HOOKER_DB: join(dir, 'data', 'hooker.db'), HOOKER_LOG_LEVEL: 'info' };
    const delivered = () => receiver.got.filter((r) => r.url === path).map((r) => (JSON.parse(r.body) as { n: number }).n);
    for (const n of [1, 2]) {
      const p = await startHooker(env, { entry });
      procs.push(p);
      const res = await request(`${p.url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n, mode }) });
      expect(res.statusCode).toBe(202);
      await res.body.dump();
      for (const end = Date.now() + 15_000; delivered().length < n && Date.now() < end;) await new Promise((r) => setTimeout(r, 50));
      expect(delivered()).toEqual(n === 1 ? [1] : [1, 2]);
      // The second start finds the first one's compiled routes (the cache's compiler identity is stable in the bundle).
      expect(p.output().includes('route policy loaded from the compiled-policy cache')).toBe(n === 2);
      await p.stop();
    }
  });
});

describe('bin/hooker.js', () => {
  const root = mkdtempSync(join(tmpdir(), 'hooker-bin-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const fake = (name: string) => `export async function main(argv) { console.log(${JSON.stringify(name)}, argv.join(' ')); return 0; }\n`;
  const say = () => execFileSync(process.execPath, [join(root, 'bin/hooker.js'), 'serve', '-c', 'x.yaml'], { encoding: 'utf8' }).trim();

  it('runs dist/bundle/main.js only when it is there and not older than dist/cli/main.js', () => {
    mkdirSync(join(root, 'bin'));
    mkdirSync(join(root, 'dist/cli'), { recursive: true });
    cpSync(join(repo, 'bin/hooker.js'), join(root, 'bin/hooker.js'));
    writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
    writeFileSync(join(root, 'dist/cli/main.js'), fake('cli'));
    expect(say()).toBe('cli serve -c x.yaml');
    mkdirSync(join(root, 'dist/bundle'));
    writeFileSync(join(root, 'dist/bundle/main.js'), fake('bundle'));
    const t = Date.now() / 1000;
    utimesSync(join(root, 'dist/cli/main.js'), t - 60, t - 60);
    utimesSync(join(root, 'dist/bundle/main.js'), t, t);
    expect(say()).toBe('bundle serve -c x.yaml');
    // tsc ran after the bundle was made: the bundle is stale.
    utimesSync(join(root, 'dist/cli/main.js'), t + 60, t + 60);
    expect(say()).toBe('cli serve -c x.yaml');
  });
});
