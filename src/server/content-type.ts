// Which request bodies are events: JSON under any JSON media type (with
// parameters such as charset=utf-8, as Falcosidekick and many Java and .NET
// clients send), and text/plain that holds JSON (Falco's http output).

export const ACCEPTED_CONTENT_TYPES = 'application/json or application/<type>+json (parameters such as charset=utf-8 are fine), or text/plain holding JSON, in UTF-8';

export type BodyKind = 'json' | 'text';

const UTF8_CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii']);

type Verdict = { kind: BodyKind } | { refused: string };

/**
 * Verdicts by header text: senders repeat one or two Content-Type values, and
 * each request asks twice (before its body is read, then in the parser).
 * Bounded, as the headers come from outside.
 */
const known = new Map<string, Verdict>();
const KNOWN_MAX = 64;

/** The kind of body a Content-Type header announces, or why it is refused. */
export function bodyKindOf(header: string | undefined): Verdict {
  if (header === undefined) return { refused: 'no content type' };
  let v = known.get(header);
  if (v === undefined) {
    v = judge(header);
    if (known.size >= KNOWN_MAX) known.clear();
    known.set(header, v);
  }
  return v;
}

function judge(header: string): Verdict {
  if (header.trim() === '') return { refused: 'no content type' };
  const [essence = '', ...params] = header.split(';');
  const type = essence.trim().toLowerCase();
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    const name = p.slice(0, eq).trim().toLowerCase();
    const value = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1').toLowerCase();
    if (name === 'charset' && !UTF8_CHARSETS.has(value)) return { refused: `charset ${value}` };
  }
  if (type === 'application/json' || /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(type)) return { kind: 'json' };
  if (type === 'text/plain') return { kind: 'text' };
  return { refused: `content type "${header}"` };
}
