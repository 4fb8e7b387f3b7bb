// `discord`: a Discord webhook. The message is one embed (title up to 256
// characters, description up to 4,096, 6,000 in all); Discord answers 204,
// and 429 with Retry-After when the webhook is rate limited.

import type { DeliveryContext, DeliveryResult, RenderedMessage } from '../types.js';
import { defineAction } from '../define.js';
import { HttpOutputClient } from './http-output.js';
import { HTTP_OUTPUT_KEYS, httpOptions } from './common.js';
import { htmlToText, truncateText } from './message-text.js';

export const DISCORD_MAX_TITLE = 256;
export const DISCORD_MAX_DESCRIPTION = 4_096;

export function discordPayload(m: RenderedMessage, opts: { username?: string; avatarUrl?: string }): Record<string, unknown> {
  const title = truncateText(m.title.trim() || 'Hooker alert', DISCORD_MAX_TITLE);
  const description = truncateText(htmlToText(m.body) || '(empty message)', DISCORD_MAX_DESCRIPTION, m.url);
  return {
    ...(opts.username ? { username: opts.username } : {}),
    ...(opts.avatarUrl ? { avatar_url: opts.avatarUrl } : {}),
    embeds: [{ title, description, ...(m.url ? { url: m.url } : {}) }],
    allowed_mentions: { parse: [] },
  };
}

export const discordAction = defineAction({
  type: 'discord',
  keys: ['url', 'username', 'avatar-url', ...HTTP_OUTPUT_KEYS],
  secrets: ['url'],
  parse(r) {
    const url = r.secretUrl('url', true);
    return url ? { url, username: r.string('username'), avatarUrl: r.string('avatar-url'), ...httpOptions(r) } : undefined;
  },
  build({ url, username, avatarUrl, timeoutMs, tlsVerify }, { name }) {
    const client = new HttpOutputClient({ timeoutMs, tlsVerify });
    return {
      name,
      type: 'discord',
      async deliver(ctx: DeliveryContext): Promise<DeliveryResult> {
        const payload = discordPayload(ctx.message, { username, avatarUrl });
        const r = await client.call({ url, headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) }, ctx.signal, 'Discord');
        return r.failed ?? { ok: true, detail: `Discord answered ${r.res.status}` };
      },
      close: () => client.close(),
    };
  },
});
