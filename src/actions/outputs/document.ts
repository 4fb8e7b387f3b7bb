// The rendered message as a JSON document, for outputs that index or attach
// structured data (Splunk, Elasticsearch, Loki, PagerDuty details...): the
// template's result when it is a JSON object, else {title, message}.

import type { RenderedMessage } from '../types.js';
import { jsonOf } from './http-output.js';

export function messageDocument(m: RenderedMessage): Record<string, unknown> {
  const parsed = jsonOf(m.body);
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  if (parsed !== undefined) return { title: m.title, message: parsed };
  return { title: m.title, message: m.body, ...(m.url ? { url: m.url } : {}) };
}
