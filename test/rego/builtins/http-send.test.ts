// http.send through the compiled policy. The receiver runs in its own
// process: the builtin blocks this process's event loop while it waits.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, loadPolicy } from '../../../src/rego/index.js';

const SERVER = `
const http = require('node:http');
const s = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => { body += d; });
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ method: req.method, path: req.url, body, auth: req.headers['authorization'] ?? null }));
  });
});
s.listen(0, '127.0.0.1', () => console.log(s.address().port));`;

let child: ChildProcess;
let port = 0;

beforeAll(async () => {
  child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  port = await new Promise<number>((resolve) => child.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
});
afterAll(() => { child.kill(); });

async function send(request: string) {
  const { wasm } = compile({ modules: [{ file: 'h.rego', source: `package h\nr := http.send(${request})` }], entrypoints: ['h/r'] });
  const policy = await loadPolicy(wasm, { strictBuiltinErrors: true });
  return policy.evaluate({}, 'h/r')[0]?.['result'] as Record<string, unknown> | undefined;
}

describe('http.send', () => {
  it('posts a JSON body with headers and decodes the JSON answer', async () => {
    const res = await send(`{"method": "post", "url": "http://127.0.0.1:${port}/hook", "body": {"a": 1}, "headers": {"Authorization": "Bearer t"}}`);
    expect(res?.['status_code']).toBe(200);
    expect(res?.['body']).toEqual({ method: 'POST', path: '/hook', body: '{"a":1}', auth: 'Bearer t' });
  });

  it('rejects unknown and missing request keys as OPA does', async () => {
    await expect(send(`{"method": "get", "url": "http://127.0.0.1:${port}", "bad_key": 1}`)).rejects.toThrow('http.send: invalid request parameters(s): {"bad_key"}');
    await expect(send('{"method": "get"}')).rejects.toThrow('http.send: missing required request parameters(s): {"url"}');
  });

  it('reports a refused connection as an error object when raise_error is false', async () => {
    const res = await send('{"method": "get", "url": "http://127.0.0.1:1/", "raise_error": false}');
    expect(res?.['status_code']).toBe(0);
    expect((res?.['error'] as { code: string }).code).toBe('eval_http_send_network_error');
  });
});
