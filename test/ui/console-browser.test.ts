// The web console in a real browser (Debian's Chromium through
// playwright-core, nothing downloaded) against a real `hooker serve` process
// whose database is seeded through its own ingest endpoint. Walks what an
// operator does: sign in, find an event by text, read its failed delivery
// and log, replay the dead letter and see it arrive, try a route in the
// playground, sign out. Screenshots of every page go to
// test-artifacts/ui/ and are checked for content.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHooker, type HookerProcess } from '../e2e/hooker-process.js';
import { receiver, until, type Receiver } from '../e2e/server-harness.js';
import { pngStats } from '../support/png-stats.js';

const CHROMIUM = process.env['HOOKER_TEST_CHROMIUM'] ?? '/usr/bin/chromium';
const TOKEN = 'console-test-admin-token';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/ui/', import.meta.url));
const NEEDLE = 'cryptominer-7f3a9';

let hooker: HookerProcess;
let rx: Receiver;
let context: BrowserContext;
let page: Page;
let evil: Server;
let evilUrl: string;
let dir: string;
let hookFails = true;

async function json(path: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${hooker.url}${path}`, init);
  return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
}

/** Saves a screenshot and checks it is a rendered page, not a blank one. */
async function shot(name: string): Promise<void> {
  const png = await page.screenshot({ fullPage: false });
  writeFileSync(join(ARTIFACTS, `${name}.png`), png);
  const s = pngStats(png);
  expect(s.width).toBeGreaterThan(800);
  expect(s.colours, `${name}.png has too few colours to be a rendered page`).toBeGreaterThan(20);
  expect(s.stddev, `${name}.png is nearly uniform`).toBeGreaterThan(5);
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'hooker-ui-'));
  rx = await receiver((hit) => (hit.url.startsWith('/sink') ? 503 : hookFails ? 500 : 200));
  const cfg = join(dir, 'cfg.yaml');
  writeFileSync(cfg, `
name: console-test
routes:
  - name: shells
    input: |
      contains(input.rule, "shell")
    actions: [hook]
    template: raw-json
  - name: everything
    actions: [sink]
    template: raw-json
  - name: critical-only
    input: |
      input.priority == "Critical"
    actions: [sink]
    template: raw-json
templates:
  - name: raw-json
    rego-package: hooker.rawmessage.json
actions:
  - name: hook
    type: http
    enable: true
    retries: 0
    url: ${rx.url}/hook
  - name: sink
    type: http
    enable: true
    retries: 0
    url: ${rx.url}/sink
`);
  hooker = await startHooker({ HOOKER_CFG: cfg, HOOKER_ADMIN_TOKEN: TOKEN, HOOKER_DB: join(dir, 'hooker.db') });
  // The seeded database: 60 ordinary events, then the one the operator looks for.
  for (let i = 0; i < 60; i++) {
    const r = await fetch(`${hooker.url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rule: `noise ${i}`, priority: 'Notice', output: `event number ${i}` }) });
    expect(r.status).toBeLessThan(300);
  }
  const r = await fetch(`${hooker.url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rule: 'Terminal shell in container', priority: 'Warning', output: `${NEEDLE} spawned a shell in pod web-1` }) });
  expect(r.status).toBeLessThan(300);
  await until(() => rx.hits.filter((h) => h.url === '/hook').length >= 1 && rx.hits.filter((h) => h.url === '/sink').length >= 61, 60_000);

  // A page of another origin on this host (another port: same-site for cookies) that posts to the console.
  evil = createServer((_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(`<form id="f" method="POST" action="${hooker.url}/api/ui/dead-letters/purge" enctype="text/plain"><input name='{"confirm":true,"x":"' value='"}'></form><script>document.getElementById('f').submit()</script>`);
  });
  await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', () => resolve()));
  evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}/`;

  context = await chromium.launchPersistentContext(join(dir, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 800 },
    colorScheme: 'light',
  });
  page = context.pages()[0] ?? await context.newPage();
}, 120_000);

