// `splunk`: Splunk HTTP Event Collector. Postee's keys: `url` (the HEC base,
// e.g. https://splunk:8088), `token` (a HEC token, sent as
// `Authorization: Splunk <token>`), `size-limit` (default 10000 bytes per
// event) and `tls-verify`. An event over the limit loses its largest list
// fields first (as Postee drops resources/malware/sensitive data), and fails
// without retrying when it still does not fit.

import type { DeliveryContext, DeliveryResult } from '../types.js';
import { defineAction } from '../define.js';
import { HttpOutputClient, jsonOf } from './http-output.js';
import { HTTP_OUTPUT_KEYS, httpOptions, trimSlash } from './common.js';
import { messageDocument } from './document.js';

export const SPLUNK_DEFAULT_SIZE_LIMIT = 10_000;

/** The HEC envelope, with list fields dropped (largest first) until it fits. */
export function splunkEnvelope(doc: Record<string, unknown>, limit: number, meta: { sourcetype: string; index?: string; source?: string }): { body?: string; dropped: string[]; size: number } {
  const event: Record<string, unknown> = { ...doc };
  const dropped: string[] = [];
  const wrap = () => JSON.stringify({ sourcetype: meta.sourcetype, ...(meta.index ? { index: meta.index } : {}), ...(meta.source ? { source: meta.source } : {}), event });
  let body = wrap();
  while (Buffer.byteLength(body) > limit) {
    const lists = Object.entries(event).filter(([, v]) => Array.isArray(v) && v.length > 0)
      .sort((a, b) => JSON.stringify(b[1]).length - JSON.stringify(a[1]).length);
    if (lists.length === 0) return { dropped, size: Buffer.byteLength(body) };
    const [key] = lists[0]!;
    event[key] = [];
    dropped.push(key);
    event.hooker_dropped_fields = dropped;
    body = wrap();
  }
  return { body, dropped, size: Buffer.byteLength(body) };
}

export const splunkAction = defineAction({
  type: 'splunk',
  keys: ['url', 'token', 'size-limit', 'index', 'source', 'sourcetype', ...HTTP_OUTPUT_KEYS],
  secrets: ['token'],
  parse(r) {
    const url = r.url('url', true);
    const token = r.secret('token', true);
    const sizeLimit = r.int('size-limit', SPLUNK_DEFAULT_SIZE_LIMIT, 1);
    if (!url || !token) return undefined;
    return { url: trimSlash(url), token, sizeLimit, index: r.string('index'), source: r.string('source'), sourcetype: r.string('sourcetype') ?? '_json', ...httpOptions(r) };
  },
  build(s, { name }) {
    const client = new HttpOutputClient({ timeoutMs: s.timeoutMs, tlsVerify: s.tlsVerify });
    return {
      name,
      type: 'splunk',
      async deliver(ctx: DeliveryContext): Promise<DeliveryResult> {
        const env = splunkEnvelope(messageDocument(ctx.message), s.sizeLimit, s);
        if (!env.body) return { ok: false, retryable: false, detail: `the event is ${env.size} bytes, over size-limit ${s.sizeLimit}, even without its list fields` };
        if (env.dropped.length) ctx.log(`size-limit ${s.sizeLimit}: dropped ${env.dropped.join(', ')}`);
        const r = await client.call({ url: `${s.url}/services/collector/event`, headers: { authorization: `Splunk ${s.token}`, 'content-type': 'application/json' }, body: env.body }, ctx.signal, 'Splunk HEC');
        if (r.failed) return r.failed;
        const ack = jsonOf(r.res.body) as { code?: number; text?: string } | undefined;
        if (ack && typeof ack.code === 'number' && ack.code !== 0) return { ok: false, retryable: false, detail: `Splunk HEC answered code ${ack.code}: ${ack.text ?? ''}` };
        return { ok: true, detail: `Splunk HEC accepted the event (${env.size} bytes${env.dropped.length ? `, dropped ${env.dropped.join(', ')}` : ''})` };
      },
      close: () => client.close(),
    };
  },
});
