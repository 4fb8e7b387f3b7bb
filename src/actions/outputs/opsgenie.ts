// `opsgenie`: Opsgenie Alert API v2 (POST /v2/alerts, `Authorization:
// GenieKey <token>`). Postee's keys: `token`, `user`, `assignee` (users the
// alert is assigned to: responders), `recipients` (users it is visible to),
// `tags`, `priority`/`prioritySource` (default P3), `alias`, `entity`.
// A template result that is a JSON object may set description, alias,
// entity, priority and tags per alert, as in Postee. `region: eu` uses
// api.eu.opsgenie.com; `url` overrides the endpoint.

import type { DeliveryContext, DeliveryResult } from '../types.js';
import { defineAction } from '../define.js';
import { HttpOutputClient, jsonOf } from './http-output.js';
import { HTTP_OUTPUT_KEYS, httpOptions, trimSlash } from './common.js';
import { htmlToText } from './message-text.js';

export const OPSGENIE_URLS = { us: 'https://api.opsgenie.com', eu: 'https://api.eu.opsgenie.com' } as const;
const PRIORITIES = ['P1', 'P2', 'P3', 'P4', 'P5'] as const;
const MAX_MESSAGE = 130;
const MAX_DESCRIPTION = 15_000;

/** Postee documents these as comma separated lists; its sample leaves `[""]`. */
const names = (list: string[]) => list.flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean);

export const opsgenieAction = defineAction({
  type: 'opsgenie',
  keys: ['token', 'user', 'assignee', 'recipients', 'tags', 'priority', 'prioritySource', 'alias', 'entity', 'region', 'url', ...HTTP_OUTPUT_KEYS],
  secrets: ['token'],
  parse(r) {
    const token = r.secret('token', true);
    const region = r.oneOf('region', ['us', 'eu'] as const, 'us');
    const url = trimSlash(r.url('url', false) ?? OPSGENIE_URLS[region]);
    const priority = r.has('priority') ? r.oneOf('priority', PRIORITIES, 'P3') : r.oneOf('prioritySource', PRIORITIES, 'P3');
    if (!token) return undefined;
    return {
      token, url, priority, user: r.string('user'), assignee: names(r.stringList('assignee')), recipients: names(r.stringList('recipients')),
      tags: names(r.stringList('tags')), alias: r.string('alias'), entity: r.string('entity'), ...httpOptions(r),
    };
  },
  build(s, { name }) {
    const client = new HttpOutputClient({ timeoutMs: s.timeoutMs, tlsVerify: s.tlsVerify });
    return {
      name,
      type: 'opsgenie',
      async deliver(ctx: DeliveryContext): Promise<DeliveryResult> {
        const parsed = jsonOf(ctx.message.body);
        const content = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed as Record<string, unknown> : undefined;
        const description = content ? (content.description !== undefined ? String(content.description) : '') : htmlToText(ctx.message.body);
        const extraTags = content?.tags === undefined ? [] : Array.isArray(content.tags) ? content.tags.map(String) : String(content.tags).split(',');
        const users = (names: string[]) => names.map((username) => ({ type: 'user', username }));
        const alert = {
          message: (ctx.message.title.trim() || 'Hooker alert').slice(0, MAX_MESSAGE),
          description: description.slice(0, MAX_DESCRIPTION),
          ...(content?.alias ?? s.alias ? { alias: String(content?.alias ?? s.alias).slice(0, 512) } : {}),
          ...(content?.entity ?? s.entity ? { entity: String(content?.entity ?? s.entity) } : {}),
          priority: content?.priority !== undefined ? String(content.priority) : s.priority,
          tags: [...s.tags, ...extraTags.map((t) => t.trim()).filter(Boolean)],
          ...(s.assignee.length ? { responders: users(s.assignee) } : {}),
          ...(s.recipients.length ? { visibleTo: users(s.recipients) } : {}),
          ...(s.user ? { user: s.user } : {}),
          source: 'hooker',
        };
        const r = await client.call({ url: `${s.url}/v2/alerts`, headers: { authorization: `GenieKey ${s.token}`, 'content-type': 'application/json' }, body: JSON.stringify(alert) }, ctx.signal, 'Opsgenie');
        if (r.failed) return r.failed;
        const res = jsonOf(r.res.body) as { requestId?: string } | undefined;
        return { ok: true, detail: `Opsgenie accepted the alert (request ${res?.requestId ?? '?'})` };
      },
      close: () => client.close(),
    };
  },
});
