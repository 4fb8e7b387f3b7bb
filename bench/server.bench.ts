// npm run bench:server [-- --quick]   |   npm run bench:server -- --db postgres [--replicas 1|2|3]
//   |   npm run bench:server -- --memory [--events N] [--rounds R] [--target LABEL@ROOT[@K=V,...]]... (see memoryMain)
// Issue 12's figures, all in one run so every one can be read as a ratio to
// the same run's bare-Fastify baseline (the machine is shared and noisy):
//
//   1. baseline: a bare Fastify handler that parses the JSON and answers 202;
//   2. ingest: Hooker's POST / (20 routes in one wasm entrypoint, 3 match, an
//      http action to a local receiver, every event committed to SQLite before
//      its 202), closed loop, backpressure and admission off so the ingest path is measured;
//      twice: with the deliveries of the accepted events running in the same
//      process meanwhile, and with them held (the receiver keeps its answers
//      until the phase ends, so the action sits at its concurrency limit and
//      the process does ingest only, as in the issue's first measurement;
//      every event is still committed before its 202 and delivered after);
//      each in rounds alternating with the bare handler's (--rounds N, 3 by
//      default), the ratio being the median of the rounds' ratios;
//   3. latency: p50/p99 of the 202 at an offered 1,000 events/s (open loop)
//      while the deliveries of earlier events run;
//   4. sustained end to end: an offered rate (3,000 events/s, 3 http
//      deliveries each) for 30 s, started once the previous phase's inbox is
//      delivered (its drain time is reported); deliveries/s at the receiver,
//      the inbox at the start and end of the phase (flat = keeping up), the
//      time its backlog took to drain and POST -> receiver latency; its
//      baseline is a bare relay (the bare handler also POSTs each event 3
//      times to the same receiver over raw keep-alive sockets, or undici
//      with --relay-client undici; nothing stored or retried; 503 while
//      RELAY_MAX_WAITING sends wait), run the same
//      way first: what this machine relays at all with the load generator
//      and the receiver sharing its cores (their CPU is printed too);
//   5. cold start to /ping and RSS right after it; RSS after 100,000 events.
//
// Each server is a child process running the built CLI (bin/hooker.js serve,
// as deployed; the npm script builds dist/ first); this process generates the
// load and the receiver of the http action is a child process of its own
// (the open-loop phases' generator and the receiver are bench/http1-load.ts,
// on raw sockets, so they take as little of the shared cores as they can).
// Phases are functions over a `Target` (how to start a server). Writes the
// section between the bench:server markers of BENCHMARKS.md.
// `-- --db postgres [--replicas 1|2|3]` measures replicas on PostgreSQL
// instead (bench/replicas.bench.ts, its own section of BENCHMARKS.md).
// `-- --only ingest` runs the two ingest phases (with their bare rounds) only
// and prints them without touching BENCHMARKS.md (for profiling a change).

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { freePort } from './free-port.js';
import { workerThreadsOf } from '../src/config/env.js';
import { describeWorkerThreads } from '../src/config/worker-threads.js';
import { openLoop as rawOpenLoop, startReceiver } from './http1-load.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = new URL('../../shared/fixtures/', import.meta.url);
const TRACEE = JSON.parse(readFileSync(new URL('tracee-trc1-finding.json', FIXTURES), 'utf8').replace('"TRC-1"', '"TRC-2"')) as Record<string, unknown>;
const EVENT = JSON.stringify(TRACEE);
const QUICK = process.argv.includes('--quick');
const ONLY_INGEST = argValue('--only') === 'ingest';
const CONNECTIONS = 32;
const WARMUP_MS = 2_000;
const MEASURE_MS = QUICK ? 5_000 : 10_000;
const SUSTAINED_RATE = Number(argValue('--rate') ?? 3_000);
/** `--open-connections N`: the open-loop generator's most sockets (256: a slow server sees many requests at once, as from many senders). */
const OPEN_LOOP_CONNECTIONS = Number(argValue('--open-connections') ?? 256);
const SUSTAINED_MS = QUICK ? 10_000 : 30_000;
const RSS_EVENTS = QUICK ? 20_000 : 100_000;
/**
 * `--phase latency|sustained|relay|held|start`: only that phase (relay: the bare relay's sustained run; start: the cold-start rows, see startPhase; held: ingest with
 * deliveries held, as in `--only ingest`, its rounds alternating with bare Fastify's, with the main thread's CPU per event) (a fresh server, nothing
 * written to BENCHMARKS.md), for profiling one phase: `--node-args "..."`
 * are given to the Hooker child (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"), `--root DIR` runs another
 * checkout's build (old/new pairs). The latency phase also prints how many 202s were slower than
 * 10/30/100 ms and, from the server's /metrics, its event loop's max delay and GC pauses in the phase;
 * it warms up on the connections it measures with (`--fresh-connections`: new ones, as before).
 * HOOKER_STDOUT=FILE keeps the Hooker child's stdout there (e.g. with --node-args "--trace-gc").
 */
const PHASE = argValue('--phase');
/**
 * `--compete N` (with `--phase` latency, sustained, relay or held): N processes spinning on the CPU from before the server starts until the phase
 * ends, as other work on a shared host. Both worker threads' first seconds are fragile against one: on 2 cores
 * at an offered 1,000 events/s the latency phase fell into a start backlog (202 p99 264-1,670 ms) in 4 of 11
 * runs, default mode in 1 of 8 (with other load on the machine too), while quiet runs of the two were level
 * (BENCHMARKS.md, session 18 "tlat").
 */
const COMPETE = Number(argValue('--compete') ?? 0);
const NODE_ARGS = (argValue('--node-args') ?? '').split(' ').filter(Boolean);

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

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

/** `timeout`: the http action's (the held-deliveries phase outlasts the default 5 s). */
function config(receiverUrl: string, timeout?: string): string {
  const routes = ROUTES.map((rego, i) => `  - name: route-${i}\n    input: |\n      ${rego}\n    actions: [ship]\n    template: raw-json\n`).join('');
  return `routes:\n${routes}templates:\n  - name: raw-json\n    rego-package: hooker.rawmessage.json\nactions:\n  - name: ship\n    type: http\n    enable: true\n    concurrency: 16\n${timeout ? `    timeout: ${timeout}\n` : ''}    url: ${receiverUrl}/in\n`;
}

// ---- servers under test ------------------------------------------------------

interface Running { proc: ChildProcess; url: string; startMs: number; stop(): Promise<void> }

/** How to start a server under test; `env` is added to the Hooker child's environment; `root` is the checkout whose bin/ and dist/ run (this one by default). */
interface Target { name: string; env: Record<string, string>; root?: string }

/**
 * Every child process this bench spawned (servers, receiver, bare handler),
 * killed when the bench exits, a failure included: a receiver left running
 * after `hooker serve` failed to start kept its inherited stderr, and so a
 * caller's pipe (and the bench lock around it), open for minutes.
 */
