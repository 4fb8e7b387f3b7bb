// JSON schemas of the scan API: Fastify validates requests with them and the
// OpenAPI document is generated from the very same objects.

const ref = (name: string): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });

export const targetSchema = {
  type: 'object',
  description: 'Exactly one of image, pod, url.',
  properties: {
    // The full grammars (src/scan/target-check.ts) are checked when the scan is queued;
    // the patterns keep the published schema honest: never an option, only http(s).
    image: { type: 'string', minLength: 1, maxLength: 512, pattern: '^[A-Za-z0-9\\[]' },
    url: { type: 'string', minLength: 1, maxLength: 2048, pattern: '^[hH][tT][tT][pP][sS]?://' },
    pod: {
      type: 'object',
      properties: {
        namespace: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 },
        name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', maxLength: 253 },
        container: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 },
      },
      required: ['namespace', 'name'],
      additionalProperties: false,
    },
  },
  minProperties: 1,
  maxProperties: 1,
  additionalProperties: false,
} as const;

export const createScanSchema = {
  type: 'object',
  properties: {
    scanner: { type: 'string', minLength: 1, maxLength: 128 },
    target: targetSchema,
    profile: { type: 'string', minLength: 1, maxLength: 128 },
    threshold: { type: 'string', minLength: 1, maxLength: 128 },
    timeout_seconds: { type: 'integer', minimum: 1, maximum: 86_400 },
  },
  required: ['scanner', 'target'],
  additionalProperties: false,
} as const;

export const scanIdParams = {
  type: 'object',
  properties: { id: { type: 'string', pattern: '^[0-9a-f-]{36}$' } },
  required: ['id'],
} as const;

export const acceptedSchema = {
  type: 'object',
  properties: { id: { type: 'string' }, state: { type: 'string' }, deduplicated: { type: 'boolean' } },
  required: ['id', 'state', 'deduplicated'],
} as const;

const time = { type: ['string', 'null'], format: 'date-time' } as const;
export const scanStatusSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    state: { type: 'string', enum: ['queued', 'running', 'passed', 'failed', 'error'] },
    scanner: { type: 'string' },
    target: targetSchema,
    profile: { type: ['string', 'null'] },
    threshold: { type: ['string', 'null'] },
    error: { type: ['string', 'null'] },
    created_at: time,
    started_at: time,
    finished_at: time,
  },
  required: ['id', 'state', 'scanner', 'created_at'],
} as const;

export const findingSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, title: { type: 'string' }, severity: { type: 'string' }, status: { type: 'string' }, vulnerability: { type: 'boolean' },
    package: { type: 'string' }, installedVersion: { type: 'string' }, fixedVersion: { type: 'string' }, resource: { type: 'string' }, impact: { type: 'number' },
  },
} as const;

export const resultsSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    state: { type: 'string' },
    format: { type: 'string' },
    artifact: { type: ['string', 'null'] },
    findings: { type: 'array', items: findingSchema },
    threshold: {
      type: ['object', 'null'],
      properties: {
        name: { type: 'string' }, passed: { type: 'boolean' }, compliance: { type: 'number' },
        broken: { type: 'array', items: { type: 'object', properties: { limit: { type: 'string' }, actual: { type: 'number' }, allowed: { type: 'number' } } } },
        counts: { type: 'object', additionalProperties: true },
      },
    },
    report: {},
  },
  required: ['id', 'state', 'findings', 'report'],
} as const;

export const profileListSchema = {
  type: 'object',
  properties: { profiles: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, ref: { type: 'string' }, description: { type: 'string' } } } } },
} as const;

export const thresholdListSchema = {
  type: 'object',
  properties: { thresholds: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, threshold: { type: 'object', additionalProperties: true } } } } },
} as const;

export const errorSchema = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' } },
  required: ['error', 'message'],
} as const;

const SCHEMAS = { Target: targetSchema, CreateScan: createScanSchema, Accepted: acceptedSchema, ScanStatus: scanStatusSchema, Finding: findingSchema, Results: resultsSchema, Profiles: profileListSchema, Thresholds: thresholdListSchema, Error: errorSchema };

const json = (schema: unknown): unknown => ({ content: { 'application/json': { schema } } });
const errors = (...codes: number[]): Record<string, unknown> => Object.fromEntries(codes.map((c) => [String(c), { description: { 400: 'Invalid request (the message names the field)', 401: 'Missing or unknown bearer token', 403: 'Token lacks the scope', 404: 'No such scan', 409: 'Results not available yet' }[c], ...json(ref('Error')) as object }]));

/** The OpenAPI 3.1 document, built from the schemas the routes validate with. */
export function openApiDocument(serverUrl?: string): Record<string, unknown> {
  const read = [{ bearer: ['scans:read'] }];
  const write = [{ bearer: ['scans:write'] }];
  const idParam = [{ name: 'id', in: 'path', required: true, schema: scanIdParams.properties.id }];
  return {
    openapi: '3.1.0',
    info: { title: 'Hooker scan API', version: '1' },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    components: {
      schemas: SCHEMAS,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Tokens carry scopes scans:read and/or scans:write' } },
    },
    paths: {
      '/api/v1/scans': { post: { summary: 'Queue a scan', security: write, requestBody: { required: true, ...json(ref('CreateScan')) as object }, responses: { 202: { description: 'Queued (or already queued for this target)', ...json(ref('Accepted')) as object }, ...errors(400, 401, 403) } } },
      '/api/v1/scans/{id}': { get: { summary: 'Scan status', security: read, parameters: idParam, responses: { 200: { description: 'Status and timestamps', ...json(ref('ScanStatus')) as object }, ...errors(400, 401, 403, 404) } } },
      '/api/v1/scans/{id}/results': { get: { summary: 'Normalized findings, threshold result and raw report', security: read, parameters: idParam, responses: { 200: { description: 'Results', ...json(ref('Results')) as object }, ...errors(400, 401, 403, 404, 409) } } },
      '/api/v1/profiles': { get: { summary: 'Configured profiles', security: read, responses: { 200: { description: 'Profiles', ...json(ref('Profiles')) as object }, ...errors(401, 403) } } },
      '/api/v1/thresholds': { get: { summary: 'Configured thresholds', security: read, responses: { 200: { description: 'Thresholds', ...json(ref('Thresholds')) as object }, ...errors(401, 403) } } },
    },
  };
}
