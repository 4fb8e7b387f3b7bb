// `loki`: Grafana Loki's push API (/loki/api/v1/push), one log line per
// message in a stream labelled by `labels` (plus route). `tenant` sets
// X-Scope-OrgID for multi-tenant Loki; `user`+`password` or `token` when a
// gateway asks for auth. Loki answers 204.

import type { DeliveryContext, DeliveryResult } from '../types.js';
import { defineAction } from '../define.js';
import { HttpOutputClient, basicAuth } from './http-output.js';
import { HTTP_OUTPUT_KEYS, httpOptions, trimSlash } from './common.js';
import { messageDocument } from './document.js';

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export const lokiAction = defineAction({
  type: 'loki',
  keys: ['url', 'labels', 'tenant', 'user', 'password', 'token', ...HTTP_OUTPUT_KEYS],
  secrets: ['password', 'token'],
  parse(r) {
    const url = r.url('url', true);
    const labels = r.stringMap('labels');
    for (const k of Object.keys(labels)) if (!LABEL_NAME.test(k)) r.problem(`labels.${k}`, `"${k}" is not a valid Loki label name`);
    const user = r.string('user');
    const password = r.secret('password');
    const token = r.secret('token');
    if (!url) return undefined;
    return { url: trimSlash(url), labels: { source: 'hooker', ...labels }, tenant: r.string('tenant'), user, password, token, ...httpOptions(r) };
  },
  build(s, { name }) {
    const client = new HttpOutputClient({ timeoutMs: s.timeoutMs, tlsVerify: s.tlsVerify });
    const auth = s.token ? `Bearer ${s.token}` : s.user ? basicAuth(s.user, s.password ?? '') : undefined;
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