const children = new Set<ChildProcess>();
process.on('exit', () => { for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL'); });
function tracked(c: ChildProcess): ChildProcess {
  children.add(c);
  c.once('exit', () => children.delete(c));
  return c;
}

/** CPU time (ms, user + system) a process (or one of its threads: `thread`, its main thread being the pid) has used so far. */
function cpuMs(pid: number, thread?: number): number {
  const f = readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function waitForPing(url: string, proc: ChildProcess, timeoutMs: number): Promise<void> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server exited ${proc.exitCode}`);
    try { const r = await fetch(`${url}/ping`); if (r.ok) return; } catch { /* not listening yet */ }
    if (performance.now() > end) throw new Error(`no /ping answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function stopper(proc: ChildProcess, cleanup = () => {}): () => Promise<void> {
  return () => new Promise((resolve) => {
    if (proc.exitCode !== null) { cleanup(); resolve(); return; }
    proc.once('exit', () => { cleanup(); resolve(); });
    proc.kill('SIGTERM');
  });
}

/** `hooker serve` from dist/, timed from spawn to the first /ping answer; `keepDir` is a data directory kept across starts. */
async function startHooker(target: Target, receiverUrl: string, env: Record<string, string> = {}, keepDir?: string, timeout?: string): Promise<Running> {
  const dir = keepDir ?? mkdtempSync(join(tmpdir(), 'hooker-bench-'));
  writeFileSync(join(dir, 'cfg.yaml'), config(receiverUrl, timeout));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  const root = target.root ?? ROOT;
  const proc = tracked(spawn(process.execPath, [...NODE_ARGS, join(root, 'bin/hooker.js'), 'serve'], {
    cwd: root, stdio: ['ignore', process.env.HOOKER_STDOUT ? openSync(process.env.HOOKER_STDOUT, 'w') : 'ignore', 'inherit'],
    env: {
      ...process.env, HOOKER_CFG: join(dir, 'cfg.yaml'), HOOKER_HTTP: `127.0.0.1:${port}`, HOOKER_HTTPS: '',
      // The database in its own directory, as deployments keep it (data/hooker.db next to cfg.yaml by default,
      // /server/database against /config in Kubernetes): the config watcher watches cfg.yaml's directory, and every
      // WAL write beside it woke the event loop for a file event (with the SQLite writer thread, 18 % of its CPU).
      HOOKER_DB: join(dir, 'data', 'hooker.db'),
      HOOKER_MAX_INBOX: '10000000', HOOKER_LOG_LEVEL: 'warn', ...target.env, ...env,
    },
  }));
  await waitForPing(url, proc, 120_000);
  return { proc, url, startMs: performance.now() - t0, stop: stopper(proc, () => { if (!keepDir) rmSync(dir, { recursive: true, force: true }); }) };
}

async function startBare(relayTo?: string): Promise<Running> {
  const here = fileURLToPath(import.meta.url);
  const proc = tracked(spawn(process.execPath, ['--import', 'tsx', here, '--bare-child', ...(relayTo ? ['--relay', relayTo, '--relay-client', RELAY_CLIENT] : [])], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (b) => { out += b; const m = /LISTENING (\S+)/.exec(out); if (m) resolve(m[1]!); });
    proc.once('exit', (code) => reject(new Error(`bare server exited ${code}`)));
  });
  return { proc, url, startMs: NaN, stop: stopper(proc) };
}

/** `--relay-client raw|undici`: how the bare relay sends (raw by default, see bareChild). */
const RELAY_CLIENT = argValue('--relay-client') ?? 'raw';
if (RELAY_CLIENT !== 'raw' && RELAY_CLIENT !== 'undici') throw new Error(`--relay-client ${RELAY_CLIENT}: give raw or undici`);

/**
 * Sends the bare relay keeps waiting at most (about half a second of
 * deliveries at 9,000/s); beyond it the relay answers 503, as Hooker's
 * admission does. Without a bound an overloaded relay (2 cores shared with
 * the load) spent its loop on accepting: 256 sending connections against 16
 * delivering ones, it relayed 150–340 of an offered 9,000 deliveries/s at
 * load 11 while accepting every event, which measures its scheduling, not
 * what the machine can relay.
 */
const RELAY_MAX_WAITING = 4_096;

function undiciRelay(to: string): (body: string) => Promise<unknown> {
  const pool = new Pool(to, { connections: 16 });
  return (body) => pool.request({ path: '/in', method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((res) => res.body.dump(), () => {});
}

async function rawRelay(to: string): Promise<(body: string) => Promise<unknown>> {
  const { Http1Client } = await import('../src/actions/http1-client.js');
  const client = new Http1Client({ connections: 16 });
  const url = `${to}/in`;
  const headers = { 'content-type': 'application/json' };
  return (body) => client.request({ url, method: 'POST', headers, body, timeoutMs: 60_000 }).catch(() => {});
}

async function bareChild(): Promise<void> {
  const { default: Fastify } = await import('fastify');
  const app = Fastify();
  const relayTo = argValue('--relay');
  if (relayTo) {
    // The bare relay: what the sustained phase asks of Hooker with nothing
    // of Hooker (no durability, evaluation, template or retry): the event
    // re-serialised and POSTed 3 times on 16 keep-alive connections, the 202
    // answered at once. It shows what this machine can relay at all with the
    // load generator and the receiver on its cores, so it sends with the
    // cheapest client at hand: raw keep-alive sockets (Hooker's HTTP/1.1
    // client, src/actions/http1-client.ts, as a plain library: no store,
    // no deadline guard), or undici with `--relay-client undici` (the
    // baseline of runs before session 7).
    const send = RELAY_CLIENT === 'undici' ? undiciRelay(relayTo) : await rawRelay(relayTo);
    let waiting = 0;
    const sent = () => { waiting--; };
    app.get('/readyz', async () => ({ inbox: 0 }));
    // Refused before the body is read, as Hooker refuses (before Fastify, in its case).
    app.addHook('onRequest', (req, reply, done) => {
      if (req.method === 'POST' && waiting > RELAY_MAX_WAITING) { void reply.code(503).header('retry-after', '1').send(); return; }
      done();
    });
    app.post('/', async (req, reply) => {
      const body = JSON.stringify(req.body);
      waiting += 3;
      for (let i = 0; i < 3; i++) void send(body).then(sent);
      return reply.status(202).send({ ok: true });
    });
  } else app.post('/', async (req, reply) => reply.status(202).send({ ok: true, keys: Object.keys(req.body as object).length }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`LISTENING http://127.0.0.1:${(app.server.address() as AddressInfo).port}\n`);
  process.once('SIGTERM', () => { void app.close().then(() => process.exit(0)); });
}

// ---- load ----------------------------------------------------------------------

interface Result { events: number; seconds: number; p50: number; p99: number; max: number; errors: number; refused: number }

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;

/** Backpressure and admission off: the ingest phases measure how fast events are taken in, never refused. */
const INGEST_ENV = { HOOKER_MAX_DELIVERY_LAG: '0', HOOKER_INBOX_HIGH_WATER: '0' };

/** A Hooker for held ingest: the action's timeout outlasts the phase, so no delivery times out and retries while held. */
function startHeldHooker(target: Target, receiverUrl: string): Promise<Running> {
  return startHooker(target, receiverUrl, INGEST_ENV, undefined, '120s');
}

/**
 * `--rounds N`: the ingest phases measure bare Fastify and Hooker alternately
 * in N rounds (3 by default) of ROUND_MS each, on the same closed loop of
 * CONNECTIONS senders, and give the median of the rounds' ratios with every
 * round's figures. Measured once each, minutes apart, the bare baseline alone
 * swung 15.7k-25.2k events/s between idle runs of the same code (so the ratio
 * 20-41 %): the machine's state moves within minutes, and a ratio of figures
 * taken seconds apart, repeated, says more than one taken minutes apart.
 */
const ROUNDS = Math.max(1, Number(argValue('--rounds') ?? 3));
const ROUND_MS = QUICK ? 2_000 : 4_000;
/** Each round's own warm-up on its fresh connections (not counted): the connection ramp stays out of the figure. */
const ROUND_WARMUP_MS = 500;

/** One server's closed-loop round: the result and, for Hooker, the process's and main thread's CPU per event. */
interface Round extends Result { latencies: number[]; cpuUs: number; mainUs: number }

/** A closed-loop round against `server`, with its CPU per event (process and main thread) when `pid` is given. */
async function round(server: Running, pid?: number): Promise<Round> {
  let cpu0 = 0;
  let main0 = 0;
  const atStart = () => { if (pid !== undefined) { cpu0 = cpuMs(pid); main0 = cpuMs(pid, pid); } };
  const r = await closedLoop(server.url, ROUND_MS, { warmupMs: ROUND_WARMUP_MS, atStart });
  if (pid === undefined) return { ...r, cpuUs: NaN, mainUs: NaN };
  return { ...r, cpuUs: ((cpuMs(pid) - cpu0) * 1000) / r.events, mainUs: ((cpuMs(pid, pid) - main0) * 1000) / r.events };
}

/**
 * Waits until a process has been quiet (under 2 % of a core) for a second,
 * at least `minMs` and at most 8 s: after a Hooker round its checkpoint
 * worker and its idle collection (src/server/idle-gc.ts, up to ~2 s after a
 * burst) run, and must not fall into the next bare round.
 */
async function settle(pid: number, minMs = 0): Promise<void> {
  const t0 = performance.now();
  let quietSince = t0;
  let last = cpuMs(pid);
  while (performance.now() - t0 < 8_000) {
    await new Promise((r) => setTimeout(r, 100));
    const now = cpuMs(pid);
    if (now - last > 2) quietSince = performance.now();
    last = now;
    if (performance.now() - t0 >= minMs && performance.now() - quietSince >= 1_000) return;
  }
}

/** Rounds of bare Fastify and Hooker, alternated; `hooks` run just before and after each Hooker round (the deliveries-running phase counts deliveries and drains there). */
interface IngestRounds {
  bare: Round[]; hooker: Round[];
  /** Hooker's process CPU (ms) while each bare round ran: what it took from the baseline (should be ~0). */
  hookerCpuDuringBareMs: number[];
}

/** Hooker's CPU (ms) during a bare round above which the bare round is run again (its timers take ~10 ms per second). */
const BARE_ROUND_HOOKER_MS = 150;

async function alternateIngest(bare: Running, hooker: Running, log: (line: string) => void, hooks: { before?: () => Promise<void>; after?: () => Promise<void> } = {}): Promise<IngestRounds> {
  const pid = hooker.proc.pid!;
  const out: IngestRounds = { bare: [], hooker: [], hookerCpuDuringBareMs: [] };
  for (let i = 0; i < ROUNDS; i++) {
    let b: Round;
    let hookerMs: number;
    // Hooker's idle collection (src/server/idle-gc.ts: at most one per 30 s, so it may come a round later) can still
    // fall into a bare round, and a full collection of a large held heap takes hundreds of ms: that round is run again.
    for (let tries = 0; ; tries++) {
      await settle(pid, 2_500);
      const c0 = cpuMs(pid);
      b = await round(bare);
      hookerMs = cpuMs(pid) - c0;
      if (hookerMs <= BARE_ROUND_HOOKER_MS || tries === 2) break;
      log(`  round ${i + 1}: Hooker used ${hookerMs} ms of CPU during the bare round: bare measured again`);
    }
    out.hookerCpuDuringBareMs.push(hookerMs);
    await settle(bare.proc.pid!);
    await hooks.before?.();
    const h = await round(hooker, pid);
    out.bare.push(b);
    out.hooker.push(h);
    log(`  round ${i + 1}: bare ${rate(b).toFixed(0)}/s, Hooker ${rate(h).toFixed(0)}/s (${((100 * rate(h)) / rate(b)).toFixed(1)} % of bare), ${h.cpuUs.toFixed(0)} µs CPU per event (main thread ${h.mainUs.toFixed(0)} µs)`);
    await hooks.after?.();
  }
  return out;
}

const medianOf = (values: number[]) => { const s = [...values].sort((a, b) => a - b); return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2; };

/** The rounds summed up: medians of each side's events/s and of the rounds' ratios, CPU per event over all rounds, 202 latencies of all Hooker rounds. */
function summary(r: IngestRounds) {
  const ratios = r.bare.map((b, i) => rate(r.hooker[i]!) / rate(b));
  const events = r.hooker.reduce((n, h) => n + h.events, 0);
  const sumOf = (f: (h: Round) => number) => r.hooker.reduce((n, h) => n + f(h) * h.events, 0) / events;
  const latencies = r.hooker.flatMap((h) => h.latencies).sort((a, b) => a - b);
  const bareLatencies = r.bare.flatMap((b) => b.latencies).sort((a, b) => a - b);
  return {
    bareRate: medianOf(r.bare.map(rate)), hookerRate: medianOf(r.hooker.map(rate)), ratio: medianOf(ratios), minRatio: Math.min(...ratios), maxRatio: Math.max(...ratios),
    cpuUs: sumOf((h) => h.cpuUs), mainUs: sumOf((h) => h.mainUs), events,
    p50: pct(latencies, 0.5), p99: pct(latencies, 0.99), bareP50: pct(bareLatencies, 0.5), bareP99: pct(bareLatencies, 0.99),
    /** Each round: bare / Hooker events/s (Hooker's share of bare), for the table. */
    rounds: r.bare.map((b, i) => `${rate(b).toFixed(0)} / ${rate(r.hooker[i]!).toFixed(0)} (${(100 * ratios[i]!).toFixed(0)} %)`).join('; '),
    cpuRounds: r.hooker.map((h) => `${h.cpuUs.toFixed(0)}`).join(' / '),
  };
}

/** A bare Fastify, warmed up, for the ingest rounds. */
async function startWarmBare(): Promise<Running> {
  const bare = await startBare();
  await closedLoop(bare.url, WARMUP_MS);
  return bare;
}

/**
 * Held ingest: the receiver keeps every answer while a closed loop posts
 * (a warm-up, then the rounds, alternated with bare Fastify's), then lets
 * them go. The Hooker's CPU per event over all rounds, of the whole process
 * and of its main thread.
 */
async function heldIngest(receiver: Receiver, hooker: Running, bare: Running, log: (line: string) => void): Promise<IngestRounds> {
  await receiver.hold(true);
  await closedLoop(hooker.url, WARMUP_MS);
  const rounds = await alternateIngest(bare, hooker, log);
  await receiver.hold(false);
  return rounds;
}

/**
 * Closed loop: CONNECTIONS senders, each posting as soon as its last answer came.
 * `warmupMs`: posted first on the same connections and not counted; `atStart` runs as the counted part starts.
 */
async function closedLoop(url: string, ms: number, opts: { warmupMs?: number; atStart?: () => void } = {}): Promise<Result & { latencies: number[] }> {
  const pool = new Pool(url, { connections: CONNECTIONS, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  let refused = 0;
  const warmupMs = opts.warmupMs ?? 0;
  let measuring = false;
  let started = performance.now();
  const begin = () => { measuring = true; started = performance.now(); opts.atStart?.(); };
  if (warmupMs > 0) setTimeout(begin, warmupMs); else begin();
  const end = performance.now() + warmupMs + ms;
  const worker = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      try {
        const res = await pool.request({ path: '/', method: 'POST', headers: { 'content-type': 'application/json' }, body: EVENT });
        await res.body.text();
        if (!measuring) continue;
        if (res.statusCode === 202) latencies.push(performance.now() - t); else if (res.statusCode === 503) refused++; else errors++;
      } catch { if (measuring) errors++; }
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  return { events: latencies.length, seconds, p50: pct(latencies, 0.5), p99: pct(latencies, 0.99), max: latencies.at(-1) ?? NaN, errors, refused, latencies };
}

/**
 * Open loop: events offered at `rate` per second whatever the answers
 * (bench/http1-load.ts: raw keep-alive sockets, up to 256, pre-built request
 * bytes; a slow server sees more concurrent requests, as with real senders).
 * Latency counts from each request's scheduled send time, which its body
 * carries as bench_sent_us for the receiver's POST -> receiver latency.
 */
/** `warmupMs`: offered first on the same connections and not counted (bench/http1-load.ts); its accepted events are `warmupEvents`. */
async function openLoop(url: string, rate: number, ms: number, warmupMs = 0): Promise<Result & { offered: number; maxInbox: number; generatorCpuMs: number; latencies: number[]; warmupEvents: number; bySecond: Array<{ latencies: number[]; refused: number }> }> {
  // The inbox, sampled each second: flat or bounded while the phase runs.
  let maxInbox = 0;
  const sampler = setInterval(() => { void inbox(url).then((n) => { maxInbox = Math.max(maxInbox, n); }, () => {}); }, 1_000);
  const cpu0 = process.cpuUsage();
  const r = await rawOpenLoop(`${url}/`, EVENT, rate, ms, OPEN_LOOP_CONNECTIONS, warmupMs);
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  const latencies = r.latencies.sort((a, b) => a - b);
  return {
    events: r.ok, seconds: r.seconds, p50: pct(latencies, 0.5), p99: pct(latencies, 0.99), max: latencies.at(-1) ?? NaN,
    errors: r.errors, refused: r.refused, offered: r.offered, maxInbox, generatorCpuMs: (cpu.user + cpu.system) / 1000, latencies, warmupEvents: r.warmupOk, bySecond: r.bySecond,
  };
}

/**
 * The receiver of the http action, in its own process so that the load
 * generator saturating this one does not delay it: counts deliveries and the
 * POST -> receiver latency of bodies carrying bench_sent_us (wall-clock
 * microseconds, the same clock in both processes).
 */
class Receiver {
  private proc?: ChildProcess;
  url = '';
  get pid(): number { return this.proc!.pid!; }
  received = 0;
  endToEnd: number[] = [];
  /** Each endToEnd latency's send time (wall-clock ms). */
  sentAt: number[] = [];
  private offset = 0;
  private timer?: ReturnType<typeof setInterval>;

  async start(): Promise<void> {
    const here = fileURLToPath(import.meta.url);
    this.proc = tracked(spawn(process.execPath, ['--import', 'tsx', here, '--receiver-child'], { stdio: ['ignore', 'pipe', 'inherit'] }));
    this.url = await new Promise<string>((resolve, reject) => {
      let out = '';
      this.proc!.stdout!.on('data', (b) => { out += b; const m = /LISTENING (\S+)/.exec(out); if (m) resolve(m[1]!); });
      this.proc!.once('exit', (code) => reject(new Error(`receiver exited ${code}`)));
    });
    this.timer = setInterval(() => { void this.refresh(); }, 100);
  }

  /** Pulls the count and the latencies recorded since the last pull. */
  async refresh(): Promise<void> {
    try {
      const r = (await (await fetch(`${this.url}/stats?from=${this.offset}`)).json()) as { received: number; latencies: number[]; sent: number[] };
      this.received = r.received;
      this.offset += r.latencies.length;
      this.endToEnd.push(...r.latencies);
      this.sentAt.push(...r.sent);
    } catch { /* the next pull gets it */ }
  }

  /** While held, the receiver reads each delivery and keeps its answer (the action stays at its concurrency limit). */
  async hold(on: boolean): Promise<void> {
    await fetch(`${this.url}/hold?on=${on ? 1 : 0}`, { method: 'PUT' });
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await stopper(this.proc!)();
  }
}

/** The receiver (bench/http1-load.ts: raw keep-alive sockets, a fixed answer, Content-Length and chunked framing). */
async function receiverChild(): Promise<void> {
  const r = await startReceiver();
  process.stdout.write(`LISTENING http://127.0.0.1:${r.port}\n`);
  process.once('SIGTERM', () => { void r.close().then(() => process.exit(0)); });
}

/**
 * The serve process's own event loop and collector over a phase, from its
 * /metrics (prom-client's default metrics): the loop-delay histogram is
 * reset by every scrape, so a scrape at the start and one at the end give the
 * phase's maximum delay; the GC durations are cumulative, so the phase's are
 * the difference. A slow 202 with no server stall behind it waited for
 * something other than the event loop (the commit queue, the load generator).
 */
async function serverLoop(url: string): Promise<{ maxDelayMs: number; gc: Record<string, { count: number; ms: number }> }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const gc: Record<string, { count: number; ms: number }> = {};
  for (const m of text.matchAll(/^nodejs_gc_duration_seconds_(sum|count)\{kind="(\w+)"\} (\S+)/gm)) {
    const k = (gc[m[2]!] ??= { count: 0, ms: 0 });
    if (m[1] === 'sum') k.ms = Number(m[3]) * 1000; else k.count = Number(m[3]);
  }
  return { maxDelayMs: Number(/^nodejs_eventloop_lag_max_seconds (\S+)/m.exec(text)?.[1] ?? NaN) * 1000, gc };
}

/** What `serverLoop` scrapes before and after a phase say about it: max loop delay, GC pauses by kind (count, total ms). */
function loopSince(before: Awaited<ReturnType<typeof serverLoop>>, after: Awaited<ReturnType<typeof serverLoop>>): string {
  const gc = Object.entries(after.gc).filter(([k, v]) => v.count > (before.gc[k]?.count ?? 0))
    .map(([k, v]) => `${k} ${v.count - (before.gc[k]?.count ?? 0)} (${(v.ms - (before.gc[k]?.ms ?? 0)).toFixed(0)} ms)`).join(', ');
  return `server event loop max delay ${after.maxDelayMs.toFixed(0)} ms, GC ${gc || 'none'}`;
}

/** The machine's steal ticks so far (/proc/stat's cpu line, 8th value): a VM losing its CPU to the host. */
function stealTicks(): number {
  return Number(readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/)[8]);
}

/** /proc/meminfo's Dirty and Writeback (MiB): pages still to be written to disk, e.g. a deleted database's. */
function dirtyMiB(): { dirty: number; writeback: number } {
  const m = readFileSync('/proc/meminfo', 'utf8');
  const kib = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(m)?.[1] ?? NaN) / 1024;
  return { dirty: kib('Dirty'), writeback: kib('Writeback') };
}

/**
 * `--watch` (with `--phase latency`): each second of the phase, the server's state from its /metrics (the inbox,
 * the delivery lag, the leaving rate admission meters at, refusals by reason, the event loop's max delay since the
 * last scrape), its and the receiver's CPU, deliveries at the receiver, steal and dirty pages: what a refusal or a
 * slow second goes with. Stopped by calling the returned function, which gives one line per second.
 */
function watchServer(url: string, pid: number, receiver: Receiver): () => Promise<string[]> {
  const lines: string[] = [];
  const num = (text: string, name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
  let last = { at: performance.now(), cpu: cpuMs(pid), recvCpu: cpuMs(receiver.pid), received: receiver.received, steal: stealTicks(), admission: 0, lagRefusals: 0 };
  let busy = Promise.resolve();
  const sample = async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    await receiver.refresh();
    const now = { at: performance.now(), cpu: cpuMs(pid), recvCpu: cpuMs(receiver.pid), received: receiver.received, steal: stealTicks(), admission: num(text, 'hooker_admission_refusals_total'), lagRefusals: num(text, 'hooker_backpressure_refusals_total') };
    const s = (now.at - last.at) / 1000;
    const d = dirtyMiB();
    lines.push(`t+${(lines.length + 1)}s inbox ${num(text, 'hooker_deliveries_pending')} lag ${(num(text, 'hooker_delivery_lag_seconds') * 1000).toFixed(0)} ms leaving ${num(text, 'hooker_inbox_leaving_per_second').toFixed(0)}/s refused admission ${now.admission - last.admission} lag ${now.lagRefusals - last.lagRefusals}; deliveries ${((now.received - last.received) / s).toFixed(0)}/s; loop max delay ${(num(text, 'nodejs_eventloop_lag_max_seconds') * 1000).toFixed(0)} ms; server ${((now.cpu - last.cpu) / 1000 / s).toFixed(2)} core, receiver ${((now.recvCpu - last.recvCpu) / 1000 / s).toFixed(2)}; steal ${now.steal - last.steal}; dirty ${d.dirty.toFixed(0)} / writeback ${d.writeback.toFixed(0)} MiB`);
    last = now;
  };
  const timer = setInterval(() => { busy = busy.then(sample).catch(() => {}); }, 1_000);
  return async () => { clearInterval(timer); await busy; return lines; };
}

/** Each second of an open loop: p50 / p99 of its 202s, and its 503s. */
const describeBySecond = (bySecond: Array<{ latencies: number[]; refused: number }>) => bySecond.map((x, i) => {
  const l = [...(x?.latencies ?? [])].sort((a, b) => a - b);
  return `${i}:${pct(l, 0.5).toFixed(1)}/${pct(l, 0.99).toFixed(0)}${x?.refused ? ` (${x.refused} refused)` : ''}`;
}).join(' ');

/** 202s slower than 10, 30 and 100 ms (of a sorted list): how many answers the slow moments reached. */
const slowCounts = (latencies: number[]) => [10, 30, 100].map((limit) => latencies.filter((v) => v > limit).length).join(' / ');

async function inbox(url: string): Promise<number> {
  const r = await fetch(`${url}/readyz`);
  return ((await r.json()) as { inbox: number }).inbox;
}

/**
 * Waits until the server's inbox is empty (bounded), so the next phase starts
 * without the previous one's backlog; returns the seconds it took, or
 * undefined when the inbox did not empty within `timeoutMs`.
 */
async function drainInbox(url: string, timeoutMs: number): Promise<{ seconds: number; left: number }> {
  const t0 = performance.now();
  let left = await inbox(url);
  while (left > 0 && performance.now() - t0 < timeoutMs) {
    await new Promise((r) => setTimeout(r, 100));
    left = await inbox(url);
  }
  return { seconds: (performance.now() - t0) / 1000, left };
}

const drained = (d: { seconds: number; left: number }) => (d.left === 0 ? `${d.seconds.toFixed(1)} s` : `not within ${d.seconds.toFixed(0)} s (${d.left} events left)`);

async function drain(receiver: Receiver, target: number, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  while (receiver.received < target && performance.now() - t0 < timeoutMs) await new Promise((r) => setTimeout(r, 50));
  return (performance.now() - t0) / 1000;
}

// ---- phases ----------------------------------------------------------------------

const rate = (r: Result) => r.events / r.seconds;
const ms = (v: number) => `${v.toFixed(2)} ms`;

interface SecondOfE2e { second: number; n: number; p50: number; p99: number }

/**
 * POST → receiver latency per second of the phase, by each event's send
 * time: whether a p99 comes from the whole phase or from a few seconds (the
 * first ones after the rate step, or one stall and its drain) decides where
 * to look (issue 12, target 1).
 */
function secondsOfE2e(latencies: number[], sentAt: number[], phaseStart: number): SecondOfE2e[] {
  const bySecond: number[][] = [];
  for (let i = 0; i < latencies.length && i < sentAt.length; i++) {
    const second = Math.floor((sentAt[i]! - phaseStart) / 1000);
    if (second < 0) continue;
    (bySecond[second] ??= []).push(latencies[i]!);
  }
  const out: SecondOfE2e[] = [];
  bySecond.forEach((a, second) => {
    a.sort((x, y) => x - y);
    out.push({ second, n: a.length, p50: pct(a, 0.5), p99: pct(a, 0.99) });
  });
  return out;
}

/** "p99 < 50 ms in 24 of 30 s; worst 1 s 212 ms (second 0)": the per-second series in one phrase. */
function describeSeconds(perSecond: SecondOfE2e[]): string {
  const full = perSecond.filter((s) => s.n >= 10);
  if (full.length === 0) return 'no per-second figures';
  const worst = full.reduce((a, b) => (b.p99 > a.p99 ? b : a));
  const under = full.filter((s) => s.p99 < 50).length;
  return `p99 < 50 ms in ${under} of ${full.length} s; worst second p99 ${worst.p99.toFixed(0)} ms (second ${worst.second})`;
}

/**
 * The sustained phase against one server: offered SUSTAINED_RATE events/s
 * for SUSTAINED_MS, deliveries counted at the receiver meanwhile, the
 * server's CPU share (cores) from /proc; the server is stopped afterwards
 * only when `stop` is set.
 */
async function sustainedRun(receiver: Receiver, server: Running, stop = true): Promise<{ load: Result & { offered: number; maxInbox: number }; deliveriesPerS: number; e2e: number[]; perSecond: SecondOfE2e[]; cpuShare: number; receiverCpuShare: number; generatorCpuShare: number; inboxStart: number; inboxEnd: number }> {
  try {
    await receiver.refresh();
    const receivedStart = receiver.received;
    receiver.endToEnd = [];
    receiver.sentAt = [];
    const inboxStart = await inbox(server.url);
    const cpu0 = cpuMs(server.proc.pid!);
    const receiverCpu0 = cpuMs(receiver.pid);
    const phaseStart = performance.timeOrigin + performance.now();
    const load = await openLoop(server.url, SUSTAINED_RATE, SUSTAINED_MS);
    const cpuShare = (cpuMs(server.proc.pid!) - cpu0) / (load.seconds * 1000);
    // The load side's own share of the 2 cores: the receiver's process, and this one's (the generator, with the receiver's stats pulls).
    const receiverCpuShare = (cpuMs(receiver.pid) - receiverCpu0) / (load.seconds * 1000);
    const generatorCpuShare = load.generatorCpuMs / (load.seconds * 1000);
    const inboxEnd = await inbox(server.url);
    await receiver.refresh();
    const deliveriesPerS = (receiver.received - receivedStart) / load.seconds;
    const perSecond = secondsOfE2e(receiver.endToEnd, receiver.sentAt, phaseStart);
    return { load, deliveriesPerS, e2e: [...receiver.endToEnd].sort((a, b) => a - b), perSecond, cpuShare, receiverCpuShare, generatorCpuShare, inboxStart, inboxEnd };
  } finally {
    if (stop) await server.stop();
  }
}

/**
 * What the sustained phase follows in the full run: an offered 1,000 events/s for the latency
 * phase's warm-up and measured time, then its backlog drained: the process's hot code is compiled
 * (a cold process delivers slowly in its first seconds) and the inbox is empty.
 */
async function warmUp(url: string): Promise<Awaited<ReturnType<typeof openLoop>>> {
  const at1k = await openLoop(url, 1_000, MEASURE_MS, WARMUP_MS);
  await drainInbox(url, 300_000);
  return at1k;
}

/** How long the latency phase's server is first warmed at 1,000 events/s (then its inbox drained), before the phase's own warm-up. */
const JIT_WARMUP_MS = 5_000;

/**
 * Before the latency phase: the fresh server takes an offered 1,000 events/s for JIT_WARMUP_MS on connections of
 * their own, and its inbox is drained; the phase then warms up (WARMUP_MS) and measures as before. A server's first
 * seconds of traffic are its cold start (V8 compiling the hot paths: 1.1-1.3 cores for 2-3 s in default mode, issue
 * 12 session 18 tlat) and on this 2-core machine they leave a start backlog (in a lone run at 03:26 UTC on 28 Nov the
 * inbox reached 1,480 events 2 s in, caught up by 6 s); when it crosses HOOKER_INBOX_HIGH_WATER (2,000: 2 s at this
 * rate) admission meters ingest and the measured window opened on a server still 2 s behind, refusing events and
 * answering late: the full run's 202 p99 of 230-683 ms with 654-3,274 refused (session 19 anomaly), which measured
 * that cold start, not the steady state target 2b is about. `--cold` (with `--phase latency`): no such warm-up.
 * Returns what the warm-up saw, for the log (a start backlog is still reported, not hidden).
 */
async function jitWarmUp(url: string): Promise<{ line: string; events: number }> {
  const w = await openLoop(url, 1_000, JIT_WARMUP_MS);
  const d = await drainInbox(url, 300_000);
  return { events: w.events, line: `warm-up ${JIT_WARMUP_MS / 1000} s at 1,000/s: p99 ${w.p99.toFixed(0)} ms, ${w.refused} refused, inbox up to ${w.maxInbox}, drained in ${drained(d)}` };
}

/** One phase alone on a fresh server (`--phase`), printed only. */
async function onePhase(phase: string): Promise<void> {
  // `--root DIR`: the checkout whose bin/ and dist/ run (another build, for old/new pairs).
  const root = argValue('--root');
  const target: Target = { name: 'SQLite', env: {}, ...(root ? { root } : {}) };
  const receiver = new Receiver();
  await receiver.start();
  const log = (line: string) => process.stderr.write(`bench:server: ${line}\n`);
  if (phase === 'start') {
    try {
      await startPhase(target, receiver.url, log);
    } finally {
      await receiver.close();
    }
    return;
  }
  const competitors = Array.from({ length: COMPETE }, () => tracked(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' })));
  if (COMPETE) log(`${COMPETE} busy process${COMPETE > 1 ? 'es' : ''} competing for the CPU`);
  // `--before relay,ingest,held,start` (with `--phase latency`): what the full run does before its latency phase, on the
  // same receiver (and this process), in the full run's order: whether the phase's figures depend on what came before.
  if (phase === 'latency' && argValue('--before')) await fullRunPrefix(argValue('--before')!.split(','), target, receiver, log);
  // Held: as in `--only ingest` (startHeldHooker).
  const hooker = phase === 'held' ? await startHeldHooker(target, receiver.url) : await startHooker(target, receiver.url);
  try {
    if (phase === 'latency') {
      // `--fresh-connections`: the measured part opens its own sockets (the connection ramp, see bench/http1-load.ts).
      const fresh = process.argv.includes('--fresh-connections');
      // `--rate N`: another offered rate (events/s) for diagnosis, e.g. below the machine's saturation while others load it.
      const offered = Number(argValue('--rate') ?? 1_000);
      if (!process.argv.includes('--cold')) log((await jitWarmUp(hooker.url)).line);
      if (fresh) await openLoop(hooker.url, offered, WARMUP_MS);
      // The server's loop figures are scraped when the measured part starts.
      const loop0 = new Promise<Awaited<ReturnType<typeof serverLoop>>>((resolve, reject) => setTimeout(() => serverLoop(hooker.url).then(resolve, reject), fresh ? 0 : WARMUP_MS));
      const steal0 = stealTicks();
      const watch = process.argv.includes('--watch') ? watchServer(hooker.url, hooker.proc.pid!, receiver) : undefined;
      const at1k = await openLoop(hooker.url, offered, MEASURE_MS, fresh ? 0 : WARMUP_MS);
      const watched = await watch?.();
      const loop1 = await serverLoop(hooker.url);
      const d = await drainInbox(hooker.url, 300_000);
      log(`202 by second (p50/p99 ms): ${describeBySecond(at1k.bySecond)}; steal ${stealTicks() - steal0} ticks over warm-up and phase, load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
      for (const line of watched ?? []) log(`  ${line}`);
      log(`at ${offered.toLocaleString('en')}/s: p50 ${at1k.p50.toFixed(1)} ms, p99 ${at1k.p99.toFixed(1)} ms, max ${at1k.max.toFixed(1)} ms, ${at1k.events} accepted, ${at1k.refused} refused, ${at1k.errors} errors; 202s over 10 / 30 / 100 ms: ${slowCounts(at1k.latencies)}; ${loopSince(await loop0, loop1)}; inbox drained in ${drained(d)}`);
    } else if (phase === 'sustained') {
      // `--warm`: first what precedes it in the full run (the latency phase's 1,000/s for 12 s, drained), so the process is warm.
      if (process.argv.includes('--warm')) await warmUp(hooker.url);
      const r = await sustainedRun(receiver, hooker, false);
      const s = r.load;
      log(`sustained ${SUSTAINED_RATE}/s: ${rate(s).toFixed(0)} accepted/s (${s.refused} refused, ${s.errors} errors), ${r.deliveriesPerS.toFixed(0)} deliveries/s, server CPU ${r.cpuShare.toFixed(2)} core (receiver ${r.receiverCpuShare.toFixed(2)}, generator ${r.generatorCpuShare.toFixed(2)}), inbox ${r.inboxStart} -> ${r.inboxEnd} (max ${s.maxInbox}), 202 p50 ${s.p50.toFixed(1)} ms p99 ${s.p99.toFixed(1)} ms, e2e p50 ${pct(r.e2e, 0.5).toFixed(0)} ms p99 ${pct(r.e2e, 0.99).toFixed(0)} ms; per second: ${describeSeconds(r.perSecond)}`);
      // `--per-second`: each second's e2e p50 / p99 (where the tail comes from).
      if (process.argv.includes('--per-second')) log(`e2e by second (p50/p99 ms): ${r.perSecond.map((x) => `${x.second}:${x.p50.toFixed(0)}/${x.p99.toFixed(0)}`).join(' ')}`);
    } else if (phase === 'relay') {
      const relay = await startBare(receiver.url);
      // Its warm-up is the latency phase's load: the bare relay's 202s at 1,000/s, the baseline of target 2b's figure.
      if (process.argv.includes('--warm')) { const w = await warmUp(relay.url); log(`bare relay at 1,000/s: p50 ${w.p50.toFixed(1)} ms, p99 ${w.p99.toFixed(1)} ms, max ${w.max.toFixed(1)} ms; 202s over 10 / 30 / 100 ms: ${slowCounts(w.latencies)}`); }
      const r = await sustainedRun(receiver, relay);
      log(`bare relay ${SUSTAINED_RATE}/s: ${rate(r.load).toFixed(0)} accepted/s, ${r.deliveriesPerS.toFixed(0)} deliveries/s, relay CPU ${r.cpuShare.toFixed(2)} core (receiver ${r.receiverCpuShare.toFixed(2)}, generator ${r.generatorCpuShare.toFixed(2)}), e2e p50 ${pct(r.e2e, 0.5).toFixed(1)} ms p99 ${pct(r.e2e, 0.99).toFixed(1)} ms; per second: ${describeSeconds(r.perSecond)}`);
      if (process.argv.includes('--per-second')) log(`e2e by second (p50/p99 ms): ${r.perSecond.map((x) => `${x.second}:${x.p50.toFixed(0)}/${x.p99.toFixed(0)}`).join(' ')}`);
    } else if (phase === 'held') {
      // Held ingest alone (the "deliveries held" row of `--only ingest`: rounds alternated with bare Fastify's), for
      // old/new pairs with `--root`: the process's and the main thread's CPU per event survive a noisy machine best.
      const bare = await startWarmBare();
      try {
        await receiver.refresh();
        const from = receiver.received;
        const rounds = await heldIngest(receiver, hooker, bare, log);
        const h = summary(rounds);
        // The backlog's drain after the release (the full run's "deliveries after release in" figure).
        const d = await drainInbox(hooker.url, 300_000);
        await receiver.refresh();
        log(`held: ${receiver.received - from} deliveries after release in ${drained(d)} (${((receiver.received - from) / d.seconds).toFixed(0)}/s)`);
        log(`held: Hooker at ${(100 * h.ratio).toFixed(1)} % of bare (median of ${ROUNDS} rounds, ${(100 * h.minRatio).toFixed(1)}-${(100 * h.maxRatio).toFixed(1)} %), ${h.hookerRate.toFixed(0)} against ${h.bareRate.toFixed(0)} events/s; ${h.cpuUs.toFixed(0)} µs CPU per event (main thread ${h.mainUs.toFixed(0)} µs; rounds ${h.cpuRounds}), 202 p50 ${h.p50.toFixed(1)} ms p99 ${h.p99.toFixed(1)} ms, ${rounds.hooker.reduce((n, r) => n + r.errors, 0)} errors; Hooker's CPU during the bare rounds ${rounds.hookerCpuDuringBareMs.join(' / ')} ms`);
      } finally {
        await bare.stop();
      }
    } else throw new Error(`--phase ${phase}: give latency, sustained, relay, held or start`);
  } finally {
    for (const c of competitors) c.kill('SIGKILL');
    await hooker.stop();
    await receiver.close();
  }
}

/**
 * What precedes the latency phase in the full run (main), step by step on the same receiver: `relay` (the bare
 * relay's warm-up and sustained run), `ingest` (the rounds with deliveries running, without their bare rounds),
 * `held` (held ingest in rounds with bare Fastify's, then the backlog's drain, timed), `start` (the cold starts).
 */
async function fullRunPrefix(steps: string[], target: Target, receiver: Receiver, log: (line: string) => void): Promise<void> {
  for (const step of steps) {
    const t0 = performance.now();
    const steal0 = stealTicks();
    if (step === 'relay') {
      const relay = await startBare(receiver.url);
      await warmUp(relay.url);
      const r = await sustainedRun(receiver, relay);
      log(`before: bare relay ${r.deliveriesPerS.toFixed(0)} deliveries/s`);
    } else if (step === 'ingest') {
      const hooker = await startHooker(target, receiver.url, INGEST_ENV);
      try {
        await closedLoop(hooker.url, WARMUP_MS);
        for (let i = 0; i < ROUNDS; i++) { await drainInbox(hooker.url, 180_000); await round(hooker); }
        await drainInbox(hooker.url, 180_000);
      } finally { await hooker.stop(); }
    } else if (step === 'held') {
      const hooker = await startHeldHooker(target, receiver.url);
      const bare = await startWarmBare();
      try {
        await receiver.refresh();
        const from = receiver.received;
        const h = summary(await heldIngest(receiver, hooker, bare, log));
        const d = await drainInbox(hooker.url, 300_000);
        await receiver.refresh();
        log(`before: held ${h.cpuUs.toFixed(0)} µs per event; ${receiver.received - from} deliveries after release in ${drained(d)} (${((receiver.received - from) / d.seconds).toFixed(0)}/s)`);
      } finally { await bare.stop(); await hooker.stop(); }
    } else if (step === 'start') {
      await coldStarts([target], receiver.url, 3);
    } else throw new Error(`--before ${step}: give relay, ingest, held or start`);
    const d = dirtyMiB();
    log(`before: ${step} took ${((performance.now() - t0) / 1000).toFixed(1)} s, steal ${stealTicks() - steal0} ticks; dirty ${d.dirty.toFixed(0)} / writeback ${d.writeback.toFixed(0)} MiB; receiver RSS ${rssMiB(receiver.pid).toFixed(0)} MiB, this process's heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB`);
  }
}

/**
 * `--phase start [--starts N] [--against DIR]`: the cold-start rows alone: N first starts (an empty data directory)
 * and N restarts (the same configuration and data directory, primed by one start: the compiled routes come from the
 * wasm cache), each timed from spawn to the first /ping, with the child's CPU (all threads) and RSS at that moment;
 * medians printed. `--against DIR` also runs DIR's build, start by start alternated with this one (old/new pairs in
 * the same seconds), and prints both.
 */
async function startPhase(target: Target, receiverUrl: string, log: (line: string) => void): Promise<void> {
  const n = Number(argValue('--starts') ?? 5);
  const against = argValue('--against');
  const targets: Target[] = [target, ...(against ? [{ ...target, name: 'against', root: against }] : [])];
  const runs = await coldStarts(targets, receiverUrl, n);
  const line = (xs: Start[]) => `median ${medianOf(xs.map((x) => x.ms)).toFixed(0)} ms (CPU ${medianOf(xs.map((x) => x.cpu)).toFixed(0)} ms, RSS ${medianOf(xs.map((x) => x.rss)).toFixed(0)} MiB); each ${xs.map((x) => x.ms.toFixed(0)).join(' / ')} ms, CPU ${xs.map((x) => x.cpu.toFixed(0)).join(' / ')}`;
  targets.forEach((t, i) => {
    const name = t.root ?? ROOT;
    log(`${name}: restart ${line(runs[i]!.restart)}`);
    log(`${name}: first start ${line(runs[i]!.first)}`);
  });
}

/** One start: spawn → first /ping, and the child's CPU (all threads) and RSS at that moment. */
interface Start { ms: number; cpu: number; rss: number }

/**
 * `n` first starts (an empty data directory: the routes are compiled) and `n` restarts (the same configuration and
 * data directory, primed by one start: the compiled routes come from the wasm cache) of each target, alternated start
 * by start: a first start and a restart (and one target and the next) compared in the same seconds, not in two
 * different minutes of the machine (at 23:40 UTC on 27 Nov three restarts after three first starts gave the restart's
 * median 110 ms over the first start's, which alternated runs never showed).
 */
async function coldStarts(targets: Target[], receiverUrl: string, n: number): Promise<Array<{ first: Start[]; restart: Start[] }>> {
  const runs = targets.map(() => ({ first: [] as Start[], restart: [] as Start[], dir: mkdtempSync(join(tmpdir(), 'hooker-bench-')) }));
  const once = async (t: Target, dir?: string): Promise<Start> => {
    const s = await startHooker(t, receiverUrl, {}, dir);
    const start = { ms: s.startMs, cpu: cpuMs(s.proc.pid!), rss: rssMiB(s.proc.pid!) };
    await s.stop();
    return start;
  };
  try {
    for (let i = 0; i < targets.length; i++) await once(targets[i]!, runs[i]!.dir);
    for (let k = 0; k < n; k++) {
      for (let i = 0; i < targets.length; i++) runs[i]!.first.push(await once(targets[i]!));
      for (let i = 0; i < targets.length; i++) runs[i]!.restart.push(await once(targets[i]!, runs[i]!.dir));
    }
  } finally {
    for (const r of runs) rmSync(r.dir, { recursive: true, force: true });
  }
  return runs;
}

async function main(): Promise<void> {
  const target: Target = { name: 'SQLite', env: {} };
  const receiver = new Receiver();
  await receiver.start();
  const log = (line: string) => process.stderr.write(`bench:server: ${line}\n`);

  let relay: Awaited<ReturnType<typeof sustainedRun>> | undefined;
  // The bare relay's warm-up is the latency phase's load (1,000/s, 3 sends each): its 202s are that row's baseline.
  let relayAt1k: Awaited<ReturnType<typeof openLoop>> | undefined;
  if (!ONLY_INGEST) {
    log(`baseline (bare relay): offered ${SUSTAINED_RATE} events/s × 3 deliveries for ${SUSTAINED_MS / 1000} s`);
    // Warmed as Hooker is before its sustained phase (the latency phase runs on it first), so both are measured warm.
    const bareRelay = await startBare(receiver.url);
    relayAt1k = await warmUp(bareRelay.url);
    relay = await sustainedRun(receiver, bareRelay);
    log(`bare relay: ${rate(relay.load).toFixed(0)} accepted/s, ${relay.deliveriesPerS.toFixed(0)} deliveries/s, relay CPU ${relay.cpuShare.toFixed(2)} core, e2e p99 ${ms(pct(relay.e2e, 0.99))}`);
  }

  // One bare Fastify for both ingest phases, measured in rounds alternating with Hooker's (alternateIngest).
  log('baseline (bare Fastify)');
  const bareServer = await startWarmBare();

  log(`ingest (closed loop, backpressure off), deliveries running: ${ROUNDS} rounds alternating with bare Fastify`);
  let hooker = await startHooker(target, receiver.url, INGEST_ENV);
  let accepted = 0;
  accepted += (await closedLoop(hooker.url, WARMUP_MS)).events;
  // Each round starts from an empty inbox (nor do the deliveries of one round run during the next bare round).
  await drainInbox(hooker.url, 180_000);
  let deliveredDuringIngest = 0;
  let receivedBefore = 0;
  const ingestDrains: string[] = [];
  const running = await alternateIngest(bareServer, hooker, log, {
    before: async () => { await receiver.refresh(); receivedBefore = receiver.received; },
    after: async () => {
      await receiver.refresh();
      deliveredDuringIngest += receiver.received - receivedBefore;
      ingestDrains.push(drained(await drainInbox(hooker.url, 180_000)));
    },
  });
  const ingest = summary(running);
  // Accepted events include each round's uncounted warm-up: what the RSS row's total means.
  accepted += ingest.events + Math.round(ingest.hookerRate * (ROUND_WARMUP_MS / 1000) * ROUNDS);
  log(`deliveries running: Hooker at ${(100 * ingest.ratio).toFixed(1)} % of bare (median of ${ROUNDS} rounds), ${ingest.cpuUs.toFixed(0)} µs CPU per event, ${deliveredDuringIngest} deliveries meanwhile; inbox drained after the rounds in ${ingestDrains.join(' / ')}`);
  await hooker.stop();

  log(`ingest (closed loop, backpressure off), deliveries held by the receiver: ${ROUNDS} rounds alternating with bare Fastify`);
  hooker = await startHeldHooker(target, receiver.url);
  await receiver.refresh();
  const heldFrom = receiver.received;
  const heldAt = summary(await heldIngest(receiver, hooker, bareServer, log));
  await bareServer.stop();
  // Every event accepted while held, the rounds' own warm-ups included, is delivered after the release.
  const heldDrain = await drainInbox(hooker.url, 300_000);
  await receiver.refresh();
  const heldDelivered = receiver.received - heldFrom;
  log(`held: Hooker at ${(100 * heldAt.ratio).toFixed(1)} % of bare (median of ${ROUNDS} rounds: ${heldAt.rounds}), ${heldAt.cpuUs.toFixed(0)} µs CPU per event; ${heldDelivered} deliveries after release in ${drained(heldDrain)}`);
  await hooker.stop();

  const share = (x: number) => `${(100 * x).toFixed(0)} %`;
  const ingestRows = `| ingest, ${CONNECTIONS} connections, closed loop (backpressure and admission off), deliveries running; ${ROUNDS} rounds of ${ROUND_MS / 1000} s alternating with bare Fastify | events/s (medians) | ${ingest.bareRate.toFixed(0)} | ${ingest.hookerRate.toFixed(0)} | Hooker at ${share(ingest.ratio)} of bare (median of the rounds' ratios; ${share(ingest.minRatio)}–${share(ingest.maxRatio)}) |
| | each round: bare / Hooker events/s | | ${ingest.rounds} | |
| | p50 / p99 of the 202 | ${ms(ingest.bareP50)} / ${ms(ingest.bareP99)} | ${ms(ingest.p50)} / ${ms(ingest.p99)} | |
| | server CPU per event (rounds); deliveries made meanwhile | | ${ingest.cpuUs.toFixed(0)} µs (${ingest.cpuRounds}); ${deliveredDuringIngest} | |
| ingest as above, deliveries held (the receiver keeps its answers until the phase ends) | events/s (medians) | ${heldAt.bareRate.toFixed(0)} | ${heldAt.hookerRate.toFixed(0)} | **Hooker at ${share(heldAt.ratio)} of bare** (median of the rounds' ratios; ${share(heldAt.minRatio)}–${share(heldAt.maxRatio)}) |
| | each round: bare / Hooker events/s | | ${heldAt.rounds} | |
| | p50 / p99 of the 202 | ${ms(heldAt.bareP50)} / ${ms(heldAt.bareP99)} | ${ms(heldAt.p50)} / ${ms(heldAt.p99)} | |
| | server CPU per event (rounds; main thread); all ${heldDelivered} deliveries made after the release in | | ${heldAt.cpuUs.toFixed(0)} µs (${heldAt.cpuRounds}; main thread ${heldAt.mainUs.toFixed(0)} µs); ${drained(heldDrain)} | |`;
  if (ONLY_INGEST || !relay) {
    process.stdout.write(`${ingestRows}\n`);
    await receiver.close();
    return;
  }

  log('cold start');
  // Median of 3 each, first starts and restarts alternated (coldStarts).
  const [starts] = await coldStarts([target], receiver.url, 3);
  const middle = (xs: Start[]) => [...xs].sort((x, y) => x.ms - y.ms)[1]!;
  const firstStart = middle(starts!.first);
  const cold = middle(starts!.restart);

  log('latency at an offered 1,000 events/s while deliveries run');
  hooker = await startHooker(target, receiver.url);
  // Past its cold start first (jitWarmUp), then warmed up on the connections the measured part uses (a sender keeps its connections).
  const at1kWarm = await jitWarmUp(hooker.url);
  log(at1kWarm.line);
  const at1k = await openLoop(hooker.url, 1_000, MEASURE_MS, WARMUP_MS);
  accepted += at1kWarm.events + at1k.warmupEvents + at1k.events;
  // The sustained phase starts from an empty inbox: the backlog of this phase is delivered first.
  const at1kDrain = await drainInbox(hooker.url, 300_000);
  log(`at 1,000/s: p99 ${at1k.p99.toFixed(1)} ms, ${at1k.refused} refused; inbox drained in ${drained(at1kDrain)}`);

  log(`sustained: ${SUSTAINED_RATE} events/s for ${SUSTAINED_MS / 1000} s`);
  const sus = await sustainedRun(receiver, hooker, false);
  const { load: sustained, inboxStart, inboxEnd, e2e } = sus;
  accepted += sustained.events;
  const sustainedDrain = await drainInbox(hooker.url, 300_000);
  log(`sustained: ${rate(sustained).toFixed(0)} accepted/s, ${sus.deliveriesPerS.toFixed(0)} deliveries/s, server CPU ${sus.cpuShare.toFixed(2)} core, inbox ${inboxStart} -> ${inboxEnd} (drained in ${drained(sustainedDrain)}), e2e p99 ${pct(e2e, 0.99).toFixed(0)} ms; per second: ${describeSeconds(sus.perSecond)}`);

  log(`RSS after ${RSS_EVENTS} events`);
  // Bounded: while deliveries lag, backpressure refuses most of these (the row says how many were accepted).
  for (const end = performance.now() + 180_000; accepted < RSS_EVENTS && performance.now() < end;) accepted += (await closedLoop(hooker.url, 5_000)).events;
  // Measured once everything accepted is delivered (bounded wait): what stays is what the process keeps.
  await drainInbox(hooker.url, 300_000);
  // ... after 3 s of quiet: a server that goes idle collects the garbage the burst left (src/server/idle-gc.ts, sampled each second).
  const rssDrained = rssMiB(hooker.proc.pid!);
  await new Promise((r) => setTimeout(r, 3_000));
  const rssAfter = rssMiB(hooker.proc.pid!);
  await hooker.stop();
  await receiver.close();

  const cpu = cpus();
  const machine = `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 1024 ** 3)} GiB, Node ${process.version}`;
  // The servers inherit this process's environment: the mode they chose by the same rule (their start logs it too).
  const mode = describeWorkerThreads(workerThreadsOf(process.env)).replace(/^hooker: /, '');
  const deliveriesPerS = sus.deliveriesPerS;
  const section = `<!-- bench:server start -->
## Server: POST / with 20 routes, durability on (\`npm run bench:server\`)

Machine: ${machine}. Worker threads: ${mode}. Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC${QUICK ? ' (--quick: shorter phases)' : ''}; load average at the end ${loadavg()[0]!.toFixed(1)} (read ratios, not absolute figures, when it is above 2).

Hooker runs as \`hooker serve\` (dist/) with the 20 routes below compiled into one wasm entrypoint (3 match a ${EVENT.length}-byte Tracee TRC-2 event), the bundled \`raw-json\` template and an \`http\` action (concurrency 16) to a receiver in its own process; every event is committed to SQLite (WAL, synchronous=NORMAL) before its 202. Load, receiver and servers share the machine's cores. The baseline is a bare Fastify handler that parses the JSON and answers 202, measured in the same run; for the sustained phase it is a bare relay: the same Fastify handler also POSTs the event 3 times to the same receiver with ${RELAY_CLIENT === 'undici' ? 'undici' : "raw keep-alive sockets (Hooker's HTTP/1.1 client as a library)"} (16 keep-alive connections), with no durability, evaluation or retry, answering 503 while more than ${RELAY_MAX_WAITING} of its sends wait — what the machine relays at all with the load generator and the receiver on its cores. The load side is bench/http1-load.ts: the generator offers events open loop over raw keep-alive sockets (latency from each request's scheduled send time), the receiver answers on raw sockets in its own process; their CPU is the "load CPU" row.

| phase | figure | bare Fastify | Hooker | ratio (bare / Hooker) |
|---|---|---|---|---|
${ingestRows}
| offered 1,000 events/s for ${MEASURE_MS / 1000} s, deliveries running (after ${JIT_WARMUP_MS / 1000} s at 1,000/s drained: the cold start's backlog, ${at1kWarm.line.replace(/^warm-up [^:]*: /, '')}); baseline: the bare relay (its warm-up before the sustained phase) | p50 / p99 of the 202 | ${relayAt1k ? `${ms(relayAt1k.p50)} / ${ms(relayAt1k.p99)}` : ''} | ${ms(at1k.p50)} / ${ms(at1k.p99)} | ${at1k.refused} refused (503), ${at1k.errors} errors |
| | 202s over 10 / 30 / 100 ms (of ${relayAt1k ? `${relayAt1k.latencies.length} / ` : ''}${at1k.latencies.length} answered) | ${relayAt1k ? slowCounts(relayAt1k.latencies) : ''} | ${slowCounts(at1k.latencies)} | |
| | inbox drained after the phase in | | ${drained(at1kDrain)} | |
| sustained: offered ${SUSTAINED_RATE} events/s × 3 deliveries for ${SUSTAINED_MS / 1000} s; baseline: the bare relay (below) | events accepted/s | ${rate(relay.load).toFixed(0)} | ${rate(sustained).toFixed(0)} (${sustained.refused} refused with 503, ${sustained.errors} errors) | ${(rate(relay.load) / Math.max(1, rate(sustained))).toFixed(1)}× |
| | deliveries/s at the receiver | ${relay.deliveriesPerS.toFixed(0)} | ${deliveriesPerS.toFixed(0)} | ${(relay.deliveriesPerS / Math.max(1, deliveriesPerS)).toFixed(1)}× |
| | server CPU (cores) | ${relay.cpuShare.toFixed(2)} | ${sus.cpuShare.toFixed(2)} | |
| | load CPU (cores): receiver; generator | ${relay.receiverCpuShare.toFixed(2)}; ${relay.generatorCpuShare.toFixed(2)} | ${sus.receiverCpuShare.toFixed(2)}; ${sus.generatorCpuShare.toFixed(2)} | |
| | inbox at start → end of the phase (highest seen) | | ${inboxStart} → ${inboxEnd} (${sustained.maxInbox}) | |
| | inbox drained after the phase in | | ${drained(sustainedDrain)} | |
| | POST → receiver p50 / p99 | ${ms(pct(relay.e2e, 0.5))} / ${ms(pct(relay.e2e, 0.99))} | ${ms(pct(e2e, 0.5))} / ${ms(pct(e2e, 0.99))} | |
| | POST → receiver p99 by second of the phase | ${describeSeconds(relay.perSecond)} | ${describeSeconds(sus.perSecond)} | |
| cold start, restart with the same configuration and data directory (median of 3) | spawn → first /ping | | ${cold.ms.toFixed(0)} ms | |
| | RSS after start | | ${cold.rss.toFixed(0)} MiB | |
| first start, empty data directory (median of 3) | spawn → first /ping | | ${firstStart.ms.toFixed(0)} ms | |
| after ${accepted} events | RSS, 3 s after the inbox drained | | ${rssAfter.toFixed(0)} MiB (${rssDrained.toFixed(0)} MiB as it drained) | |

Ingest phases: bare Fastify and Hooker are measured alternately, ${ROUNDS} rounds of ${ROUND_MS / 1000} s each (after ${ROUND_WARMUP_MS} ms on the round's fresh connections, not counted; Hooker idle during bare's rounds), so each round's ratio compares figures taken seconds apart. With deliveries running, the inbox drained after each round in ${ingestDrains.join(' / ')}.
<!-- bench:server end -->`;
  process.stdout.write(section + '\n');

  const file = join(ROOT, 'BENCHMARKS.md');
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const re = /<!-- bench:server start -->[\s\S]*?<!-- bench:server end -->/;
  text = re.test(text) ? text.replace(re, section) : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, text);
}

// ---- --memory: start + N events + RSS, builds alternated ---------------------------

/** Resident memory split by kind (/proc/PID/smaps_rollup and status), MiB. */
function residentSplit(pid: number): { rss: number; anon: number; file: number; threads: number } {
  const roll = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kib = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(roll)?.[1] ?? NaN) / 1024;
  const threads = Number(/Threads:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  return { rss: kib('Rss'), anon: kib('Anonymous'), file: kib('Rss') - kib('Anonymous'), threads };
}

/** The JS heap figures of prom-client's default metrics, MiB. */
async function heapSplit(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const get = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN) / 1024 / 1024;
  return { heapUsed: get('nodejs_heap_size_used_bytes'), heapTotal: get('nodejs_heap_size_total_bytes'), external: get('nodejs_external_memory_bytes') };
}

/**
 * `--memory [--events N] [--rounds R] [--target LABEL@ROOT[@K=V,K=V]]...`:
 * only the start and the RSS-after-N-events phase, one fresh server per
 * round, the targets (builds and/or environments) alternated round by round
 * so each comparison is within the same minutes of a shared machine. Load as
 * in the full run's last phase (closed loop, 32 connections, backpressure on)
 * until N events are accepted; then the inbox drains and RSS is read as it
 * drained, 3 s and 10 s later. Prints one JSON line per round; writes nothing.
 */
async function memoryMain(): Promise<void> {
  const events = Number(argValue('--events') ?? RSS_EVENTS);
  const rounds = Number(argValue('--rounds') ?? 1);
  const targets: Target[] = [];
  for (let i = 0; i < process.argv.length; i++) {
    if (process.argv[i] !== '--target') continue;
    const [name, root, env] = process.argv[i + 1]!.split('@');
    targets.push({ name: name!, root: root || ROOT, env: Object.fromEntries((env ? env.split(',') : []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])) });
  }
  if (targets.length === 0) targets.push({ name: 'this checkout', env: {} });
  const receiver = new Receiver();
  await receiver.start();
  try {
    for (let r = 0; r < rounds; r++) {
      for (const target of targets) {
        const hooker = await startHooker(target, receiver.url);
        const pid = hooker.proc.pid!;
        const atStart = residentSplit(pid);
        let peak = atStart.rss;
        const sampler = setInterval(() => { try { peak = Math.max(peak, rssMiB(pid)); } catch { /* exited */ } }, 200);
        const c0 = cpuMs(pid);
        const t0 = performance.now();
        let accepted = 0;
        while (accepted < events) accepted += (await closedLoop(hooker.url, 2_000)).events;
        const loadS = (performance.now() - t0) / 1000;
        const cpuPerEvent = (cpuMs(pid) - c0) / accepted;
        const d = await drainInbox(hooker.url, 300_000);
        const cpuDrained = cpuMs(pid) - c0;
        const drainedRss = rssMiB(pid);
        await new Promise((res) => setTimeout(res, 3_000));
        const after3 = residentSplit(pid);
        const heap3 = await heapSplit(hooker.url);
        await new Promise((res) => setTimeout(res, 7_000));
        const after10 = residentSplit(pid);
        clearInterval(sampler);
        await hooker.stop();
        const f = (v: number) => Math.round(v);
        process.stdout.write(JSON.stringify({
          round: r, target: target.name, startMs: f(hooker.startMs), rssStart: f(atStart.rss), accepted, eventsPerS: f(accepted / loadS),
          cpuUsPerEventLoad: f(cpuPerEvent * 1000), cpuUsPerEventTotal: f((cpuDrained / accepted) * 1000), drainS: +d.seconds.toFixed(1),
          rssPeak: f(peak), rssDrained: f(drainedRss), rss3s: f(after3.rss), anon3s: f(after3.anon), file3s: f(after3.file), threads: after3.threads,
          heapUsed3s: f(heap3.heapUsed!), heapTotal3s: f(heap3.heapTotal!), external3s: f(heap3.external!), rss10s: f(after10.rss), load: +loadavg()[0]!.toFixed(1),
        }) + '\n');
      }
    }
  } finally {
    await receiver.close();
  }
}

const db = argValue('--db') ?? 'sqlite';
if (db !== 'sqlite' && db !== 'postgres') throw new Error(`--db ${db}: give sqlite (the default) or postgres`);
if (process.argv.includes('--bare-child')) await bareChild();
else if (process.argv.includes('--receiver-child')) await receiverChild();
else if (process.argv.includes('--memory')) await memoryMain();
// --db postgres [--replicas 1|2|3]: replicas on one PostgreSQL against the same run's SQLite figure (bench/replicas.bench.ts).
else if (db === 'postgres') {
  const { replicasBench, replicasBenchOptions } = await import('./replicas.bench.js');
  await replicasBench(replicasBenchOptions(process.argv));
}
else if (PHASE) await onePhase(PHASE);
else await main();
