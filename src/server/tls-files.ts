// HOOKER_CERT_PEM / HOOKER_KEY_PEM, or a self-signed pair written next to
// the data directory on first start (with a warning).

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createSelfSignedCertificate } from './self-signed.js';

export const DEFAULT_CERT = 'data/tls/cert.pem';
export const DEFAULT_KEY = 'data/tls/key.pem';

export function loadOrCreateTls(opts: { certPem?: string; keyPem?: string; warn(msg: string): void }): { cert: string; key: string } {
  const certPath = resolve(opts.certPem ?? DEFAULT_CERT);
  const keyPath = resolve(opts.keyPem ?? DEFAULT_KEY);
  const haveCert = existsSync(certPath);
  const haveKey = existsSync(keyPath);
  if (haveCert !== haveKey) throw new Error(`HTTPS needs both ${certPath} and ${keyPath}; only one exists`);
  if (!haveCert) {
    const pair = createSelfSignedCertificate();
    mkdirSync(dirname(certPath), { recursive: true });
    mkdirSync(dirname(keyPath), { recursive: true });
    writeFileSync(keyPath, pair.keyPem, { mode: 0o600 });
    writeFileSync(certPath, pair.certPem);
    opts.warn(`no TLS certificate found: created a self-signed one at ${certPath} (set HOOKER_CERT_PEM and HOOKER_KEY_PEM to use your own)`);
  }
  return { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
}
