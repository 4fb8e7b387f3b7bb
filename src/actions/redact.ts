// Scrubs secrets from text that leaves an action (delivery details, logs,
// errors): the values themselves and the forms they travel in (URL-encoded,
// HTTP Basic credentials).

const MIN_SECRET_LENGTH = 4;
export const REDACTED = '[redacted]';

function forms(secret: string): string[] {
  const out = new Set<string>([secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')]);
  return [...out].filter((s) => s.length >= MIN_SECRET_LENGTH);
}

/** A function replacing every occurrence of the secrets (and their encodings) in a text. */
export function redactor(secrets: readonly string[]): (text: string) => string {
  const all = [...new Set(secrets.flatMap(forms))].sort((a, b) => b.length - a.length);
  if (all.length === 0) return (t) => t;
  return (text) => {
    let out = text;
    for (const s of all) if (out.includes(s)) out = out.split(s).join(REDACTED);
    return out;
  };
}

/** A URL as it may be shown: scheme, host and port only (webhook URLs carry their token in the path or query). */
export function publicUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return '(invalid URL)';
  }
}
