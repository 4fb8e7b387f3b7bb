// `$NAME` / `${NAME}` / `${NAME:-default}` in cfg.yaml values come from the
// environment, as in Postee, whole values and inside longer strings alike
// (`Authorization: Bearer $TOKEN`, `https://${HOST}/hook`); `$$` is a
// literal `$`. `NAME_FILE` is read when NAME is unset (secret-env.ts).
// Scripts and Rego keep their own `$` text, so those keys are never touched.

import { envReferenceValue } from './secret-env.js';

export const VERBATIM_KEYS = new Set(['exec-script', 'body-content', 'input', 'body']);

const NAME = '[A-Za-z_][A-Za-z0-9_]*';
const REFERENCE = new RegExp(`\\$(?:\\$|\\{(${NAME})(?::-([^}]*))?\\}|(${NAME}))`, 'g');

export interface EnvReference {
  name: string;
  /** From `${NAME:-default}`: used when NAME is unset or empty. */
  fallback?: string;
}

/** The variable a value names when the whole value is `$NAME`/`${NAME}`/`${NAME:-default}`. */
export function envReference(value: unknown): EnvReference | undefined {
  if (typeof value !== 'string') return undefined;
  const m = new RegExp(`^${REFERENCE.source}$`).exec(value.trim());
  if (!m || m[0] === '$$') return undefined;
  return m[3] !== undefined ? { name: m[3] } : { name: m[1]!, fallback: m[2] };
}

/**
 * Replaces every reference in `text`. A variable that is unset (or empty)
 * without a default becomes the empty string and is listed in `unset`; an
 * unreadable NAME_FILE is listed in `errors`. A `$` not followed by a name,
 * `{` or `$` stays as it is.
 */
export function substituteEnv(text: string, env: NodeJS.ProcessEnv): { text: string; unset: string[]; errors: string[] } {
  const unset: string[] = [];
  const errors: string[] = [];
  const out = text.replace(REFERENCE, (whole, braced: string | undefined, fallback: string | undefined, bare: string | undefined) => {
    if (whole === '$$') return '$';
    const name = (braced ?? bare)!;
    const got = envReferenceValue(name, env);
    if ('error' in got) { errors.push(got.error); return ''; }
    if (got.value !== undefined && got.value !== '') return got.value;
    if (fallback !== undefined) return fallback;
    if (got.value === undefined) unset.push(name);
    return '';
  });
  return { text: out, unset, errors };
}
