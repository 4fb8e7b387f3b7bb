// Turning a rendered message into what chat services display: plain text
// from HTML templates, and the one truncation notice every output uses when a
// service's size limit cuts a message ("… N characters left out; full
// message: <url>").

import type { RenderedMessage } from '../types.js';

/** HTML (Postee's html templates) -> readable text with line breaks. */
export function htmlToText(html: string): string {
  if (!/<[a-z][^>]*>/i.test(html)) return html;
  return html
    .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|h[1-6]|tr|li|table)>/gi, '\n')
    .replace(/<\/t[dh]>/gi, '\t')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The line that replaces what a size limit cut off. */
export function truncationNotice(leftOut: number, unit: string, url?: string): string {
  return `… ${leftOut} ${unit} left out (size limit)${url ? `; full message: ${url}` : ''}`;
}

/** Cuts `text` to `max` characters including the notice. */
export function truncateText(text: string, max: number, url?: string): string {
  if (text.length <= max) return text;
  // The notice's own length depends on the count; two passes settle it.
  let keep = max - truncationNotice(text.length, 'characters', url).length - 1;
  keep = Math.max(0, keep);
  return `${text.slice(0, keep)}\n${truncationNotice(text.length - keep, 'characters', url)}`;
}

/** Text of a message for services that show plain text: title, body (HTML stripped). */
export function plainText(m: RenderedMessage): { title: string; text: string } {
  return { title: m.title, text: htmlToText(m.body) };
}

/** Splits text into chunks of at most `size` characters, preferring line breaks. */
export function chunkText(text: string, size: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > size) {
    let cut = rest.lastIndexOf('\n', size);
    if (cut < size / 2) cut = size;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^\n/, '');
  }
  if (rest.length || out.length === 0) out.push(rest);
  return out;
}
