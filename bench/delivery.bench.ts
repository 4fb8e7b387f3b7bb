// npm run bench:delivery [-- --events N] [-- --root DIR] [-- --cpu-prof DIR]
// The delivery side of issue 12, measured where it is cheap to compare two
// builds in the same run on a shared machine: `hooker serve` (dist/ of
// --root, this checkout by default) with 4 routes, 3 of which match a Tracee
// event and deliver it with the bundled raw-json template through one http
// action (concurrency 16) to a receiver in its own process. N events are
// posted as fast as they are accepted (backpressure off), then the inbox
// drains. Printed (JSON): deliveries/s while draining and end to end, and
// the serve process's CPU time (utime + stime from /proc) per event while
// ingesting and per delivery while draining (also its main thread's alone). CPU time per delivery depends
// far less on what else runs on the machine than a rate does: compare it
// between builds run back to back (e.g. --root of a `git archive` of main).
// --cpu-prof DIR writes a V8 CPU profile of the serve process there; the
// printed drainWindowUs (monotonic µs, the profile's clock) selects the drain.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { freePort } from './free-port.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const arg = (name: string) => { const i = process.argv.indexOf(name); return i >= 0 ? process.argv[i + 1] : undefined; };
const ROOT = resolve(arg('--root') ?? join(HERE, '..'));
const EVENTS = Number(arg('--events') ?? 6_000);
const PROFILE_DIR = arg('--cpu-prof');
const CONNECTIONS = 32;
const EVENT = readFileSync(new URL('../../shared/fixtures/tracee-trc1-finding.json', import.meta.url), 'utf8').replace('"TRC-1"', '"TRC-2"');

const ROUTES = ['input.SigMetadata.ID == "TRC-2"', 'input.SigMetadata.Properties.Severity >= 3', 'input.Context.containerId != ""', 'input.status == "firing"'];
const config = (receiver: string) => `routes:\n${ROUTES.map((r, i) => `  - name: route-${i}\n    input: |\n      ${r}\n    actions: [ship]\n    template: raw-json\n`).join('')}`
  + `templates:\n  - name: raw-json\n    rego-package: hooker.rawmessage.json\n`
  + `actions:\n  - name: ship\n    type: http\n    enable: true\n    concurrency: 16\n    url: ${receiver}/in\n`;

/** CPU time (ms) a process has used so far. */
/** CPU ms of a process, or of one of its threads (`tid`; the main thread's is the pid). */
function cpuMs(pid: number, tid?: number): number {
  const f = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

async function main(): Promise<void> {
  // The receiver of bench:server, in its own process.
  const receiver = spawn(process.execPath, ['--import', 'tsx', join(HERE, 'server.bench.ts'), '--receiver-child'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const receiverUrl = await new Promise<string>((res, rej) => {
    let out = '';
    receiver.stdout!.on('data', (b) => { out += b; const m = /LISTENING (\S+)/.exec(out); if (m) res(m[1]!); });
    receiver.once('exit', (code) => rej(new Error(`receiver exited ${code}`)));
  });
  const received = async () => ((await (await fetch(`${receiverUrl}/stats?from=${Number.MAX_SAFE_INTEGER}`)).json()) as { received: number }).received;

  const dir = mkdtempSync(join(tmpdir(), 'hooker-bench-delivery-'));
  writeFileSync(join(dir, 'cfg.yaml'), config(receiverUrl));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const hooker = spawn(process.execPath, [...(PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${resolve(PROFILE_DIR)}`] : []), join(ROOT, 'bin/hooker.js'), 'serve'], {
    cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env, HOOKER_CFG: join(dir, 'cfg.yaml'), HOOKER_HTTP: `127.0.0.1:${port}`, HOOKER_HTTPS: '', HOOKER_DB: join(dir, 'data', 'hooker.db'), // not beside cfg.yaml: see server.bench.ts
      HOOKER_MAX_INBOX: '10000000', HOOKER_MAX_DELIVERY_LAG: '0', HOOKER_INBOX_HIGH_WATER: '0', HOOKER_LOG_LEVEL: 'warn',
    },
  });
  try {
    for (const end = performance.now() + 120_000; ;) {
      if (hooker.exitCode !== null) throw new Error(`hooker exited ${hooker.exitCode}`);
      try { if ((await fetch(`${url}/ping`)).ok) break; } catch { /* not listening yet */ }
      if (performance.now() > end) throw new Error('no /ping answer within 120 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    const pool = new Pool(url, { connections: CONNECTIONS });
    let sent = 0;
    let refused = 0;
    const c0 = cpuMs(hooker.pid!);
    const t0 = performance.now();
    await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
      while (sent < EVENTS) {
        sent++;
        const res = await pool.request({ path: '/', method: 'POST', headers: { 'content-type': 'application/json' }, body: EVENT });
        await res.body.text();
        if (res.statusCode === 503) { sent--; refused++; await new Promise((r) => setTimeout(r, 100)); } else if (res.statusCode !== 202) throw new Error(`POST / answered ${res.statusCode}`);
      }
    }));
    const t1 = performance.now();
    const m1 = process.hrtime.bigint() / 1000n;
    const c1 = cpuMs(hooker.pid!);
    const mt1 = cpuMs(hooker.pid!, hooker.pid!);
    const r1 = await received();
    let r = r1;
    while (r < EVENTS * 3 && performance.now() - t1 < 300_000) { await new Promise((res) => setTimeout(res, 50)); r = await received(); }
    const t2 = performance.now();
    const m2 = process.hrtime.bigint() / 1000n;
    const c2 = cpuMs(hooker.pid!);
    const mt2 = cpuMs(hooker.pid!, hooker.pid!);
    const rssMiB = Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${hooker.pid!}/status`, 'utf8'))![1]) / 1024);
    await pool.close();
    process.stdout.write(`${JSON.stringify({
      root: ROOT, events: EVENTS, refused, delivered: r,
      ingestEventsPerS: Math.round(EVENTS / ((t1 - t0) / 1000)),
      cpuUsPerEventWhileIngesting: Math.round(((c1 - c0) * 1000) / EVENTS),
      drainDeliveriesPerS: Math.round((r - r1) / ((t2 - t1) / 1000)),
      cpuUsPerDeliveryWhileDraining: Math.round(((c2 - c1) * 1000) / Math.max(1, r - r1)),
      cpuShareWhileDraining: +((c2 - c1) / (t2 - t1)).toFixed(2),
      // The event loop's own share: the thread that saturates first (worker threads excluded).
      mainThreadCpuUsPerDeliveryWhileDraining: Math.round(((mt2 - mt1) * 1000) / Math.max(1, r - r1)),
      endToEndDeliveriesPerS: Math.round(r / ((t2 - t0) / 1000)),
      rssMiBAfterDrain: rssMiB,
      ...(PROFILE_DIR ? { drainWindowUs: [Number(m1), Number(m2)] } : {}),
    })}\n`);
  } finally {
    await new Promise<void>((res) => { if (hooker.exitCode !== null) res(); else { hooker.once('exit', () => res()); hooker.kill('SIGTERM'); } });
    await new Promise<void>((res) => { if (receiver.exitCode !== null) res(); else { receiver.once('exit', () => res()); receiver.kill('SIGTERM'); } });
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
