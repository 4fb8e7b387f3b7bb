// `rocketchat`: a Rocket.Chat incoming webhook (integration URL with its
// token). Messages are limited to 5,000 characters (Message_MaxAllowedSize
// default). Rocket.Chat answers 200 with {"success": false, "error": ...}
// when it refuses a message.

import { chatText, webhookOutput } from './webhook-output.js';
import { jsonOf } from './http-output.js';

export const ROCKETCHAT_MAX_TEXT = 5_000;

export const rocketchatAction = webhookOutput({
  type: 'rocketchat',
  label: 'Rocket.Chat',
  keys: ['channel', 'username', 'icon-url'],
  payload: (m, o) => JSON.stringify({
    text: chatText(m, ROCKETCHAT_MAX_TEXT),
    ...(o.channel ? { channel: o.channel } : {}),
    ...(o.username ? { alias: o.username } : {}),
    ...(o['icon-url'] ? { avatar: o['icon-url'] } : {}),
  }),
  bodyError(body) {
    const j = jsonOf(body) as { success?: boolean; error?: string } | undefined;
    return j && j.success === false ? String(j.error ?? body) : undefined;
  },
});
