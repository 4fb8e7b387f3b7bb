// `webhook`: POSTs the rendered result to `url` as Postee did: the template's
// `result` as is when it is text, its JSON when it is an object. The content
// type is application/json either way, as Postee sent it (receivers written
// for Postee check it).

import type { Action, ActionFactory, DeliveryContext, DeliveryResult } from './types.js';
import { defineAction } from './define.js';
import { actionClient, configuredConcurrency, describeHttpError, queueAhead } from './http-send.js';
import { retryableStatus } from './http.js';

export const WEBHOOK_DEFAULT_TIMEOUT_MS = 120_000;

export const webhookAction: ActionFactory = defineAction({
  type: 'webhook',
  keys: ['url', 'timeout'],
  parse(r) {
    const url = r.url('url', true);
    const timeoutMs = r.timeout('timeout', WEBHOOK_DEFAULT_TIMEOUT_MS);
    const connections = configuredConcurrency(r.config);
    return url ? { url, timeoutMs, ...(connections ? { connections } : {}) } : undefined;
  },
  build({ url, timeoutMs, connections }, { name, services }) {
    const client = actionClient(connections, undefined, services.httpThread === true);
    const action: Action = {
      name,
      type: 'webhook',
      queueAhead: queueAhead(connections, timeoutMs),
      close: () => client.close(),
      async deliver(ctx: DeliveryContext): Promise<DeliveryResult> {
        try {
          const res = await client.request({
            url, method: 'POST', timeoutMs, signal: ctx.signal, body: ctx.message.body,
            headers: { 'content-type': 'application/json', 'Hooker-Delivery-Id': ctx.deliveryId },
          });
          if (res.status < 200 || res.status > 299) return { ok: false, retryable: retryableStatus(res.status), detail: `${url} answered ${res.status}: ${res.body.slice(0, 200)}` };
          return { ok: true, detail: `${url} answered ${res.status}` };
        } catch (e) {
          return { ok: false, detail: `POST ${url}: ${describeHttpError(e, timeoutMs)}` };
        }
      },
    };
    return action;
  },
});
