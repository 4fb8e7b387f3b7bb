// Console sessions: signing in with HOOKER_ADMIN_TOKEN gives an HttpOnly,
// SameSite=Strict cookie naming a server-side session, and a CSRF token the
// page keeps in memory and sends in a header with every state-changing
// request. A cross-site page can make the browser send the cookie only with
// a top-level GET (SameSite=Strict: not even that); it can never read the
// CSRF token, and a foreign Origin is refused before the token is checked.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../../server/http-errors.js';

export const SESSION_COOKIE = 'hooker_console';
export const CSRF_HEADER = 'x-csrf-token';
/** A session ends this long after its last request. */
export const SESSION_IDLE_MS = 12 * 3_600_000;
const MAX_SESSIONS = 1_000;

interface Session { csrf: string; lastSeen: number }

export function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The value of one cookie in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  constructor(private readonly now: () => number = Date.now) {}

  create(): { id: string; csrf: string } {
    this.expire();
    // The oldest go first when too many are open (each sign-in makes one).
    while (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    const id = randomBytes(32).toString('base64url');
    const csrf = randomBytes(32).toString('base64url');
    this.sessions.set(id, { csrf, lastSeen: this.now() });
    return { id, csrf };
  }

  /** The live session of the request's cookie, refreshed; undefined when there is none. */
  find(req: FastifyRequest): (Session & { id: string }) | undefined {
    const id = cookieValue(req.headers.cookie, SESSION_COOKIE);
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (this.now() - s.lastSeen > SESSION_IDLE_MS) { this.sessions.delete(id); return undefined; }
    s.lastSeen = this.now();
    return { ...s, id };
  }

  end(id: string): void {
    this.sessions.delete(id);
  }

  private expire(): void {
    const now = this.now();
    for (const [id, s] of this.sessions) if (now - s.lastSeen > SESSION_IDLE_MS) this.sessions.delete(id);
  }
}

export function setSessionCookie(reply: FastifyReply, req: FastifyRequest, id: string): void {
  const secure = req.protocol === 'https' ? '; Secure' : '';
  void reply.header('set-cookie', `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict${secure}`);
}

export function clearSessionCookie(reply: FastifyReply, req: FastifyRequest): void {
  const secure = req.protocol === 'https' ? '; Secure' : '';
  void reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure}`);
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses a state-changing request another site made: a browser names the
 * page's origin in Origin (and Sec-Fetch-Site); it must be this server's.
 */
export function refuseCrossSite(req: FastifyRequest): void {
  if (SAFE_METHODS.has(req.method)) return;
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') throw new HttpError(403, `cross-site request refused (Sec-Fetch-Site: ${site})`, 'csrf');
  const origin = req.headers.origin;
  if (origin === undefined) return;
  let host: string | undefined;
  try { host = new URL(origin).host; } catch { /* "null" and other opaque origins */ }
  if (host === undefined || host !== req.headers.host) throw new HttpError(403, `cross-site request refused: Origin ${origin} is not this server`, 'csrf');
}

/** onRequest hook of the console API: a live session, and on state-changing requests its CSRF token. */
export function requireSession(sessions: SessionStore) {
  return async (req: FastifyRequest): Promise<void> => {
    const s = sessions.find(req);
    if (!s) throw new HttpError(401, 'sign in to the console first (POST /api/ui/session with the admin token)', 'unauthorized');
    if (SAFE_METHODS.has(req.method)) return;
    refuseCrossSite(req);
    const given = req.headers[CSRF_HEADER];
    if (typeof given !== 'string' || !constantTimeEqual(given, s.csrf)) throw new HttpError(403, `missing or wrong CSRF token (send the ${CSRF_HEADER} header the sign-in answered with)`, 'csrf');
  };
}
