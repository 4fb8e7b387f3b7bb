// `loki`: Grafana Loki's push API (/loki/api/v1/push), one log line per
// message in a stream labelled by `labels` (plus route). `tenant` sets
// X-Scope-OrgID for multi-tenant Loki; `user`+`password` or `token` when a
// gateway asks for auth. Loki answers 204.

import type { DeliveryContext, DeliveryResult } from '../types.js';
import { defineAction } from '../define.js';
import { HttpOutputClient } from './http-output.js';
import { HTTP_AUTH_KEYS, HTTP_OUTPUT_KEYS, httpAuth, httpOptions, labelMap, trimSlash } from './common.js';
import { messageDocument } from './document.js';

export const lokiAction = defineAction({
  type: 'loki',
  keys: ['url', 'labels', 'tenant', ...HTTP_AUTH_KEYS, ...HTTP_OUTPUT_KEYS],
  secrets: ['password', 'token'],
  parse(r) {
    const url = r.url('url', true);
    const labels = labelMap(r, 'labels');
    const auth = httpAuth(r);
    if (!url) return undefined;
    return { url: trimSlash(url), labels: { source: 'hooker', ...labels }, tenant: r.string('tenant'), auth, ...httpOptions(r) };
  },
  build(s, { name }) {
    const client = new HttpOutputClient({ timeoutMs: s.timeoutMs, tlsVerify: s.tlsVerify });
    const auth = s.auth;
    return {
      name,
      type: 'loki',
      async deliver(ctx: DeliveryContext): Promise<DeliveryResult> {
        const line = JSON.stringify(messageDocument(ctx.message));
        const ns = `${BigInt(Date.now()) * 1_000_000n}`;
        const body = JSON.stringify({ streams: [{ stream: { ...s.labels, route: ctx.routeName }, values: [[ns, line]] }] });
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (s.tenant) headers['x-scope-orgid'] = s.tenant;
        if (auth) headers.authorization = auth;
        const r = await client.call({ url: `${s.url}/loki/api/v1/push`, headers, body }, ctx.signal, 'Loki');
        return r.failed ?? { ok: true, detail: `Loki accepted 1 line (${line.length} characters)` };
      },
      close: () => client.close(),
    };
  },
});
