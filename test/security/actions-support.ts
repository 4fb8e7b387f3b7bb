// Helpers of the hostile-input tests on actions, configuration and
// evaluation: posting to a real `hooker serve` process, checking that it
// still answers /ping and that every accepted event has its deliveries.
import { request } from 'undici';
import { expect } from 'vitest';

export const ADMIN = 'adm';

export async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.body.text();
  return { status: res.statusCode, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

export async function get(url: string, token = ADMIN) {
  const res = await request(url, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.body.text();
  return { status: res.statusCode, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

/** The server process is alive and serving. */
export async function expectAlive(base: string): Promise<void> {
  const res = await request(`${base}/ping`);
  expect(res.statusCode).toBe(200);
  expect(await res.body.text()).toBe('Hooker alive!');
}

export interface DeliveryRow { id: string; eventId: string; route: string; action: string; state: string; attempts: number; lastError?: string }

export async function deliveriesOf(base: string, eventId: string): Promise<DeliveryRow[]> {
  const res = await get(`${base}/deliveries?event=${encodeURIComponent(eventId)}&limit=1000`);
  expect(res.status).toBe(200);
  return (res.json()['deliveries'] as DeliveryRow[]);
}

/** Waits until every delivery of the event is finished (succeeded or dead) and returns them. */
export async function finishedDeliveries(base: string, eventId: string, ms = 20_000): Promise<DeliveryRow[]> {
  const end = Date.now() + ms;
  for (;;) {
    const rows = await deliveriesOf(base, eventId);
    if (rows.length > 0 && rows.every((r) => r.state === 'succeeded' || r.state === 'dead')) return rows;
    if (Date.now() > end) throw new Error(`deliveries of ${eventId} not finished: ${JSON.stringify(rows)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function until<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
