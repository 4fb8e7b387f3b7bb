// Keys and helpers shared by the HTTP-based outputs.

import type { ActionConfigReader } from '../action-config.js';
import { DEFAULT_OUTPUT_TIMEOUT_MS, basicAuth } from './http-output.js';

/** `timeout` and `tls-verify`, keys of every HTTP-based output. */
export const HTTP_OUTPUT_KEYS = ['timeout', 'tls-verify'] as const;

export function httpOptions(r: ActionConfigReader, tlsVerifyDefault = true): { timeoutMs: number; tlsVerify: boolean } {
  return { timeoutMs: r.timeout('timeout', DEFAULT_OUTPUT_TIMEOUT_MS), tlsVerify: r.bool('tls-verify', tlsVerifyDefault) };
}

/** Base URL without trailing slashes. */
export function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** Keys of the optional HTTP auth of self-hosted services (behind a proxy or gateway). */
export const HTTP_AUTH_KEYS = ['user', 'password', 'token'] as const;

/**
 * `user` + `password` (Basic) or `token` (Bearer), as an Authorization
 * header value; undefined when neither is given.
 */
export function httpAuth(r: ActionConfigReader): string | undefined {
  const user = r.string('user');
  const password = r.secret('password');
  const token = r.secret('token');
  if (user && password === undefined) r.problem('password', '"password" is required with "user"');
  if (token && user) r.problem('token', 'give either user/password or token, not both');
  return token ? `Bearer ${token}` : user ? basicAuth(user, password ?? '') : undefined;
}

/** Label maps of Prometheus-style systems (Alertmanager, Loki). */
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function labelMap(r: ActionConfigReader, key: string): Record<string, string> {
  const labels = r.stringMap(key);
  for (const k of Object.keys(labels)) if (!LABEL_NAME.test(k)) r.problem(`${key}.${k}`, `"${k}" is not a valid label name`);
  return labels;
}
