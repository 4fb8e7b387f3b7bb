// `serviceNow`: a record in a ServiceNow table through the Table API
// (POST /api/now/table/<board>, Basic auth). Postee's keys: `user`,
// `password`, `instance` (the instance name: <instance>.service-now.com;
// a full URL is taken as the base, e.g. for a proxy), `board` (the table,
// default incident).

import type { DeliveryContext, DeliveryResult } from '../types.js';
import { defineAction } from '../define.js';
import { HttpOutputClient, basicAuth, jsonOf } from './http-output.js';
import { HTTP_OUTPUT_KEYS, httpOptions, trimSlash } from './common.js';
import { htmlToText } from './message-text.js';

export const SERVICENOW_DEFAULT_TABLE = 'incident';

export function serviceNowBase(instance: string): string {
  return instance.includes('://') ? trimSlash(instance) : `https://${instance}.service-now.com`;
}

export const servicenowAction = defineAction({
  type: 'serviceNow',
  keys: ['user', 'password', 'instance', 'board', ...HTTP_OUTPUT_KEYS],
  secrets: ['password'],
  parse(r) {
    const user = r.string('user', true);
    const password = r.secret('password', true);
    const instance = r.string('instance', true);
    if (instance && !instance.includes('://') && !/^[a-z0-9-]+$/i.test(instance)) r.problem('instance', `"${instance}" is not an instance name (the <name> of <name>.service-now.com) or a URL`);
    const board = r.string('board') ?? SERVICENOW_DEFAULT_TABLE;
    if (!/^[a-z0-9_]+$/i.test(board)) r.problem('board', `"${board}" is not a table name`);
    if (!user || !password || !instance) return undefined;
    return { user, password, base: serviceNowBase(instance), board, ...httpOptions(r) };
  },
  build(s, { name }) {
    const client = new HttpOutputClient({ timeoutMs: s.timeoutMs, tlsVerify: s.tlsVerify });
    const auth = basicAuth(s.user, s.password);
    return {
      name,
      type: 'serviceNow',
      async deliver(ctx: DeliveryContext): Promise<DeliveryResult> {
        const record = {
          short_description: (ctx.message.title.trim() || 'Hooker alert').slice(0, 160),
          description: htmlToText(ctx.message.body),
          ...(ctx.message.url ? { comments: `Details: ${ctx.message.url}` } : {}),
        };
        const r = await client.call({
          url: `${s.base}/api/now/table/${s.board}`,
          headers: { authorization: auth, 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify(record),
        }, ctx.signal, 'ServiceNow');
        if (r.failed) return r.failed;
        const res = jsonOf(r.res.body) as { result?: { number?: string; sys_id?: string } } | undefined;
        const id = res?.result?.number ?? res?.result?.sys_id;
        return { ok: true, detail: `ServiceNow created ${s.board} ${id ?? '(no number returned)'}`, changed: id ? [`${s.board} ${id} created`] : [] };
      },
      close: () => client.close(),
    };
  },
});
