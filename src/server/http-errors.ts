// Every error answer of the HTTP layer comes from one table: the error (by
// class or Fastify code) gives the status, the reason counted in
// hooker_events_rejected_total for ingest routes, and the message, which
// always says what to change. Surfaces throw; none writes its own error body.

import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { JsonBodyError } from './json-body.js';
import { ACCEPTED_CONTENT_TYPES } from './content-type.js';
import { redactSecrets } from '../logging/redact.js';

export class HttpError extends Error {
  constructor(readonly statusCode: number, message: string, readonly reason: string, readonly headers: Record<string, string> = {}) { super(message); }
}

export interface ErrorContext {
  maxBody: number;
}

export interface ErrorAnswer {
  status: number;
  reason: string;
  message: string;
  headers?: Record<string, string>;
  field?: string;
}

type AnyError = FastifyError & { reason?: string };

interface Rule {
  when(err: AnyError): boolean;
  answer(err: AnyError, req: FastifyRequest, ctx: ErrorContext): ErrorAnswer;
}

/** `/target/pod/name` or the missing property -> `target.pod.name` (prefixed with the part of the request). */
function validationField(err: AnyError): string {
  const first = err.validation?.[0] as { instancePath?: string; params?: Record<string, unknown> } | undefined;
  const parts = (first?.instancePath ?? '').split('/').filter(Boolean);
  const extra = first?.params?.['missingProperty'] ?? first?.params?.['additionalProperty'];
  if (typeof extra === 'string') parts.push(extra);
  const where = err.validationContext && err.validationContext !== 'body' ? `${err.validationContext}.` : '';
  return `${where}${parts.join('.') || err.validationContext || 'body'}`;
}

function validationMessage(err: AnyError): string {
  const first = err.validation?.[0] as { message?: string; params?: Record<string, unknown> } | undefined;
  const allowed = first?.params?.['allowedValues'];
  if (Array.isArray(allowed)) return `must be one of ${allowed.filter((v) => v !== '').join(', ')}`;
  return first?.message ?? 'is invalid';
}

export const ERROR_TABLE: readonly Rule[] = [
  {
    when: (e) => e instanceof HttpError,
    answer: (e) => { const h = e as unknown as HttpError; return { status: h.statusCode, reason: h.reason, message: h.message, headers: h.headers }; },
  },
  { when: (e) => e instanceof JsonBodyError, answer: (e) => ({ status: 400, reason: (e as JsonBodyError).reason, message: e.message }) },
  {
    when: (e) => e.code === 'FST_ERR_CTP_BODY_TOO_LARGE',
    answer: (_e, _r, ctx) => ({ status: 413, reason: 'too_large', message: `request body is larger than ${ctx.maxBody} bytes (HOOKER_MAX_BODY)` }),
  },
  {
    when: (e) => e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
    answer: (_e, req) => ({ status: 415, reason: 'content_type', message: `unsupported content type "${req.headers['content-type'] ?? '(none)'}": send ${ACCEPTED_CONTENT_TYPES}` }),
  },
  {
    when: (e) => Array.isArray(e.validation),
    answer: (e) => { const field = validationField(e); return { status: 400, reason: 'bad_request', field, message: `${field}: ${validationMessage(e)}` }; },
  },
  {
    when: (e) => typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500,
    answer: (e) => ({ status: e.statusCode!, reason: 'bad_request', message: e.message }),
  },
];

export function answerFor(err: AnyError, req: FastifyRequest, ctx: ErrorContext): ErrorAnswer {
  for (const rule of ERROR_TABLE) if (rule.when(err)) return rule.answer(err, req, ctx);
  return { status: 500, reason: 'error', message: `${err.message || 'internal error'} (request ${req.id}; see the server log)` };
}

export function statusText(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

/** Sends the JSON error body every endpoint answers with. */
export function sendError(reply: FastifyReply, a: ErrorAnswer): FastifyReply {
  for (const [k, v] of Object.entries(a.headers ?? {})) void reply.header(k, v);
  return reply.status(a.status).type('application/json').send({ error: statusText(a.status), message: redactSecrets(a.message), ...(a.field ? { field: a.field } : {}) });
}
