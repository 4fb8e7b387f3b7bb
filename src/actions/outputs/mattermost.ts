// `mattermost`: a Mattermost incoming webhook. Posts are limited to 16,383
// characters (the server's default maximum post size).

import { chatText, webhookOutput } from './webhook-output.js';

export const MATTERMOST_MAX_TEXT = 16_383;

export const mattermostAction = webhookOutput({
  type: 'mattermost',
  label: 'Mattermost',
  keys: ['channel', 'username', 'icon-url'],
  payload: (m, o) => JSON.stringify({
    text: chatText(m, MATTERMOST_MAX_TEXT),
    ...(o.channel ? { channel: o.channel } : {}),
    ...(o.username ? { username: o.username } : {}),
    ...(o['icon-url'] ? { icon_url: o['icon-url'] } : {}),
  }),
});
