import { createServer } from 'node:http';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startServer } from '../src/server/server.ts';
import { readServerSettings } from '../src/config/env.ts';
let seen = 0;
const srv = createServer((req, res) => { req.resume(); req.on('end', () => setTimeout(() => { seen++; res.end('ok'); }, 2)); });
await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
const port = (srv.address() as any).port;
const dir = mkdtempSync(join(tmpdir(), 'rate-'));
writeFileSync(join(dir, 'cfg.yaml'), `
routes:
  - name: ship
    actions: [receiver]
    input: input.nomatch == 1
    template: raw-json
templates:
  - name: raw-json
    rego-package: hooker.rawmessage.json
actions:
  - name: receiver
    type: http
    enable: true
    url: http://127.0.0.1:${port}/in
    concurrency: 2
`);
const env = { HOOKER_CFG: join(dir, 'cfg.yaml'), HOOKER_HTTP: '127.0.0.1:0', HOOKER_HTTPS: '', HOOKER_DB: join(dir, 'h.db') };
const s = await startServer({ settings: readServerSettings(env, { cfgPath: '' }), env, watchConfig: false });
const t0 = Date.now();
for (let i = 0; i < 300; i++) { const r = await request(s.httpUrl + '/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n: i }) }); await r.body.text(); }
console.log('posted 300 in', Date.now() - t0, 'seen', seen);
while (false) await new Promise((r) => setTimeout(r, 20));
console.log('delivered 300 in', Date.now() - t0);
await s.close(); srv.close();
