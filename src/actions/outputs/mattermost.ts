// `mattermost`: a Mattermost incoming webhook. Posts are limited to 16,383
// characters (the server's default maximum post size).

import { chatTextAction } from './chat-text.js';

export const MATTERMOST_MAX_TEXT = 16_383;

export const mattermostAction = chatTextAction({
  type: 'mattermost',
  label: 'Mattermost',
  keys: ['channel', 'username', 'icon-url'],
  maxText: MATTERMOST_MAX_TEXT,
  payload: (text, _m, o) => ({
    text,
    ...(o.channel ? { channel: o.channel } : {}),
    ...(o.username ? { username: o.username } : {}),
    ...(o['icon-url'] ? { icon_url: o['icon-url'] } : {}),
  }),
});
