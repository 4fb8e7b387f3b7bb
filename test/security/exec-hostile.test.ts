// Issue 15, cases 5 and 6: an exec script gets events of any size (file,
// stdin, and HOOKER_EVENT when it fits) and never the server's secrets.
// A real server (in-process, real sockets, SQLite file, /bin/sh scripts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve, tempDir } from '../e2e/server-harness.js';
import type { RunningServer } from '../../src/server/server.js';
import { ADMIN, expectAlive, finishedDeliveries, get, post, until } from './actions-support.js';

describe('exec action: big events and a minimal environment', () => {
  const dir = tempDir();
  let server: RunningServer;
  let base = '';
  const secrets = { HOOKER_TOKEN: 'ingest-secret-1', HOOKER_ADMIN_TOKEN: ADMIN, HOOKER_HMAC_SECRET: 'hmac-secret-2', POSTEE_TOKEN: 'postee-secret-3', UNRELATED_VAR: 'visible-with-inherit' };
  const signed = (body: unknown) => {
    const text = JSON.stringify(body);
    return [text, { authorization: `Bearer ${secrets.HOOKER_TOKEN}`, 'x-hooker-signature': `sha256=${createHmac('sha256', secrets.HOOKER_HMAC_SECRET).update(text).digest('hex')}` }] as const;
  };

  beforeAll(async () => {
    server = await serve(dir, `
routes:
  - name: big
    input: input.kind == "big"
    actions: [sizes]
    template: raw
  - name: envdump
    input: input.kind == "env"
    actions: [envdump, envinherit]
    template: raw
templates:
  - name: raw
    rego-package: hooker.rawmessage.json
actions:
  - name: sizes
    type: exec
    enable: true
    env: ["OUT=${dir}"]
    exec-script: |
      cat "$HOOKER_EVENT_FILE" > "$OUT/$HOOKER_EVENT_ID.file"
      cat > "$OUT/$HOOKER_EVENT_ID.stdin"
      printf '%s' "\${HOOKER_EVENT-unset}" > "$OUT/$HOOKER_EVENT_ID.env"
  - name: envdump
    type: exec
    enable: true
    env: ["OUT=${dir}", "MINE=named"]
    exec-script: env > "$OUT/$HOOKER_EVENT_ID.minimal"; env
  - name: envinherit
    type: exec
    enable: true
    inherit-env: true
    env: ["OUT=${dir}"]
    exec-script: env > "$OUT/$HOOKER_EVENT_ID.inherit"
`, { ...secrets });
    base = server.httpUrl!;
  }, 120_000);
  afterAll(async () => { await server?.close(); });

  for (const size of [1_000, 200 * 1024, 3 * 1024 * 1024]) {
    it(`an event of ${size} bytes reaches the script (file and stdin; HOOKER_EVENT when it fits) and is delivered once`, async () => {
      const event = { kind: 'big', blob: 'x'.repeat(size) };
      const res = await post(`${base}/`, ...signed(event));
      expect(res.status).toBe(202);
      const eventId = res.json()['eventId'] as string;
      const rows = await finishedDeliveries(base, eventId, 60_000);
      // Straight success: no E2BIG, no retries.
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ state: 'succeeded', attempts: 1 });
      expect(JSON.parse(readFileSync(join(dir, `${eventId}.file`), 'utf8'))).toEqual(event);
      expect(JSON.parse(readFileSync(join(dir, `${eventId}.stdin`), 'utf8'))).toEqual(event);
      const envCopy = readFileSync(join(dir, `${eventId}.env`), 'utf8');
      if (size < 100_000) expect(JSON.parse(envCopy)).toEqual(event);
      else expect(envCopy).toBe('unset');
      await expectAlive(base);
    }, 90_000);
  }

  it('the script sees PATH, HOME, the event variables and its env: names, never the tokens; /tenant returns no secret', async () => {
    const res = await post(`${base}/tenant/envdump`, ...signed({ kind: 'env' }));
    expect(res.status).toBe(200);
    const answer = res.text;
    for (const v of Object.values(secrets).filter((v) => v !== 'visible-with-inherit')) expect(answer).not.toContain(v);
    const eventId = res.json()['eventId'] as string;
    await finishedDeliveries(base, eventId);
    const minimal = readFileSync(join(dir, `${eventId}.minimal`), 'utf8');
    const names = minimal.split('\n').filter(Boolean).map((l) => l.slice(0, l.indexOf('=')));
    expect(names).toEqual(expect.arrayContaining(['PATH', 'HOOKER_EVENT', 'HOOKER_EVENT_FILE', 'HOOKER_EVENT_ID', 'HOOKER_ROUTE', 'MINE', 'OUT']));
    for (const v of Object.values(secrets)) expect(minimal).not.toContain(v);
    // inherit-env: the server's environment, still without Hooker's own secrets.
    const inherited = await until(() => existsSync(join(dir, `${eventId}.inherit`)) && readFileSync(join(dir, `${eventId}.inherit`), 'utf8'));
    expect(inherited).toContain('UNRELATED_VAR=visible-with-inherit');
    for (const v of Object.values(secrets).filter((v) => v !== 'visible-with-inherit')) expect(inherited).not.toContain(v);
    // The delivery records hold the script's output: no secret there either.
    const rows = (await get(`${base}/deliveries?event=${eventId}`)).text;
    for (const v of Object.values(secrets).filter((v) => v !== 'visible-with-inherit' && v !== ADMIN)) expect(rows).not.toContain(v);
  });
});
