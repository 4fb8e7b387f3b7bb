// Bearer tokens and HMAC-SHA256 body signatures, compared in constant time.

import { createHmac, timingSafeEqual } from 'node:crypto';

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** True when the Authorization header carries exactly `Bearer <token>`. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  if (!header) return false;
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  return !!m && safeEqual(m[1]!, token);
}

export function signBody(body: Buffer | string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Accepts `sha256=<hex>` or bare hex (as GitHub-style and other senders write it). */
export function signatureMatches(header: string | undefined, body: Buffer, secret: string): boolean {
  if (!header) return false;
  const given = header.trim().toLowerCase();
  const expected = signBody(body, secret);
  return safeEqual(given.startsWith('sha256=') ? given : `sha256=${given}`, expected);
}
