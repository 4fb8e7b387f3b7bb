// The webhook chat services that take one text message (Mattermost,
// Rocket.Chat, Google Chat): the same action with each service's payload
// shape and text limit.

import type { ActionFactory, DeliveryContext, DeliveryResult, RenderedMessage } from '../types.js';
import { defineAction } from '../define.js';
import { HttpOutputClient } from './http-output.js';
import { HTTP_OUTPUT_KEYS, httpOptions } from './common.js';
import { htmlToText, truncateText } from './message-text.js';

export interface ChatService {
  type: string;
  label: string;
  /** Keys besides url/timeout/tls-verify (all optional strings). */
  keys: string[];
  maxText: number;
  payload(text: string, m: RenderedMessage, opts: Record<string, string | undefined>): unknown;
  /** Some services answer 200 with an error in the body. */
  bodyError?(body: string): string | undefined;
}

/** Title (bold) and body as the text a chat service shows, cut to its limit. */
export function chatText(m: RenderedMessage, max: number, bold = (s: string) => `**${s}**`): string {
  const body = htmlToText(m.body);
  const text = m.title.trim() ? `${bold(m.title.trim())}\n${body}` : body;
  return truncateText(text, max, m.url);
}

export function chatTextAction(service: ChatService): ActionFactory {
  return defineAction({
    type: service.type,
    keys: ['url', ...service.keys, ...HTTP_OUTPUT_KEYS],
    secrets: ['url'],
    parse(r) {
      const url = r.secretUrl('url', true);
      const opts = Object.fromEntries(service.keys.map((k) => [k, r.string(k)]));
      return url ? { url, opts, ...httpOptions(r) } : undefined;
    },
    build({ url, opts, timeoutMs, tlsVerify }, { name }) {
      const client = new HttpOutputClient({ timeoutMs, tlsVerify });
      return {
        name,
        type: service.type,
        async deliver(ctx: DeliveryContext): Promise<DeliveryResult> {
          const body = service.payload(chatText(ctx.message, service.maxText, service.type === 'googlechat' ? (s) => `*${s}*` : undefined), ctx.message, opts);
          const r = await client.call({ url, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(body) }, ctx.signal, service.label);
          if (r.failed) return r.failed;
          const err = service.bodyError?.(r.res.body);
          if (err) return { ok: false, retryable: false, detail: `${service.label}: ${err}` };
          return { ok: true, detail: `${service.label} answered ${r.res.status}` };
        },
        close: () => client.close(),
      };
    },
  });
}
