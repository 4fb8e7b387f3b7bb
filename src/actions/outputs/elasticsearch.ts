// `elasticsearch`: indexes each message as a document through the bulk API
// (Elasticsearch and OpenSearch speak the same one). Auth: `user` +
// `password` (Basic) or `api-key` (Elasticsearch API key). The bulk API
// answers 200 even when documents fail, so each item's status is checked:
// 429 items retry, other item errors are dead with the server's reason.

import type { DeliveryContext, DeliveryResult } from '../types.js';
import { defineAction } from '../define.js';
import { HttpOutputClient, basicAuth, jsonOf } from './http-output.js';
import { HTTP_OUTPUT_KEYS, httpOptions, trimSlash } from './common.js';
import { messageDocument } from './document.js';

export const ELASTICSEARCH_DEFAULT_INDEX = 'hooker-alerts';

interface BulkItem { status: number; error?: { type?: string; reason?: string } }

/** `index` may contain %Y, %m, %d (UTC date of the delivery) for daily indices. */
export function indexName(pattern: string, now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return pattern.replace(/%Y/g, String(now.getUTCFullYear())).replace(/%m/g, pad(now.getUTCMonth() + 1)).replace(/%d/g, pad(now.getUTCDate()));
}

export const elasticsearchAction = defineAction({
  type: 'elasticsearch',
  aliases: ['opensearch'],
  keys: ['url', 'index', 'user', 'password', 'api-key', 'pipeline', ...HTTP_OUTPUT_KEYS],
  secrets: ['password', 'api-key'],
  parse(r) {
    const url = r.url('url', true);
    const user = r.string('user');
    const password = r.secret('password');
    const apiKey = r.secret('api-key');
    if (user && !password) r.problem('password', '"password" is required with "user"');
    if (apiKey && user) r.problem('api-key', 'give either user/password or api-key, not both');
    const index = r.string('index') ?? ELASTICSEARCH_DEFAULT_INDEX;
    if (/[A-Z\s,"*\\<>|?#]/.test(index.replace(/%[Ymd]/g, ''))) r.problem('index', `"${index}" is not a valid index name (lowercase, no spaces or , " * \\ < > | ? #)`);
    if (!url) return undefined;
    return { url: trimSlash(url), index, user, password, apiKey, pipeline: r.string('pipeline'), ...httpOptions(r) };
  },
  build(s, { name }) {
    const client = new HttpOutputClient({ timeoutMs: s.timeoutMs, tlsVerify: s.tlsVerify });
    const auth = s.apiKey ? `ApiKey ${s.apiKey}` : s.user ? basicAuth(s.user, s.password ?? '') : undefined;
    return {
      name,
      type: 'elasticsearch',
      async deliver(ctx: DeliveryContext): Promise<DeliveryResult> {
        const index = indexName(s.index);
        const doc = { '@timestamp': new Date().toISOString(), ...messageDocument(ctx.message), hooker: { route: ctx.routeName, event_id: ctx.eventId, delivery_id: ctx.deliveryId } };
        // The delivery id as _id: a retried delivery overwrites, never duplicates.
        const ndjson = `${JSON.stringify({ index: { _index: index, _id: ctx.deliveryId } })}\n${JSON.stringify(doc)}\n`;
        const url = `${s.url}/_bulk${s.pipeline ? `?pipeline=${encodeURIComponent(s.pipeline)}` : ''}`;
        const r = await client.call({ url, headers: { 'content-type': 'application/x-ndjson', ...(auth ? { authorization: auth } : {}) }, body: ndjson }, ctx.signal, 'Elasticsearch');
        if (r.failed) return r.failed;
        const res = jsonOf(r.res.body) as { errors?: boolean; items?: Array<Record<string, BulkItem>> } | undefined;
        const item = res?.items?.[0] ? Object.values(res.items[0])[0] : undefined;
        if (res?.errors && item && (item.status < 200 || item.status > 299)) {
          const reason = `${item.error?.type ?? 'error'}: ${item.error?.reason ?? ''}`;
          return { ok: false, retryable: item.status === 429 || item.status >= 500, detail: `Elasticsearch refused the document (${item.status}) ${reason}` };
        }
        return { ok: true, detail: `indexed into ${index}` };
      },
      close: () => client.close(),
    };
  },
});
