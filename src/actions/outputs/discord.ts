// `discord`: a Discord webhook. The message is one embed (title up to 256
// characters, description up to 4,096, 6,000 in all); Discord answers 204,
// and 429 with Retry-After when the webhook is rate limited.

import type { RenderedMessage } from '../types.js';
import { webhookOutput } from './webhook-output.js';
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

export const discordAction = webhookOutput({
  type: 'discord',
  label: 'Discord',
  keys: ['username', 'avatar-url'],
  payload: (m, o) => JSON.stringify(discordPayload(m, { username: o.username, avatarUrl: o['avatar-url'] })),
});
