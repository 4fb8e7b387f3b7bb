// Kubernetes' rules for label keys and values, and Hooker's one rule for
// turning an event value into a label value Kubernetes accepts.
//
// THE RULE (documented in deploy/kubernetes/README.md): every character
// other than A-Z a-z 0-9 - _ . becomes '-'; leading and trailing characters
// that are not alphanumeric are dropped; a result longer than 63 characters
// keeps its first 54 characters (trailing non-alphanumerics dropped again)
// followed by '-' and the first 8 hex digits of the SHA-256 of the original
// value, so different long values stay different. A value that is empty
// after this (e.g. "///") fails the delivery.

import { createHash } from 'node:crypto';

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
export const MAX_LABEL_VALUE = 63;

/** Why `key` is not a valid label/annotation key, or undefined when it is. */
export function qualifiedNameProblem(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return `'${key}' has more than one '/'`;
  const name = parts.length === 2 ? parts[1] : key;
  if (parts.length === 2 && (parts[0].length === 0 || parts[0].length > 253 || !DNS1123_SUBDOMAIN.test(parts[0]))) {
    return `prefix of '${key}' must be a lowercase DNS subdomain`;
  }
  if (name.length === 0 || name.length > 63) return `name part of '${key}' must be 1 to 63 characters`;
  if (!NAME.test(name)) return `name part of '${key}' must consist of alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric`;
  return undefined;
}

export function labelValueProblem(value: string): string | undefined {
  if (value.length > MAX_LABEL_VALUE) return `'${value.slice(0, 20)}...' is longer than ${MAX_LABEL_VALUE} characters`;
  if (!LABEL_VALUE.test(value)) return `'${value}' must consist of alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric`;
  return undefined;
}

export function isDnsLabel(name: string): boolean {
  return name.length <= 63 && DNS1123_LABEL.test(name);
}

const trimEnds = (s: string): string => s.replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '');

/** Applies THE RULE; returns undefined when nothing valid is left. */
export function toLabelValue(value: string): string | undefined {
  if (labelValueProblem(value) === undefined) return value;
  let out = trimEnds(value.replace(/[^A-Za-z0-9_.-]/g, '-'));
  if (out.length > MAX_LABEL_VALUE) {
    const digest = createHash('sha256').update(value).digest('hex').slice(0, 8);
    out = `${trimEnds(out.slice(0, 54))}-${digest}`;
  }
  return out === '' ? undefined : out;
}
