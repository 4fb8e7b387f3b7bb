// Bearer tokens and HMAC-SHA256 body signatures, compared in constant time.
//
// Two signature schemes share one header (HOOKER_HMAC_HEADER):
//   plain        sha256=<hex of HMAC(body)> (or bare hex, as GitHub-style senders write it)
//   timestamped  t=<unix seconds>,v1=<hex of HMAC("<t>.<body>")>, as Stripe signs
// A timestamped signature is refused outside HOOKER_HMAC_TOLERANCE of the
// server's clock and when it was already used inside that window, so a
// captured request cannot be replayed. HOOKER_HMAC_REQUIRE_TIMESTAMP refuses
// plain signatures altogether.

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

function hmacHex(secret: string, ...parts: Array<Buffer | string>): string {
  const h = createHmac('sha256', secret);
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

export function signBody(body: Buffer | string, secret: string): string {
  return `sha256=${hmacHex(secret, body)}`;
}

/** The timestamped form: `t=<unix seconds>,v1=<hex>` over `<t>.<body>`. */
export function signBodyTimestamped(body: Buffer | string, secret: string, unixSeconds = Math.floor(Date.now() / 1000)): string {
  return `t=${unixSeconds},v1=${hmacHex(secret, `${unixSeconds}.`, body)}`;
}

/** Accepts `sha256=<hex>` or bare hex (as GitHub-style and other senders write it). */
export function signatureMatches(header: string | undefined, body: Buffer, secret: string): boolean {
  if (!header) return false;
  const given = header.trim().toLowerCase();
  const expected = signBody(body, secret);
  return safeEqual(given.startsWith('sha256=') ? given : `sha256=${given}`, expected);
}

export type SignatureOutcome = { ok: true } | { ok: false; reason: 'bad_signature' | 'stale_signature' | 'replayed_signature'; message: string };

export interface SignatureOptions {
  secret: string;
  header: string;
  toleranceMs: number;
  requireTimestamp: boolean;
  now?: () => number;
  /** Signatures remembered for replay detection at most (oldest forgotten first). */
  replayCapacity?: number;
}

export class SignatureVerifier {
  /** Timestamped signatures seen inside the tolerance window -> when they leave it. */
  private readonly seen = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly opts: SignatureOptions) {
    this.now = opts.now ?? Date.now;
  }

  private fail(reason: 'bad_signature' | 'stale_signature' | 'replayed_signature', message: string): SignatureOutcome {
    return { ok: false, reason, message };
  }

  verify(header: string | undefined, body: Buffer): SignatureOutcome {
    const name = this.opts.header;
    const forms = 'sha256=<hex> or t=<unix time>,v1=<hex>';
    if (!header || header.trim() === '') return this.fail('bad_signature', `missing HMAC-SHA256 signature in ${name} (${forms})`);
    const fields = parseTimestamped(header);
    if (!fields) {
      if (this.opts.requireTimestamp) {
        return this.fail('bad_signature', `plain HMAC signatures are refused (HOOKER_HMAC_REQUIRE_TIMESTAMP): send ${name}: t=<unix time>,v1=<hex of HMAC-SHA256 over "<t>.<body>">`);
      }
      return signatureMatches(header, body, this.opts.secret) ? { ok: true } : this.fail('bad_signature', `missing or wrong HMAC-SHA256 signature in ${name} (${forms})`);
    }
    const expected = hmacHex(this.opts.secret, `${fields.t}.`, body);
    if (!fields.v1.some((v) => safeEqual(v.toLowerCase(), expected))) return this.fail('bad_signature', `wrong HMAC-SHA256 signature in ${name}: v1 must sign "<t>.<body>"`);
    const now = this.now();
    const skew = Math.abs(now - fields.t * 1000);
    if (skew > this.opts.toleranceMs) {
      return this.fail('stale_signature', `the signature's timestamp t=${fields.t} is ${Math.round(skew / 1000)} s away from the server's clock; the tolerance is ${Math.round(this.opts.toleranceMs / 1000)} s (HOOKER_HMAC_TOLERANCE)`);
    }
    this.forgetExpired(now);
    if (this.seen.has(expected)) return this.fail('replayed_signature', `this signature (t=${fields.t}) was already used: a replay; sign every request with a fresh timestamp`);
    this.seen.set(expected, fields.t * 1000 + this.opts.toleranceMs);
    const cap = this.opts.replayCapacity ?? 100_000;
    if (this.seen.size > cap) this.seen.delete(this.seen.keys().next().value!);
    return { ok: true };
  }

  private forgetExpired(now: number): void {
    for (const [sig, until] of this.seen) {
      if (until >= now) break; // insertion order is close to time order; stragglers go at the cap
      this.seen.delete(sig);
    }
  }
}

/** `t=<digits>,v1=<hex>[,v1=<hex>...]`, or undefined when the header is not in that form. */
function parseTimestamped(header: string): { t: number; v1: string[] } | undefined {
  let t: number | undefined;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return undefined;
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (k === 't' && /^\d{1,12}$/.test(v)) t = Number(v);
    else if (k === 'v1') v1.push(v);
  }
  return t === undefined || v1.length === 0 ? undefined : { t, v1 };
}
