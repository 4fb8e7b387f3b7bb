// The webhook chat services (Slack, Teams, Discord, Mattermost, Rocket.Chat,
// Google Chat): one action that POSTs a JSON payload to a secret webhook URL,
// each service giving its payload shape, its extra keys and how it reports
// a refused message in a 200 answer.

import type { ActionFactory, DeliveryContext, DeliveryResult, RenderedMessage } from '../types.js';
import { defineAction } from '../define.js';
import { HttpOutputClient } from './http-output.js';
import { HTTP_OUTPUT_KEYS, httpOptions } from './common.js';
import { htmlToText, truncateText } from './message-text.js';

export interface WebhookService {
  type: string;
  label: string;
  /** Keys besides url/timeout/tls-verify (all optional strings). */
  keys: string[];
  /** The request body (JSON text) for a message. */
  payload(m: RenderedMessage, opts: Record<string, string | undefined>): string;
  /** Some services answer 200 with an error in the body. */
  bodyError?(body: string): string | undefined;
}

/** Title (bold) and body as the text a chat service shows, cut to its limit. */
export function chatText(m: RenderedMessage, max: number, bold = (s: string) => `**${s}**`): string {
  const body = htmlToText(m.body);
  const text = m.title.trim() ? `${bold(m.title.trim())}\n${body}` : body;
  return truncateText(text, max, m.url);
}

export function webhookOutput(service: WebhookService): ActionFactory {
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
          const body = service.payload(ctx.message, opts);
          const r = await client.call({ url, headers: { 'content-type': 'application/json; charset=utf-8' }, body }, ctx.signal, service.label);
          if (r.failed) return r.failed;
          const err = service.bodyError?.(r.res.body);
          if (err) return { ok: false, retryable: false, detail: `${service.label} answered ${r.res.status} but refused the message: ${err}` };
          return { ok: true, detail: `${service.label} answered ${r.res.status}` };
        },
        close: () => client.close(),
      };
    },
  });
}
