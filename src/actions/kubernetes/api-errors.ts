// Turns client-node failures into delivery wording and retry decisions.

import { kubernetesClient } from '../../lazy-libraries.js';

export interface ApiFailure {
  /** HTTP status, or undefined when the apiserver was not reached. */
  code?: number;
  reason?: string;
  message: string;
  retryable: boolean;
}

export function apiFailure(e: unknown): ApiFailure {
  if (e instanceof kubernetesClient().ApiException) {
    const code = e.code;
    let reason: string | undefined;
    let message = `HTTP ${code}`;
    const body: unknown = e.body;
    try {
      const status = (typeof body === 'string' ? JSON.parse(body) : body) as { kind?: string; message?: string; reason?: string } | undefined;
      if (status?.kind === 'Status') {
        reason = status.reason;
        message = `${status.reason ?? code}: ${status.message ?? ''}`;
      }
    } catch { /* not JSON: keep the code */ }
    if (code === 401) message = 'Unauthorized: the apiserver rejected our credentials';
    // Conflicts, throttling and server-side trouble pass; the rest are ours to fix.
    return { code, reason, message, retryable: code === 409 || code === 429 || code >= 500 };
  }
  return { message: e instanceof Error ? e.message : String(e), retryable: true };
}

export function isStatus(e: unknown, code: number): boolean {
  return e instanceof kubernetesClient().ApiException && e.code === code;
}
