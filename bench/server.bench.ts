// npm run bench:server
// Measures, in one run and under the same load: events per second and p50/p99
// latency of POST / on Hooker (20 routes compiled into one wasm entrypoint,
// an http action to a local receiver, durability on: every event committed
// to SQLite before its 202) against a bare Fastify handler that only parses
// the JSON and answers. Each server runs in its own child process; this
// process generates the load and hosts the receiver. Writes the figures into
// BENCHMARKS.md between the bench:server markers.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';

const FIXTURES = new URL('../../shared/fixtures/', import.meta.url);
const EVENT = readFileSync(new URL('tracee-trc1-finding.json', FIXTURES), 'utf8').replace('"TRC-1"', '"TRC-2"');
const CONNECTIONS = 32;
const WARMUP_MS = 2_000;
const MEASURE_MS = 10_000;

/** 20 route conditions in the shape users write them; three match the event. */
const ROUTES = [
  'input.SigMetadata.ID == "TRC-2"',
  'input.SigMetadata.ID == "TRC-1"',
  'input.SigMetadata.Properties.Severity >= 3',
  'startswith(input.Context.processName, "strace")',
  'contains(input.ArtifactName, "alpine")',
  'input.ArtifactType == "container_image"',
  'some r in input.Results\n      some v in r.Vulnerabilities\n      v.Severity == "CRITICAL"',
  'count(input.Results) > 0',
  'input.Metadata.OS.Family == "debian"',
  'input.image == "alpine:3.10"',
  'input.vulnerability_summary.critical > 0',
  'input.priority == "Critical"',
  'input.rule == "Terminal shell in container"',
  'input.status == "firing"',
  'endswith(input.ArtifactName, ":latest")',
  'input.SigMetadata.Name == "Anti-Debugging"',
  'input.Context.containerId != ""',
  'input.kind == "VulnerabilityReport"',
  'input.report.summary.criticalCount > 0',
  'input.control == "Drift Prevention"',
];

function config(receiverUrl: string): string {
  const routes = ROUTES.map((rego, i) => `  - name: route-${i}\n    input: |\n      ${rego}\n    actions: [ship]\n    template: raw-json\n`).join('');
  return `routes:\n${routes}templates:\n  - name: raw-json\n    rego-package: hooker.rawmessage.json\nactions:\n  - name: ship\n    type: http\n    enable: true\n    concurrency: 16\n    url: ${receiverUrl}/in\n`;
}

// ---- child: one server under test -----------------------------------------

async function child(kind: string, arg: string): Promise<void> {
  let url: string;
  let close: () => Promise<void>;
  if (kind === 'bare') {
    const { default: Fastify } = await import('fastify');
    const app = Fastify();
    app.post('/', async (req, reply) => reply.status(202).send({ ok: true, keys: Object.keys(req.body as object).length }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    close = () => app.close();
  } else {
    const { startServer } = await import('../src/server/server.js');
    const { readServerSettings } = await import('../src/config/env.js');
    const dir = mkdtempSync(join(tmpdir(), 'hooker-bench-'));
    const cfg = join(dir, 'cfg.yaml');
    writeFileSync(cfg, config(arg));
    const env = { ...process.env, HOOKER_CFG: cfg, HOOKER_HTTP: '127.0.0.1:0', HOOKER_HTTPS: '', HOOKER_DB: join(dir, 'hooker.db'), HOOKER_MAX_INBOX: '10000000' };
    const server = await startServer({ settings: readServerSettings(env, { cfgPath: cfg }), env, watchConfig: false, log: () => {} });
    url = server.httpUrl!;
    close = async () => { await server.close(); rmSync(dir, { recursive: true, force: true }); };
  }
  process.stdout.write(`LISTENING ${url}\n`);
  process.once('SIGTERM', () => { void close().then(() => process.exit(0)); });
}

// ---- parent: load, receiver, report ----------------------------------------

interface Result { events: number; seconds: number; p50: number; p99: number; errors: number }

function startChild(kind: string, arg = ''): Promise<{ proc: ChildProcess; url: string }> {
  const here = fileURLToPath(import.meta.url);
  const proc = spawn(process.execPath, ['--import', 'tsx', here, '--child', kind, arg], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (b) => {
      out += b;
      const m = /LISTENING (\S+)/.exec(out);
      if (m) resolve({ proc, url: m[1]! });
    });
    proc.once('exit', (code) => reject(new Error(`${kind} server exited ${code}`)));
  });
}

