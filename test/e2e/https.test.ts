// HOOKER_HTTPS (on by default): the server answers over TLS with the
// self-signed pair it creates on first start, and closes cleanly.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { request as httpsRequest } from 'node:https';
import { describe, expect, it } from 'vitest';
import { serve, tempDir } from './server-harness.js';

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { rejectUnauthorized: false }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTPS listener', () => {
  it('serves /ping over TLS with a generated self-signed certificate', async () => {
    const dir = tempDir();
    const cert = join(dir, 'tls', 'cert.pem');
    const key = join(dir, 'tls', 'key.pem');
    const server = await serve(dir, `
routes: []
templates: []
actions: []
`, { HOOKER_HTTPS: '127.0.0.1:0', HOOKER_CERT_PEM: cert, HOOKER_KEY_PEM: key });
    try {
      expect(server.httpsUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const res = await get(`${server.httpsUrl}/ping`);
      expect(res.status).toBe(200);
      expect(res.body).toBe('Hooker alive!');
      expect(existsSync(cert) && existsSync(key)).toBe(true);
    } finally {
      await server.close();
    }
  });
});
