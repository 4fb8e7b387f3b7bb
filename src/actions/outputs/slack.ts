// `slack`: a Slack incoming webhook (`url`). Postee's slack templates yield a
// list of Block Kit blocks (with or without the brackets, often with a
// trailing comma); any other template's text becomes mrkdwn sections. Slack
// refuses more than 50 blocks or a section text over 3,000 characters, so
// the message is cut to fit with a last block saying how much was left out
// and linking to the full message when the template gives a URL.

import type { RenderedMessage } from '../types.js';
import { jsonOf } from './http-output.js';
import { webhookOutput } from './webhook-output.js';
import { chunkText, htmlToText, truncateText, truncationNotice } from './message-text.js';

export const SLACK_MAX_BLOCKS = 50;
export const SLACK_MAX_SECTION_TEXT = 3_000;
export const SLACK_MAX_HEADER_TEXT = 150;
const SLACK_MAX_FIELD_TEXT = 2_000;

type Block = Record<string, unknown>;

/** Postee's block lists: `[...]`, or `{...},{...},` without brackets. */
function templateBlocks(body: string): Block[] | undefined {
  const t = body.trim().replace(/,\s*$/, '');
  if (!t.startsWith('{') && !t.startsWith('[')) return undefined;
  const parsed = jsonOf(t.startsWith('[') ? t : `[${t}]`);
  if (Array.isArray(parsed) && parsed.every((b) => b !== null && typeof b === 'object' && typeof (b as Block).type === 'string')) return parsed as Block[];
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && Array.isArray((parsed as Block).blocks)) return (parsed as { blocks: Block[] }).blocks;
  return undefined;
}

function fitText(obj: unknown, max: number, url?: string): void {
  if (obj && typeof obj === 'object' && typeof (obj as Block).text === 'string') {
    (obj as Block).text = truncateText((obj as Block).text as string, max, url);
  }
}

/** The blocks Slack will accept for a message. */
export function slackBlocks(m: RenderedMessage): Block[] {
  const blocks: Block[] = [];
  if (m.title.trim()) {
    blocks.push({ type: 'header', text: { type: 'plain_text', text: truncateText(m.title.trim(), SLACK_MAX_HEADER_TEXT), emoji: true } });
  }
  const fromTemplate = templateBlocks(m.body);
  if (fromTemplate) blocks.push(...fromTemplate.map((b) => structuredClone(b)));
  else {
    for (const chunk of chunkText(htmlToText(m.body), SLACK_MAX_SECTION_TEXT)) {
      if (chunk.trim()) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: chunk } });
    }
  }
  for (const b of blocks) {
    if (b.type === 'section') {
      fitText(b.text, SLACK_MAX_SECTION_TEXT, m.url);
      if (Array.isArray(b.fields)) for (const f of b.fields) fitText(f, SLACK_MAX_FIELD_TEXT, m.url);
    } else if (b.type === 'header') fitText(b.text, SLACK_MAX_HEADER_TEXT);
  }
  if (blocks.length > SLACK_MAX_BLOCKS) {
    const kept = blocks.slice(0, SLACK_MAX_BLOCKS - 1);
    const leftOut = blocks.length - kept.length;
    kept.push({ type: 'section', text: { type: 'mrkdwn', text: truncationNotice(leftOut, 'blocks', m.url) } });
    return kept;
  }
  return blocks;
}

export function slackPayload(m: RenderedMessage): { text: string; blocks: Block[] } {
  const fallback = m.title.trim() || htmlToText(m.body).slice(0, 200);
  return { text: fallback, blocks: slackBlocks(m) };
}

export const slackAction = webhookOutput({
  type: 'slack',
  label: 'Slack',
  keys: [],
  payload: (m) => JSON.stringify(slackPayload(m)),
});
