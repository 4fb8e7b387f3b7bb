// `googlechat`: a Google Chat space webhook (the URL carries key and token).
// Text messages are limited to 4,096 characters; `*bold*` is Chat's markup.

import { chatText, webhookOutput } from './webhook-output.js';

export const GOOGLECHAT_MAX_TEXT = 4_096;

export const googlechatAction = webhookOutput({
  type: 'googlechat',
  label: 'Google Chat',
  keys: ['thread-key'],
  payload: (m, o) => JSON.stringify({ text: chatText(m, GOOGLECHAT_MAX_TEXT, (s) => `*${s}*`), ...(o['thread-key'] ? { thread: { threadKey: o['thread-key'] } } : {}) }),
});
