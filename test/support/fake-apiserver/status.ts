// `kind: Status` failure bodies, worded as the real apiserver words them.

import type { ResourceInfo } from './resources.js';

export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[] };
  code: number;
}

export class StatusError extends Error {
  constructor(public readonly status: Status) {
    super(status.message);
  }
}

function fail(code: number, reason: string, message: string, details?: Status['details']): StatusError {
  return new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code });
}

export const statusErrors = {
  notFound: (r: ResourceInfo, name: string) => fail(404, 'NotFound', `${r.resource}${r.group ? '.' + r.group : ''} "${name}" not found`, { name, group: r.group || undefined, kind: r.resource }),
  alreadyExists: (r: ResourceInfo, name: string) => fail(409, 'AlreadyExists', `${r.resource}${r.group ? '.' + r.group : ''} "${name}" already exists`, { name, group: r.group || undefined, kind: r.resource }),
  conflict: (r: ResourceInfo, name: string) => fail(409, 'Conflict',
    `Operation cannot be fulfilled on ${r.resource}${r.group ? '.' + r.group : ''} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, group: r.group || undefined, kind: r.resource }),
  invalid: (r: ResourceInfo, name: string, causes: StatusCause[]) => fail(422, 'Invalid',
    `${r.kind} "${name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`,
    { name, group: r.group || undefined, kind: r.kind, causes }),
  badRequest: (message: string) => fail(400, 'BadRequest', message),
  unauthorized: () => fail(401, 'Unauthorized', 'Unauthorized'),
  forbidden: (user: string, verb: string, r: ResourceInfo, namespace: string, name?: string) => fail(403, 'Forbidden',
    `${name ? `${r.resource}${r.group ? '.' + r.group : ''} "${name}"` : `${r.resource}${r.group ? '.' + r.group : ''}`} is forbidden: User "${user}" cannot ${verb} resource "${r.resource}" in API group "${r.group}" in the namespace "${namespace}"`,
    { name, group: r.group || undefined, kind: r.resource }),
  unsupportedMediaType: (contentType: string, accepted: string[]) => fail(415, 'UnsupportedMediaType',
    `the body of the request was in an unknown format (${contentType || 'none'}) - accepted media types include: ${accepted.join(', ')}`),
  methodNotAllowed: (method: string) => fail(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${method})`),
  notFoundPath: (path: string) => fail(404, 'NotFound', `the server could not find the requested resource (${path})`),
};
