// `url:` templates are fetched once when the config loads.

import { undiciLibrary } from '../lazy-libraries.js';

export const TEMPLATE_FETCH_TIMEOUT_MS = 10_000;

export async function fetchTemplate(url: string, timeoutMs = TEMPLATE_FETCH_TIMEOUT_MS): Promise<string> {
  let res;
  try {
    res = await undiciLibrary().request(url, { method: 'GET', signal: AbortSignal.timeout(timeoutMs), headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  } catch (e) {
    const err = e as Error;
    const why = err.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : err.message;
    throw new Error(`could not fetch template ${url}: ${why}`);
  }
  const body = await res.body.text();
  if (res.statusCode < 200 || res.statusCode > 299) throw new Error(`could not fetch template ${url}: the server answered ${res.statusCode}`);
  return body;
}
