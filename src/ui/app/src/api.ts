// Talks to /api/ui: the session's CSRF token (from sign-in, kept in memory
// only) goes with every state-changing request; a 401 sends the user back to
// the sign-in page.

let csrf: string | undefined;
let onSignedOut: () => void = () => {};

export class ApiError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

export function whenSignedOut(fn: () => void): void {
  onSignedOut = fn;
}

export async function call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf;
  const res = await fetch(`/api/ui/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  const data = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (res.status === 401 && path !== 'session') { csrf = undefined; onSignedOut(); }
  if (!res.ok) throw new ApiError(res.status, typeof data['message'] === 'string' ? data['message'] : `${res.status} ${res.statusText}`);
  return data as T;
}

export const get = <T>(path: string) => call<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => call<T>('POST', path, body);

export async function signIn(token: string): Promise<void> {
  const r = await call<{ csrf: string }>('POST', 'session', { token });
  csrf = r.csrf;
}

/** Resumes a session the cookie still names (after a page reload). */
export async function resume(): Promise<boolean> {
  try {
    const r = await call<{ csrf: string }>('GET', 'session');
    csrf = r.csrf;
    return true;
  } catch {
    return false;
  }
}

export async function signOut(): Promise<void> {
  try { await call('DELETE', 'session'); } finally { csrf = undefined; }
}

export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
