// Try-out of a built Hooker with inputs it did not make: `npm run try-out`.
//
// Runs `hooker serve` (this checkout's bin/ and dist/, or HOOKER_ROOT's) with
// 3 routes, each with an http action to a receiver in this process, and
// posts what real senders and hostile ones send: every payload in
// ../shared/fixtures, invalid JSON, bodies over each limit, odd but valid
// events; then kills the server mid-burst (SIGKILL) and restarts it. It
// prints what a user would check (every accepted event delivered by every
// route, Hooker-Event headers, the admin API, the error answers) and exits 1
// when something is wrong. Not a test: the tests cover each part; this is
// the whole path on one machine, for the closing notes of throughput work.
//
// env: HOOKER_ROOT (a built checkout, default this one), FLAKY=1 (the
// receiver answers every delivery's first attempt 500), and any HOOKER_*
// setting for the server (e.g. HOOKER_SQLITE_THREAD=1 HOOKER_HTTP_THREAD=1).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { postBytes } from '../test/support/post-bytes.js';

const ROOT = process.env.HOOKER_ROOT ?? fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../../shared/fixtures/', import.meta.url));
const FLAKY = process.env.FLAKY === '1';
const TOKEN = `try-out-admin-${process.pid}-token`;
const ROUTES = ['a', 'b', 'c'];
const problems: string[] = [];
const say = (line: string) => process.stdout.write(`${line}\n`);
const expectThat = (ok: boolean, what: string) => { if (!ok) problems.push(what); };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- the receiver ----------------------------------------------------------

interface Delivery { route: string; id: string; body: Buffer; event?: string; omitted?: string }
const got: Delivery[] = [];
const failedOnce = new Set<string>();
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const id = String(req.headers['hooker-delivery-id'] ?? '');
    if (FLAKY && !failedOnce.has(id)) {
      failedOnce.add(id);
      // An answer a careless client would echo into a log or a shell.
      res.writeHead(500, { 'content-type': 'text/plain' }).end(Buffer.concat([Buffer.from('bad '), Buffer.from([0xff]), Buffer.from(' "quote" $(id)')]));
      return;
    }
    got.push({ route: req.url!.split('/').pop()!, id, body: Buffer.concat(chunks), event: req.headers['hooker-event'] as string | undefined, omitted: req.headers['hooker-event-omitted'] as string | undefined });
    res.writeHead(200).end('ok');
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
const receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;

// ---- the server ------------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'hooker-try-out-'));
writeFileSync(join(dir, 'cfg.yaml'), [
  'routes:',
  ...ROUTES.map((r) => `  - name: route-${r}\n    input: |\n      true\n    actions: [ship-${r}]\n    template: raw-json`),
  'templates:\n  - name: raw-json\n    rego-package: hooker.rawmessage.json',
  'actions:',
  ...ROUTES.map((r) => `  - name: ship-${r}\n    type: http\n    enable: true\n    url: ${receiverUrl}/in/${r}\n    retries: 3\n    retry-backoff: 100ms`),
  '',
].join('\n'));
const port = await new Promise<number>((resolve) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); }); });
const url = `http://127.0.0.1:${port}`;
let logs = '';
let server: ChildProcess | undefined;

async function start(): Promise<void> {
  server = spawn(process.execPath, [join(ROOT, 'bin/hooker.js'), 'serve'], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HOOKER_CFG: join(dir, 'cfg.yaml'), HOOKER_HTTP: `127.0.0.1:${port}`, HOOKER_HTTPS: '', HOOKER_DB: join(dir, 'hooker.db'), HOOKER_ADMIN_TOKEN: TOKEN },
  });
  server.stdout!.on('data', (b) => { logs += b; });
  server.stderr!.on('data', (b) => { logs += b; });
  for (let i = 0; i < 600; i++) {
    try { if ((await fetch(`${url}/ping`)).ok) return; } catch { /* not listening yet */ }
    await sleep(25);
  }
  throw new Error(`hooker serve did not answer /ping:\n${logs}`);
}

function stop(signal: NodeJS.Signals): Promise<void> {
  const s = server;
  if (!s || s.exitCode !== null || s.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => { s.once('exit', () => resolve()); s.kill(signal); });
}

/** A POST to the server: its status and text, or status -1 and the socket error that replaced them. */
async function post(body: Buffer | string, type?: string): Promise<{ status: number; text: string }> {
  const r = await postBytes(url, body, type ? { type } : {});
  return 'error' in r ? { status: -1, text: r.error } : r;
}

async function deliveredAtLeast(n: number, ms = 30_000): Promise<void> {
  for (const end = Date.now() + ms; got.length < n && Date.now() < end;) await sleep(50);
}

