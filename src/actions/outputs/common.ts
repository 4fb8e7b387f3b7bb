// Keys and helpers shared by the HTTP-based outputs.

import type { ActionConfigReader } from '../action-config.js';
import { DEFAULT_OUTPUT_TIMEOUT_MS } from './http-output.js';

/** `timeout` and `tls-verify`, keys of every HTTP-based output. */
export const HTTP_OUTPUT_KEYS = ['timeout', 'tls-verify'] as const;

export function httpOptions(r: ActionConfigReader, tlsVerifyDefault = true): { timeoutMs: number; tlsVerify: boolean } {
  return { timeoutMs: r.timeout('timeout', DEFAULT_OUTPUT_TIMEOUT_MS), tlsVerify: r.bool('tls-verify', tlsVerifyDefault) };
}

/** Base URL without trailing slashes. */
export function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
