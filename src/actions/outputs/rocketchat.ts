// `rocketchat`: a Rocket.Chat incoming webhook (integration URL with its
// token). Messages are limited to 5,000 characters (Message_MaxAllowedSize
// default). Rocket.Chat answers 200 with {"success": false, "error": ...}
// when it refuses a message.

import { chatTextAction } from './chat-text.js';
import { jsonOf } from './http-output.js';

export const ROCKETCHAT_MAX_TEXT = 5_000;

export const rocketchatAction = chatTextAction({
  type: 'rocketchat',
  label: 'Rocket.Chat',
  keys: ['channel', 'username', 'icon-url'],
  maxText: ROCKETCHAT_MAX_TEXT,
  payload: (text, _m, o) => ({
    text,
    ...(o.channel ? { channel: o.channel } : {}),
    ...(o.username ? { alias: o.username } : {}),
    ...(o['icon-url'] ? { avatar: o['icon-url'] } : {}),
  }),
  bodyError(body) {
    const j = jsonOf(body) as { success?: boolean; error?: string } | undefined;
    return j && j.success === false ? `refused the message: ${j.error ?? body}` : undefined;
  },
});
