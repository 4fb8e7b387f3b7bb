// npm run bench:server -- --db postgres [--replicas 1|2|3, or a list 1,2,3 (default)] [--seconds 10]
// (bench/server.bench.ts hands `--db postgres` to this file; `npm run
// bench:replicas` is the same.) Throughput and p99 of the 202 with Hooker on
// PostgreSQL at each replica count, against one Hooker on SQLite measured in
// the same run (the machine is shared and noisy: read ratios). Each replica is a `hooker serve`
// child (built CLI); PostgreSQL is started for the run (initdb + pg_ctl in a
// temp dir, as the tests do). Load: closed loop, 32 connections spread
// round-robin over the replicas, one http delivery per event to a local
// receiver; "delivered/s" counts what reached the receiver during the phase.
// Prints a Markdown table and writes it between the bench:replicas markers
// of BENCHMARKS.md.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import { startPostgres } from '../test/support/postgres.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface ReplicasBenchOptions {
  /** Replica counts to measure, each against the same run's SQLite figure. */
  counts: number[];
  seconds: number;
}

/** `--replicas 2`, `--replicas 1,2,3` or `--replicas '1|2|3'`; `--seconds N`. */
export function replicasBenchOptions(argv: string[]): ReplicasBenchOptions {
  const arg = (name: string) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
  const counts = (arg('--replicas') ?? '1,2,3').split(/[,|]/).map((v) => Number(v.trim()));
  if (counts.some((n) => !Number.isInteger(n) || n < 1 || n > 16)) throw new Error(`--replicas ${arg('--replicas')}: give replica counts from 1 to 16, such as 2 or 1,2,3`);
  const seconds = Number(arg('--seconds') ?? (argv.includes('--quick') ? 5 : 10));
  if (!(seconds > 0)) throw new Error(`--seconds ${arg('--seconds')}: give a positive number`);
  return { counts, seconds };
}

const log = (l: string) => process.stderr.write(`bench:replicas: ${l}\n`);

export async function replicasBench({ counts: COUNTS, seconds: SECONDS }: ReplicasBenchOptions): Promise<void> {
  let received = 0;
  const rx = createServer((req, res) => { req.resume(); req.on('end', () => { received++; res.end('ok'); }); });
  await new Promise<void>((r) => rx.listen(0, '127.0.0.1', () => r()));
  const rxUrl = `http://127.0.0.1:${(rx.address() as AddressInfo).port}`;

  const dir = mkdtempSync(join(tmpdir(), 'hooker-bench-replicas-'));
  const cfg = join(dir, 'cfg.yaml');
  writeFileSync(cfg, `
routes:
  - name: ship
    actions: [rx]
    template: raw-json
templates:
  - name: raw-json
    rego-package: hooker.rawmessage.json
actions:
  - name: rx
    type: http
    enable: true
    url: ${rxUrl}/in
    concurrency: 16
`);

  async function freePort(): Promise<number> {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const p = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    return p;
  }

  async function serve(db: string): Promise<{ url: string; proc: ChildProcess }> {
    const port = await freePort();
    const proc = spawn(process.execPath, [join(ROOT, 'bin/hooker.js'), 'serve'], {
      cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, HOOKER_CFG: cfg, HOOKER_HTTP: `127.0.0.1:${port}`, HOOKER_HTTPS: '', HOOKER_DB: db, HOOKER_LOG_LEVEL: 'warn', HOOKER_MAX_DELIVERY_LAG: '0', HOOKER_INBOX_HIGH_WATER: '0', HOOKER_MAX_INBOX: '10000000' },
    });
    const url = `http://127.0.0.1:${port}`;
    for (const end = Date.now() + 120_000; ;) {
      try { if ((await fetch(`${url}/ping`)).ok) break; } catch { /* starting */ }
      if (Date.now() > end) throw new Error('replica did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
    return { url, proc };
  }

  async function load(urls: string[], ms: number): Promise<{ perS: number; p99: number; deliveredPerS: number }> {
    const pools = urls.map((u) => new Pool(u, { connections: Math.ceil(32 / urls.length) }));
    const lat: number[] = [];
    let n = 0;
    const r0 = received;
    const end = performance.now() + ms;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 32 }, async (_, k) => {
      while (performance.now() < end) {
        const t = performance.now();
        const res = await pools[(n + k) % pools.length]!.request({ path: '/', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n: n++, k }) });
        await res.body.text();
        if (res.statusCode === 202) lat.push(performance.now() - t);
      }
    }));
    const secs = (performance.now() - t0) / 1000;
    await Promise.all(pools.map((p) => p.close()));
    lat.sort((a, b) => a - b);
    return { perS: lat.length / secs, p99: lat[Math.floor(lat.length * 0.99)] ?? NaN, deliveredPerS: (received - r0) / secs };
  }

  const rows: string[] = [];
  let sqlite = NaN;
  const stopAll = (ps: ChildProcess[]) => Promise.all(ps.map((p) => new Promise<void>((r) => { if (p.exitCode !== null) return r(); p.once('exit', () => r()); p.kill('SIGTERM'); })));

  log('SQLite, one process');
  {
    const s = await serve(join(dir, 'hooker.db'));
    await load([s.url], 2_000);
    const r = await load([s.url], SECONDS * 1000);
    rows.push(`| SQLite | 1 | ${r.perS.toFixed(0)} | ${r.p99.toFixed(1)} | ${r.deliveredPerS.toFixed(0)} | 1.00 |`);
    await stopAll([s.proc]);
    sqlite = r.perS;
  }
  const pg = await startPostgres();
  try {
    for (const count of COUNTS) {
      log(`PostgreSQL, ${count} replica(s)`);
      const db = await pg.createDatabase(`bench${count}`);
      const replicas = [];
      for (let i = 0; i < count; i++) replicas.push(await serve(db));
      const urls = replicas.map((r) => r.url);
      await load(urls, 2_000);
      const r = await load(urls, SECONDS * 1000);
      rows.push(`| PostgreSQL | ${count} | ${r.perS.toFixed(0)} | ${r.p99.toFixed(1)} | ${r.deliveredPerS.toFixed(0)} | ${(r.perS / sqlite).toFixed(2)} |`);
      await stopAll(replicas.map((x) => x.proc));
    }
  } finally {
    pg.destroy();
    rx.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const table = `Load average at the end ${loadavg()[0]!.toFixed(1)}; ${SECONDS} s closed loop, 32 connections, one http delivery per event.

| store | replicas | accepted events/s | p99 of the 202 (ms) | delivered/s during the phase | events/s vs SQLite |
|---|---|---|---|---|---|
${rows.join('\n')}`;
  console.log(table);
  const section = `<!-- bench:replicas start -->
Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC (\`npm run bench:server -- --db postgres --replicas ${COUNTS.join(',')}\`).
${table}
<!-- bench:replicas end -->`;
  const file = join(ROOT, 'BENCHMARKS.md');
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const re = /<!-- bench:replicas start -->[\s\S]*?<!-- bench:replicas end -->/;
  text = re.test(text) ? text.replace(re, section) : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, text);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await replicasBench(replicasBenchOptions(process.argv));