function stopChild(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => { proc.removeAllListeners('exit'); proc.once('exit', () => resolve()); proc.kill('SIGTERM'); });
}

async function load(url: string, ms: number): Promise<Result> {
  const pool = new Pool(url, { connections: CONNECTIONS, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + ms;
  const worker = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      try {
        const res = await pool.request({ path: '/', method: 'POST', headers: { 'content-type': 'application/json' }, body: EVENT });
        await res.body.text();
        if (res.statusCode === 202) latencies.push(performance.now() - t); else errors++;
      } catch { errors++; }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN;
  return { events: latencies.length, seconds, p50: pct(0.5), p99: pct(0.99), errors };
}

async function measure(kind: string, arg: string, received?: () => number): Promise<Result & { drainSeconds?: number }> {
  const { proc, url } = await startChild(kind, arg);
  try {
    await load(url, WARMUP_MS);
    const before = received?.() ?? 0;
    const r = await load(url, MEASURE_MS);
    if (!received) return r;
    // Deliveries continue after the load stops; the run counts until the receiver has them all.
    const target = before + r.events * 3;
    const t0 = performance.now();
    while (received() < target && performance.now() - t0 < 120_000) await new Promise((res) => setTimeout(res, 50));
    return { ...r, drainSeconds: (performance.now() - t0) / 1000 };
  } finally {
    await stopChild(proc);
  }
}

async function parent(): Promise<void> {
  let received = 0;
  const receiver = createServer((req, res) => { req.resume(); req.on('end', () => { received++; res.end('ok'); }); });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

  const bare = await measure('bare', '');
  const hooker = await measure('hooker', receiverUrl, () => received);
  receiver.close();

  const rate = (r: Result) => r.events / r.seconds;
  const ms = (v: number) => `${v.toFixed(2)} ms`;
  const cpu = cpus();
  const machine = `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 1024 ** 3)} GiB, Node ${process.version}`;
  const section = `<!-- bench:server start -->
## Server: POST / with 20 routes, durability on (\`npm run bench:server\`)

Machine: ${machine}. Measured ${new Date().toISOString().slice(0, 10)}.

Load: ${CONNECTIONS} keep-alive connections posting a ${EVENT.length}-byte Tracee TRC-2 event for ${MEASURE_MS / 1000} s after a ${WARMUP_MS / 1000} s warm-up, from a separate process. Hooker evaluates the 20 routes through one wasm entrypoint (3 match), renders the template and commits the event and its 3 deliveries to SQLite (WAL, synchronous=NORMAL) before answering 202; an \`http\` action (concurrency 16) delivers to a local receiver. The baseline is a bare Fastify handler that parses the JSON and answers 202, measured in the same run. The Hooker process also makes the 3 outgoing deliveries of every event while it is being loaded, and the load generator and the receiver share the same cores.

| server | events/s | p50 | p99 | errors |
|---|---|---|---|---|
| bare Fastify (parse + 202) | ${rate(bare).toFixed(0)} | ${ms(bare.p50)} | ${ms(bare.p99)} | ${bare.errors} |
| Hooker (20 routes, durable inbox, http action) | ${rate(hooker).toFixed(0)} | ${ms(hooker.p50)} | ${ms(hooker.p99)} | ${hooker.errors} |
| ratio (bare / Hooker) | ${(rate(bare) / rate(hooker)).toFixed(1)}× | ${(hooker.p50 / bare.p50).toFixed(1)}× | ${(hooker.p99 / bare.p99).toFixed(1)}× | |

Deliveries: ${hooker.events * 3} accepted during the measurement reached the receiver ${hooker.drainSeconds!.toFixed(1)} s after the load stopped (${((hooker.events * 3) / (hooker.seconds + hooker.drainSeconds!)).toFixed(0)} deliveries/s end to end).
<!-- bench:server end -->`;
  process.stdout.write(section + '\n');

  const file = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const re = /<!-- bench:server start -->[\s\S]*?<!-- bench:server end -->/;
  text = re.test(text) ? text.replace(re, section) : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, text);
}

const i = process.argv.indexOf('--child');
if (i >= 0) await child(process.argv[i + 1]!, process.argv[i + 2] ?? '');
else await parent();
