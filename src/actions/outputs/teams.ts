// `teams`: Microsoft Teams, through an incoming webhook or a Workflows
// ("When a Teams webhook request is received") URL. Both take a message with
// an Adaptive Card attachment. Teams refuses payloads over about 28 KB, so
// the text is cut to fit with a line saying how much was left out. Legacy
// connectors answer 200 with an error text when they drop a message.

import type { RenderedMessage } from '../types.js';
import { webhookOutput } from './webhook-output.js';
import { htmlToText, truncationNotice } from './message-text.js';

export const TEAMS_MAX_PAYLOAD_BYTES = 28_000;

function card(title: string, text: string, url?: string): Record<string, unknown> {
  return {
    type: 'message',
    attachments: [{
      contentType: 'application/vnd.microsoft.card.adaptive',
      contentUrl: null,
      content: {
        $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
        type: 'AdaptiveCard',
        version: '1.4',
        msteams: { width: 'Full' },
        body: [
          ...(title ? [{ type: 'TextBlock', text: title, weight: 'Bolder', size: 'Medium', wrap: true }] : []),
          { type: 'TextBlock', text, wrap: true },
        ],
        ...(url ? { actions: [{ type: 'Action.OpenUrl', title: 'Open', url }] } : {}),
      },
    }],
  };
}

/** The card, its text cut so the whole payload stays under the limit. */
export function teamsPayload(m: RenderedMessage, limit = TEAMS_MAX_PAYLOAD_BYTES): string {
  const title = m.title.trim();
  const text = htmlToText(m.body);
  let payload = JSON.stringify(card(title, text, m.url));
  if (Buffer.byteLength(payload) <= limit) return payload;
  // Cut by the overshoot (in bytes of JSON), then tighten until it fits.
  let keep = text.length;
  for (;;) {
    const over = Buffer.byteLength(payload) - limit;
    keep = Math.max(0, keep - Math.max(over, 64));
    const cut = `${text.slice(0, keep)}\n\n${truncationNotice(text.length - keep, 'characters', m.url)}`;
    payload = JSON.stringify(card(title, cut, m.url));
    if (Buffer.byteLength(payload) <= limit || keep === 0) return payload;
  }
}

export const teamsAction = webhookOutput({
  type: 'teams',
  label: 'Teams',
  keys: [],
  payload: (m) => teamsPayload(m),
  // Legacy connectors answer 200 "Webhook message delivery failed with error: ...".
  bodyError: (body) => (/delivery failed/i.test(body) ? body.slice(0, 300) : undefined),
});