afterAll(async () => {
  await context?.close();
  await hooker?.stop();
  await rx?.close();
  await new Promise<void>((resolve) => (evil ? evil.close(() => resolve()) : resolve()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('web console in Chromium', () => {
  it('refuses every console API without a session (401)', async () => {
    const routes: Array<[string, string]> = [
      ['GET', '/api/ui/session'], ['DELETE', '/api/ui/session'], ['GET', '/api/ui/overview'], ['GET', '/api/ui/events'], ['GET', '/api/ui/events/x'],
      ['GET', '/api/ui/dead-letters/groups'], ['GET', '/api/ui/dead-letters'], ['POST', '/api/ui/dead-letters/replay'], ['POST', '/api/ui/dead-letters/purge'],
      ['GET', '/api/ui/routes'], ['POST', '/api/ui/playground'], ['GET', '/api/ui/scans'], ['GET', '/api/ui/config'], ['POST', '/api/ui/reload'],
    ];
    for (const [method, path] of routes) {
      const r = await json(path, { method, ...(method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}) });
      expect(r.status, `${method} ${path}`).toBe(401);
      // A forged cookie is no session either.
      const f = await json(path, { method, headers: { cookie: 'hooker_console=forged' } });
      expect(f.status, `${method} ${path} with a forged cookie`).toBe(401);
    }
    expect((await json('/api/ui/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'wrong' }) })).status).toBe(401);
  });

  it('signs in, finds the event by its text and shows the failed delivery with its log', async () => {
    await page.goto(`${hooker.url}/ui/`);
    await expect.poll(() => page.getByLabel('Admin token').isVisible()).toBe(true);
    await shot('sign-in');
    await page.getByLabel('Admin token').fill(TOKEN);
    await page.keyboard.press('Enter');
    await page.getByRole('navigation', { name: 'pages' }).waitFor();
    // The session cookie is HttpOnly and SameSite=Strict.
    const cookie = (await context.cookies(hooker.url)).find((c) => c.name === 'hooker_console')!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe('Strict');
    expect(await page.evaluate(() => document.cookie)).not.toContain('hooker_console');

    await page.getByText('Events/s').waitFor();
    await page.waitForTimeout(2_500); // a second sample draws the charts
    await shot('overview');

    // Keyboard: "e" opens the events, "/" focuses the search.
    await page.keyboard.press('e');
    await page.getByRole('heading', { name: 'Events' }).waitFor();
    await page.getByRole('table', { name: 'events' }).locator('tbody tr').nth(49).waitFor();
    expect(await page.getByRole('table', { name: 'events' }).locator('tbody tr').count()).toBe(50);
    await shot('events');
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => page.getByRole('table', { name: 'events' }).locator('tbody tr').count()).toBe(61);
    await page.keyboard.press('/');
    await page.keyboard.type(NEEDLE);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('table', { name: 'events' }).locator('tbody tr').count()).toBe(1);
    const row = page.getByRole('table', { name: 'events' }).locator('tbody tr').first();
    expect(await row.textContent()).toContain(NEEDLE);
    expect(await row.textContent()).toContain('shells → hook');
    await shot('events-search');

    await row.locator('a').first().click();
    await page.getByRole('heading', { name: /^Event / }).waitFor();
    const hook = page.locator('article.delivery', { hasText: 'shells → hook' });
    await hook.waitFor();
    expect(await hook.locator('.badge').textContent()).toBe('dead');
    expect(await hook.textContent()).toContain('answered 500');
    const log = await hook.getByLabel('attempt log').textContent();
    expect(log).toMatch(/POST http:\/\/127\.0\.0\.1:\d+\/hook -> 500/);
    // Which routes took it, and why the other did not.
    expect(await page.locator('.routes-outcome').textContent()).toMatch(/critical-only: its filter did not accept this event/);
    expect(await page.locator('details.json pre').first().textContent()).toContain(NEEDLE);
    await shot('event');
  });

  it('replays the dead letter and the local receiver gets it', async () => {
    hookFails = false;
    const before = rx.hits.filter((h) => h.url === '/hook').length;
    const hook = page.locator('article.delivery', { hasText: 'shells → hook' });
    await hook.getByRole('button', { name: 'Replay' }).click();
    await page.getByRole('status').filter({ hasText: 'Replayed 1 delivery' }).waitFor();
    const hit = await until(() => rx.hits.filter((h) => h.url === '/hook')[before], 20_000);
    expect(hit.body).toContain(NEEDLE);
    await page.reload();
    await expect.poll(async () => page.locator('article.delivery', { hasText: 'shells → hook' }).locator('.badge').textContent(), { timeout: 15_000 }).toBe('succeeded');
    expect(await page.locator('article.delivery', { hasText: 'shells → hook' }).textContent()).toMatch(/-> 200/);
  });

  it('shows dead letters grouped, the routes, scans and config', async () => {
    await page.keyboard.press('d');
    const groups = page.getByRole('table', { name: 'dead letter groups' });
    await groups.locator('tbody tr').first().waitFor();
    expect(await groups.textContent()).toMatch(/everything\s*sink\s*61/);
    expect(await groups.textContent()).toContain('answered 503');
    await groups.getByRole('button', { name: 'Show' }).first().click();
    await page.locator('section.card').filter({ hasText: 'everything → sink' }).locator('tbody tr').nth(49).waitFor();
    await shot('dead-letters');

    await page.keyboard.press('r');
    await page.getByRole('heading', { name: 'critical-only' }).waitFor();
    expect(await page.locator('section.card', { hasText: 'critical-only' }).textContent()).toContain('input.priority == "Critical"');
    await shot('routes');

    await page.keyboard.press('s');
    await page.getByRole('heading', { name: 'Scans' }).waitFor();
    await page.getByText('No scans.').waitFor();
    await shot('scans');

    await page.keyboard.press('c');
    await page.getByText('Running configuration (secrets masked)').waitFor();
    expect(await page.locator('main').textContent()).toContain('cfg.yaml');
    await shot('config');
  });

  it('runs the playground on the stored event and points at Rego errors', async () => {
    await page.keyboard.press('e');
    await page.getByRole('table', { name: 'events' }).locator('tbody tr').first().waitFor();
    await page.getByRole('searchbox').fill(NEEDLE);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('table', { name: 'events' }).locator('tbody tr').count()).toBe(1);
    await page.getByRole('table', { name: 'events' }).locator('tbody tr a').first().click();
    await page.getByRole('link', { name: 'Open in the playground' }).click();
    await page.getByRole('heading', { name: 'Playground' }).waitFor();
    await expect.poll(() => page.getByLabel('Event (JSON)').inputValue()).toContain(NEEDLE);
    await page.getByLabel('Route to edit').selectOption('critical-only');
    await expect.poll(() => page.getByLabel('Rego conditions (input)').inputValue()).toContain('Critical');
    // Widen the route so it takes warnings too: it now matches this event.
    await page.getByLabel('Rego conditions (input)').fill('input.priority in {"Critical", "Warning"}');
    await page.getByRole('button', { name: 'Run' }).click();
    const matched = page.getByRole('list', { name: 'matched routes' });
    await matched.waitFor();
    const text = await matched.textContent();
    expect(text).toContain('shells');
    expect(text).toContain('critical-only');
    expect(text).toContain('everything');
    expect(text).toContain('hook would receive');
    expect(text).toContain(NEEDLE);
    await shot('playground');

    // Nothing was delivered by the playground.
    const hits = rx.hits.length;
    // A compile error (a misspelt function) is shown at its line and column.
    await page.getByLabel('Rego conditions (input)').fill('input.priority == "Critical"\n  contanis(input.rule, "shell")');
    await page.getByRole('button', { name: 'Run' }).click();
    const problem = page.locator('.problem').first();
    await problem.waitFor();
    expect(await problem.textContent()).toMatch(/^line 2, column 3: .*contanis/);
    expect(await page.locator('.gutter .bad').first().textContent()).toBe('2');
    await shot('playground-error');
    await page.waitForTimeout(500);
    expect(rx.hits.length).toBe(hits);
  });

  it('refuses cross-site POSTs: another origin, no CSRF token, a wrong one', async () => {
    const cookie = (await context.cookies(hooker.url)).find((c) => c.name === 'hooker_console')!;
    const session = `hooker_console=${cookie.value}`;
    const groupsBefore = (await page.evaluate(async () => (await fetch('/api/ui/dead-letters/groups')).json())) as { groups: unknown[] };
    expect(groupsBefore.groups.length).toBeGreaterThan(0);

    // A page on another origin submits a form to the console with the browser's cookie.
    await page.goto(evilUrl);
    await page.waitForURL(/\/api\/ui\/dead-letters\/purge/);
    // Refused by the Origin check when the browser sends the cookie (same host, other port), else for want of a session.
    expect(await page.locator('body').textContent()).toMatch(/cross-site request refused|sign in to the console first/);
    // Same session without the token, with a wrong token, with a foreign Origin.
    const post = (headers: Record<string, string>) => json('/api/ui/dead-letters/purge', { method: 'POST', headers: { 'content-type': 'application/json', cookie: session, ...headers }, body: '{"confirm":true}' });
    expect((await post({})).status).toBe(403);
    expect((await post({ 'x-csrf-token': 'not-the-token' })).status).toBe(403);
    const csrf = ((await json('/api/ui/session', { headers: { cookie: session } })).body['csrf']) as string;
    expect((await post({ 'x-csrf-token': csrf, origin: 'http://attacker.example' })).status).toBe(403);
    // Nothing was purged.
    const after = await json('/api/ui/dead-letters/groups', { headers: { cookie: session } });
    expect((after.body['groups'] as unknown[]).length).toBe(groupsBefore.groups.length);
  });

  it('serves the console with a strict Content-Security-Policy and no outside assets', async () => {
    const res = await fetch(`${hooker.url}/ui/`);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\//);
    for (const m of html.matchAll(/(?:src|href)="(\/ui\/assets\/[^"]+)"/g)) {
      const asset = await fetch(`${hooker.url}${m[1]}`);
      expect(asset.status).toBe(200);
      expect(await asset.text()).not.toMatch(/https?:\/\/(?!www\.w3\.org)[a-z0-9.-]+\.[a-z]{2,}\//i);
    }
  });

  it('signs out: the session is gone', async () => {
    await page.goto(`${hooker.url}/ui/`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin token').waitFor();
    expect(await page.evaluate(async () => (await fetch('/api/ui/events')).status)).toBe(401);
  });
});