let headersRight = 0;
let headersOmitted = 0;
function checkHeader(d: Delivery): void {
  if (d.event !== undefined) {
    const right = Buffer.from(d.event, 'base64').equals(d.body);
    expectThat(right, `Hooker-Event of delivery ${d.id} does not decode to its body`);
    if (right) headersRight++;
  } else {
    expectThat(d.omitted !== undefined, `delivery ${d.id} has neither Hooker-Event nor Hooker-Event-Omitted`);
    headersOmitted++;
  }
}

/** The event as delivered by raw-json: the posted JSON without Hooker's reserved top-level `hooker` key. */
function asDelivered(posted: Buffer): unknown {
  const v = JSON.parse(posted.toString()) as unknown;
  if (v && typeof v === 'object' && !Array.isArray(v)) delete (v as Record<string, unknown>)['hooker'];
  return v;
}

try {
  await start();

  // 1. Every fixture, delivered by every route, JSON-equal to what was posted.
  const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort();
  const posted: Buffer[] = [];
  for (const f of fixtures) {
    const bytes = readFileSync(join(FIXTURES, f));
    const r = await post(bytes);
    expectThat(r.status === 202, `${f}: ${r.status} ${r.text.slice(0, 200)}`);
    if (r.status === 202) posted.push(bytes);
  }
  await deliveredAtLeast(posted.length * ROUTES.length);
  const wanted = posted.map(asDelivered);
  let equal = 0;
  for (const d of got) {
    checkHeader(d);
    if (wanted.some((w) => isDeepStrictEqual(w, JSON.parse(d.body.toString())))) equal++;
  }
  expectThat(got.length === posted.length * ROUTES.length && equal === got.length, 'a fixture was not delivered by every route as posted');
  say(`fixtures: ${fixtures.length} posted, ${posted.length} got 202; ${got.length} deliveries (want ${posted.length * ROUTES.length}), ${equal} JSON-equal to a posted fixture; by route ${ROUTES.map((r) => got.filter((d) => d.route === r).length).join(' / ')}`);

  // 2. The admin API: every delivery with its attempts; nothing without the token.
  const auth = { authorization: `Bearer ${TOKEN}` };
  const list = await (await fetch(`${url}/deliveries?limit=200`, { headers: auth })).json() as { deliveries: Array<{ id: string }> };
  const shapes = new Map<string, number>();
  for (const { id } of list.deliveries) {
    const d = await (await fetch(`${url}/deliveries/${id}`, { headers: auth })).json() as { state: string; attemptLog: Array<{ ok: boolean }> };
    const shape = `${d.state}: ${d.attemptLog.map((a) => (a.ok ? 'ok' : 'failed')).join(', ')}`;
    shapes.set(shape, (shapes.get(shape) ?? 0) + 1);
  }
  const anonymous = (await fetch(`${url}/deliveries`)).status;
  expectThat(anonymous === 401, `GET /deliveries without the token: ${anonymous}`);
  say(`admin API: ${list.deliveries.length} deliveries: ${[...shapes].map(([s, n]) => `${n} × ${s}`).join('; ')}; without the token ${anonymous}`);

  // 3. Bad bodies: a 4xx naming where the problem is.
  const invalid = ['{"a":01}', '{"a":-}', '{"a":1,}', '{"a":tru}', '{"a":"\u0001"}', '{"a":1}{"b":2}', '{"a":[1}]', '{"a" 1}', '{"a":NaN}'];
  for (const body of invalid) {
    const r = await post(body);
    expectThat(r.status === 400 && /line \d+, column \d+/.test(r.text), `${JSON.stringify(body)}: ${r.status} ${r.text}`);
  }
  say(`invalid JSON: ${invalid.length} bodies, each a 400 naming its position, line and column`);
  const limits: Array<[string, Buffer | string, number, RegExp, string?]> = [
    ['600 levels deep', `${'['.repeat(600)}${']'.repeat(600)}`, 400, /level 513/],
    ['100,001 keys', `{${Array.from({ length: 100_001 }, (_, i) => `"k${i}":1`).join(',')}}`, 400, /key 100001/],
    ['empty body', '', 400, /./],
    ['a form body', 'a=1', 415, /application\/json/, 'application/x-www-form-urlencoded'],
    ['20 MiB', Buffer.alloc(20 * 1024 * 1024, 0x20), 413, /HOOKER_MAX_BODY/],
  ];
  for (const [what, body, status, names, type] of limits) {
    const r = await post(body, type);
    expectThat(r.status === status && names.test(r.text), `${what}: ${r.status} ${r.text.slice(0, 200)}`);
    say(`${what}: ${r.status} ${r.text.slice(0, 160)}`);
  }

  // 4. Odd but valid events: delivered JSON-equal (numbers a double cannot hold, and negative zeros: as written).
  const before = got.length;
  // Third: compared as written too (numbers a double cannot hold, JSON.parse makes both sides Infinity and a rounded
  // integer; a negative zero, which JSON.stringify would write as 0).
  const odd: Array<[string, Buffer, 'as written'?]> = [
    ['__proto__ and constructor.prototype', Buffer.from('{"__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}}}')],
    ['NUL, bidi, a lone surrogate', Buffer.from('{"a":"x\\u0000y\\u202Ez\\ud800w"}')],
    ['a top-level array', Buffer.from('[{"a":1},2,"three"]')],
    ['invalid UTF-8 (as U+FFFD)', Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')])],
    ['1e400 and a 30-digit integer', Buffer.from('{"big":1e400,"int":123456789012345678901234567890}'), 'as written'],
    ['a negative zero', Buffer.from('{"z":-0,"l":[-0.0,0,-0e3]}'), 'as written'],
    ['shell syntax and the reserved hooker key', Buffer.from('{"hooker":{"x":1},"a":"$(id);`id`"}')],
  ];
  for (const [, body] of odd) await post(body);
  await deliveredAtLeast(before + odd.length * ROUTES.length);
  const oddBodies = got.slice(before).map((d) => { checkHeader(d); return d.body.toString(); });
  for (const [what, body, exact] of odd) {
    const want = asDelivered(body);
    const n = oddBodies.filter((t) => isDeepStrictEqual(JSON.parse(t), want)).length;
    const asWritten = exact ? oddBodies.filter((t) => t === body.toString()).length : undefined;
    expectThat(n === ROUTES.length && (asWritten ?? n) === ROUTES.length, `${what}: ${n} of ${ROUTES.length} deliveries JSON-equal${asWritten === undefined ? '' : `, ${asWritten} as written`}`);
    say(`${what}: ${n} of ${ROUTES.length} routes delivered it JSON-equal${asWritten === undefined ? '' : `, ${asWritten} as written`}`);
  }
  say(`Hooker-Event: ${headersRight} decode to the delivered bytes, ${headersOmitted} omitted with the event's size`);
  const ping = (await fetch(`${url}/ping`)).status;
  expectThat(ping === 200, `/ping afterwards: ${ping}`);

  // 5. SIGKILL mid-burst, restart: every accepted event is delivered by every route (at least once).
  const accepted = new Set<string>();
  let sending = true;
  const sender = async (k: number) => {
    for (let i = 0; sending; i++) {
      const tag = `burst-${k}-${i}`;
      if ((await post(`{"tag":"${tag}"}`)).status === 202) accepted.add(tag);
    }
  };
  const senders = Array.from({ length: 16 }, (_, k) => sender(k));
  await sleep(1_500);
  await stop('SIGKILL');
  sending = false;
  await Promise.all(senders);
  await start();
  const tagOf = (d: Delivery) => /"tag":"(burst-[\d-]+)"/.exec(d.body.toString())?.[1];
  const seen = () => ROUTES.map((r) => got.filter((d) => d.route === r).map(tagOf).filter((t): t is string => t !== undefined));
  for (const end = Date.now() + 120_000; Date.now() < end; await sleep(200)) {
    if (seen().every((tags) => { const s = new Set(tags); return [...accepted].every((t) => s.has(t)); })) break;
  }
  seen().forEach((tags, i) => {
    const s = new Set(tags);
    const missing = [...accepted].filter((t) => !s.has(t)).length;
    expectThat(missing === 0, `route ${ROUTES[i]}: ${missing} accepted events never delivered`);
    say(`SIGKILL mid-burst, route ${ROUTES[i]}: ${accepted.size} accepted, ${missing} missing, ${tags.length - s.size} same-id repeats (at-least-once)`);
  });
} finally {
  await stop('SIGTERM');
  receiver.close();
  rmSync(dir, { recursive: true, force: true });
}

const errorLines = logs.split('\n').filter((l) => /"level":(50|60)/.test(l));
expectThat(errorLines.length === 0, `error lines in the log: ${errorLines.slice(0, 3).join(' | ')}`);
expectThat(!logs.includes(TOKEN), 'the admin token appears in the log');
say(`log: ${errorLines.length} error lines; the admin token ${logs.includes(TOKEN) ? 'APPEARS' : 'does not appear'}`);
if (problems.length) {
  say(`\n${problems.length} problem(s):\n${problems.map((p) => `- ${p}`).join('\n')}`);
  process.exit(1);
}
say('\nno problems');
