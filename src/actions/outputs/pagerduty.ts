// `pagerduty`: PagerDuty Events API v2 (POST /v2/enqueue). Postee's keys:
// `pagerduty-routing-key` (the integration key; `routing-key` as in Postee's
// sample cfg.yaml also works) and `pagerduty-auth-token` / `auth-token`
// (accepted for Postee configs; the Events API does not use it). Each trigger carries a dedup key made from the route and
// title, so repeats of one alert update one incident instead of opening new
// ones. `url` overrides the endpoint (PagerDuty's EU endpoint, tests).

import { createHash } from 'node:crypto';
import type { DeliveryContext, DeliveryResult } from '../types.js';
import { defineAction } from '../define.js';
import { HttpOutputClient, jsonOf } from './http-output.js';
import { HTTP_OUTPUT_KEYS, httpOptions } from './common.js';
import { messageDocument } from './document.js';
import { htmlToText } from './message-text.js';

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';
const SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
const MAX_SUMMARY = 1_024;

export function dedupKey(route: string, title: string): string {
  return createHash('sha256').update(`${route}\n${title}`).digest('hex').slice(0, 32);
}

export const pagerdutyAction = defineAction({
  type: 'pagerduty',
  keys: ['pagerduty-routing-key', 'routing-key', 'pagerduty-auth-token', 'auth-token', 'url', 'severity', 'source', ...HTTP_OUTPUT_KEYS],
  secrets: ['pagerduty-routing-key', 'routing-key', 'pagerduty-auth-token', 'auth-token'],
  parse(r) {
    const routingKey = r.secret('pagerduty-routing-key') ?? r.secret('routing-key');
    if (!routingKey) r.problem('pagerduty-routing-key', '"pagerduty-routing-key" is required (the Events API v2 integration key)');
    r.secret('pagerduty-auth-token');
    r.secret('auth-token');
    const url = r.url('url', false) ?? PAGERDUTY_EVENTS_URL;
    const severity = r.oneOf('severity', SEVERITIES, 'critical');
    if (!routingKey) return undefined;
    return { routingKey, url, severity, source: r.string('source') ?? 'hooker', ...httpOptions(r) };
  },
  build(s, { name }) {
    const client = new HttpOutputClient({ timeoutMs: s.timeoutMs, tlsVerify: s.tlsVerify });
    return {
      name,
      type: 'pagerduty',
      async deliver(ctx: DeliveryContext): Promise<DeliveryResult> {
        const title = ctx.message.title.trim() || htmlToText(ctx.message.body).split('\n')[0] || 'Hooker alert';
        const key = dedupKey(ctx.routeName, title);
        const event = {
          routing_key: s.routingKey,
          event_action: 'trigger',
          dedup_key: key,
          payload: {
            summary: title.slice(0, MAX_SUMMARY),
            source: s.source,
            severity: s.severity,
            timestamp: new Date().toISOString(),
            custom_details: messageDocument(ctx.message),
          },
          ...(ctx.message.url ? { links: [{ href: ctx.message.url, text: 'Details' }] } : {}),
        };
        const r = await client.call({ url: s.url, headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) }, ctx.signal, 'PagerDuty');
        if (r.failed) return r.failed;
        const res = jsonOf(r.res.body) as { dedup_key?: string } | undefined;
        return { ok: true, detail: `PagerDuty accepted the event (dedup key ${res?.dedup_key ?? key})` };
      },
      close: () => client.close(),
    };
  },
});
