// Several rendered messages as one, for aggregating routes whose template has
// no aggregation package: Slack-style block arrays are concatenated, other
// JSON becomes an array, text is joined with a blank line.

import type { RenderedMessage } from '../actions/types.js';
import { parseJson, stringifyJson } from '../json/lossless.js';

function parse(body: string): { json: unknown } | undefined {
  try { return { json: parseJson(body) }; } catch { return undefined; }
}

export function combineMessages(messages: RenderedMessage[]): RenderedMessage {
  const titles = [...new Set(messages.map((m) => m.title))];
  const title = titles.length === 1 ? titles[0]! : `${messages.length} messages: ${titles.join('; ')}`;
  const parsed = messages.map((m) => parse(m.body));
  let body: string;
  if (parsed.every((p) => p && Array.isArray(p.json))) body = stringifyJson(parsed.flatMap((p) => p!.json as unknown[]))!;
  else if (parsed.every((p) => p !== undefined)) body = stringifyJson(parsed.map((p) => p!.json))!;
  else body = messages.map((m) => m.body).join('\n\n');
  const url = messages.find((m) => m.url)?.url;
  return { title, body, ...(url ? { url } : {}) };
}
