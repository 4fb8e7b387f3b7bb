// `alertmanager`: posts the message as an alert to Alertmanager's
// /api/v2/alerts. A template result that is a JSON object with `labels`
// (and `annotations`, `status`) gives them directly; otherwise the alert is
// named by the title (label alertname) with summary/description annotations.
// `labels` of the action are added to every alert. `status: resolved` in the
// result (Alertmanager's own webhook vocabulary) sets endsAt to now, which
// resolves the alert; otherwise `resolve-after` (default Alertmanager's
// resolve_timeout) lets it expire.

import type { DeliveryContext, DeliveryResult, RenderedMessage } from '../types.js';
import { defineAction } from '../define.js';
import { HttpOutputClient, jsonOf } from './http-output.js';
import { HTTP_AUTH_KEYS, HTTP_OUTPUT_KEYS, LABEL_NAME, httpAuth, httpOptions, labelMap, trimSlash } from './common.js';
import { htmlToText } from './message-text.js';

type Strings = Record<string, string>;

function stringsOf(v: unknown): Strings {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
  const out: Strings = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (LABEL_NAME.test(k) && x !== null && x !== undefined) out[k] = typeof x === 'string' ? x : JSON.stringify(x);
  return out;
}

export function alertOf(m: RenderedMessage, extraLabels: Strings, route: string, now: Date, resolveAfterMs?: number): Record<string, unknown> {
  const parsed = jsonOf(m.body);
  const obj = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed as Record<string, unknown> : undefined;
  const labels: Strings = obj?.labels ? stringsOf(obj.labels) : {};
  const annotations: Strings = obj?.annotations ? stringsOf(obj.annotations) : {};
  labels.alertname ??= m.title.trim() || 'HookerAlert';
  Object.assign(labels, { route, ...extraLabels });
  if (!obj?.annotations) {
    annotations.summary = m.title;
    annotations.description = htmlToText(m.body).slice(0, 16_000);
  }
  const resolved = obj?.status === 'resolved';
  return {
    labels,
    annotations,
    startsAt: typeof obj?.startsAt === 'string' ? obj.startsAt : now.toISOString(),
    ...(resolved ? { endsAt: now.toISOString() } : resolveAfterMs ? { endsAt: new Date(now.getTime() + resolveAfterMs).toISOString() } : {}),
    ...(m.url ? { generatorURL: m.url } : {}),
  };
}

export const alertmanagerAction = defineAction({
  type: 'alertmanager',
  keys: ['url', 'labels', 'resolve-after', ...HTTP_AUTH_KEYS, ...HTTP_OUTPUT_KEYS],
  secrets: ['password', 'token'],
  parse(r) {
    const url = r.url('url', true);
    const labels = labelMap(r, 'labels');
    const resolveAfterMs = r.has('resolve-after') ? r.timeout('resolve-after', 0) : undefined;
    const auth = httpAuth(r);
    if (!url) return undefined;
    return { url: trimSlash(url), labels, resolveAfterMs, auth, ...httpOptions(r) };
  },
  build(s, { name }) {
    const client = new HttpOutputClient({ timeoutMs: s.timeoutMs, tlsVerify: s.tlsVerify });
    const auth = s.auth;
    return {
      name,
      type: 'alertmanager',
      async deliver(ctx: DeliveryContext): Promise<DeliveryResult> {
        const alert = alertOf(ctx.message, s.labels, ctx.routeName, new Date(), s.resolveAfterMs);
        const r = await client.call({ url: `${s.url}/api/v2/alerts`, headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) }, body: JSON.stringify([alert]) }, ctx.signal, 'Alertmanager');
        return r.failed ?? { ok: true, detail: `Alertmanager accepted alert ${(alert.labels as Strings).alertname}${alert.endsAt ? ` (endsAt ${String(alert.endsAt)})` : ''}` };
      },
      close: () => client.close(),
    };
  },
});
