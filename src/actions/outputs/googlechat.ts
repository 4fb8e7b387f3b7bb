// `googlechat`: a Google Chat space webhook (the URL carries key and token).
// Text messages are limited to 4,096 characters; `*bold*` is Chat's markup.

import { chatTextAction } from './chat-text.js';

export const GOOGLECHAT_MAX_TEXT = 4_096;

export const googlechatAction = chatTextAction({
  type: 'googlechat',
  label: 'Google Chat',
  keys: ['thread-key'],
  maxText: GOOGLECHAT_MAX_TEXT,
  payload: (text, _m, o) => ({ text, ...(o['thread-key'] ? { thread: { threadKey: o['thread-key'] } } : {}) }),
});
