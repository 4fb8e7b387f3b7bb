// A body over HOOKER_MAX_BODY sent to `hooker serve` in its own process, as a
// sender does: all of it at once with its Content-Length, over a real
// connection. The sender must read the 413, not lose it to a reset.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHooker, type HookerProcess } from './hooker-process.js';
import { postBytes } from '../support/post-bytes.js';

describe('a 12 MiB event against the default 10 MiB limit', () => {
  let h: HookerProcess;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hooker-oversized-'));
    const cfg = join(dir, 'cfg.yaml');
    writeFileSync(cfg, 'routes:\n  - name: all\n    actions: [out]\n    template: raw-json\ntemplates:\n  - name: raw-json\n    rego-package: hooker.rawmessage.json\nactions:\n  - name: out\n    type: stdout\n    enable: true\n');
    h = await startHooker({ HOOKER_CFG: cfg });
  });
  afterAll(async () => { await h?.stop(); });

  it('each of 10 senders reads a 413 naming HOOKER_MAX_BODY (before: most got EPIPE), and the server goes on', async () => {
    // Node's http client sends it with its Content-Length, as one write.
    const body = Buffer.alloc(12 * 1024 * 1024, 0x20);
    const answers = [];
    for (let i = 0; i < 10; i++) answers.push(await postBytes(h.url, body));
    expect(answers.map((a) => ('status' in a ? a.status : a.error))).toEqual(Array(10).fill(413));
    for (const a of answers) expect(JSON.parse((a as { text: string }).text).message).toContain('HOOKER_MAX_BODY');
    expect(await postBytes(h.url, Buffer.from('{"a":1}'))).toMatchObject({ status: 202 });
    expect(h.alive()).toBe(true);
  });
});
