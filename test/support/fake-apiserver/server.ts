// A faithful-enough Kubernetes apiserver for tests: real HTTPS on 127.0.0.1,
// reached by @kubernetes/client-node from a kubeconfig file exactly as in
// production. Serves get/list/create/update/patch/delete of namespaced
// objects with the apiserver's status codes and `kind: Status` bodies.

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allowAll, rbacAuthorizer, TokenAuthenticator, type Authorizer, type UserInfo, type Verb } from './auth.js';
import { jsonPatch, mergePatch, PATCH_TYPES, strategicMergePatch } from './patch.js';
import { apiVersionOf, findResource, RESOURCES, SUBRESOURCES, type ResourceInfo } from './resources.js';
import { matches, parseSelector, SelectorSyntaxError } from './selector.js';
import { StatusError, statusErrors } from './status.js';
import { ObjectStore, type KubeObject } from './store.js';
import { validateObject } from './validation.js';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
  user?: string;
  verb?: Verb;
  status: number;
  body?: unknown;
}

export interface FakeApiserverOptions {
  /** HTTPS with a throwaway CA (default) or plain HTTP. */
  tls?: boolean;
}

export interface FakeApiserver {
  url: string;
  store: ObjectStore;
  tokens: TokenAuthenticator;
  /** The token of the default user (`system:serviceaccount:hooker:hooker`). */
  token: string;
  authorizer: Authorizer;
  requests: RecordedRequest[];
  /** Text served by `pods/log`, keyed `namespace/pod` (tests play the kubelet). */
  podLogs: Map<string, string>;
  /** Runs before each authenticated request is served (tests use it to race writers). */
  beforeServe?: (req: RecordedRequest) => void;
  /** Stores an object as if created through the API (fills apiVersion/kind/uid/resourceVersion). */
  seed(resource: string, obj: Omit<KubeObject, 'metadata'> & { metadata: Partial<KubeObject['metadata']> & { name: string } }): KubeObject;
  /** Requests that changed something (not dry-run, successful, not GET). */
  mutations(): RecordedRequest[];
  /** Writes a kubeconfig for this server; returns its path. */
  writeKubeconfig(opts?: { token?: string; path?: string; namespace?: string }): string;
  close(): Promise<void>;
}

const JSON_TYPE = 'application/json';

export async function startFakeApiserver(opts: FakeApiserverOptions = {}): Promise<FakeApiserver> {
  const dir = mkdtempSync(join(tmpdir(), 'fake-apiserver-'));
  const tls = opts.tls !== false && makeCertificate(dir);
  const store = new ObjectStore();
  const tokens = new TokenAuthenticator();
  const token = randomBytes(16).toString('hex');
  tokens.addToken(token, { name: 'system:serviceaccount:hooker:hooker', groups: ['system:serviceaccounts', 'system:authenticated'] });
  const requests: RecordedRequest[] = [];

  const api: FakeApiserver = {
    url: '',
    store,
    tokens,
    token,
    authorizer: allowAll,
    podLogs: new Map(),
    requests,
    seed(resource, obj) {
      const r = RESOURCES.find((x) => x.resource === resource);
      if (!r) throw new Error(`unknown resource ${resource}`);
      const full = { ...obj, apiVersion: apiVersionOf(r), kind: r.kind, metadata: { namespace: 'default', ...obj.metadata } } as KubeObject;
      return store.write(resource, full);
    },
    mutations() {
      return requests.filter((r) => r.method !== 'GET' && r.status < 300 && r.query.dryRun === undefined);
    },
    writeKubeconfig(o = {}) {
      const path = o.path ?? join(dir, `kubeconfig-${randomBytes(4).toString('hex')}`);
      const cluster = tls ? `    certificate-authority-data: ${Buffer.from(tls.cert).toString('base64')}\n` : '';
      writeFileSync(path, [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: fake',
        '  cluster:',
        `    server: ${api.url}`,
        cluster.trimEnd(),
        'users:',
        '- name: hooker',
        '  user:',
        `    token: ${o.token ?? token}`,
        'contexts:',
        '- name: fake',
        '  context:',
        '    cluster: fake',
        '    user: hooker',
        `    namespace: ${o.namespace ?? 'default'}`,
        'current-context: fake',
        '',
      ].filter((l) => l !== '').join('\n') + '\n');
      return path;
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      rmSync(dir, { recursive: true, force: true });
    },
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const record: RecordedRequest = {
        method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams),
        contentType: req.headers['content-type'], status: 0,
      };
      requests.push(record);
      let status = 200;
      let body: unknown;
      let text = false;
      try {
        ({ status, body, text = false } = serve(api, req, url, Buffer.concat(chunks).toString('utf8'), record));
      } catch (e) {
        if (!(e instanceof StatusError)) throw e;
        status = e.status.code;
        body = e.status;
      }
      record.status = status;
      res.writeHead(status, { 'Content-Type': text ? 'text/plain' : JSON_TYPE });
      res.end(text ? String(body) : JSON.stringify(body));
    });
  };
  const server: Server = tls ? createHttpsServer({ key: tls.key, cert: tls.cert }, handler) : createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api.url = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return api;
}

function makeCertificate(dir: string): { key: string; cert: string } | false {
  const key = join(dir, 'tls.key');
  const cert = join(dir, 'tls.crt');
  const r = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
    '-days', '1', '-subj', '/CN=fake-apiserver', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ], { stdio: 'ignore' });
  if (r.status !== 0) {
    console.warn('fake-apiserver: openssl unavailable, serving plain HTTP');
    return false;
  }
  return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
}

interface Route {
  resource: ResourceInfo;
  namespace?: string;
  name?: string;
  subresource?: string;
}

// /api/v1/[namespaces/{ns}/]{resource}[/{name}] and /apis/{group}/{version}/...
function route(path: string): Route | undefined {
  const parts = path.split('/').filter(Boolean);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api') [group, version, rest] = ['', parts[1], parts.slice(2)];
  else if (parts[0] === 'apis') [group, version, rest] = [parts[1], parts[2], parts.slice(3)];
  else return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length < 1 || rest.length > 3) return undefined;
  const resource = findResource(group, version ?? '', rest[0]);
  if (rest.length === 3 && !(SUBRESOURCES[rest[0]] ?? []).includes(rest[2])) return undefined;
  return resource && { resource, namespace, name: rest[1], subresource: rest[2] };
}

function verbOf(method: string, named: boolean): Verb | undefined {
  switch (method) {
    case 'GET': return named ? 'get' : 'list';
    case 'POST': return named ? undefined : 'create';
    case 'PUT': return named ? 'update' : undefined;
    case 'PATCH': return named ? 'patch' : undefined;
    case 'DELETE': return named ? 'delete' : undefined;
    default: return undefined;
  }
}

function subresourceVerb(method: string, sub: string): Verb | undefined {
  if (sub === 'token') return method === 'POST' ? 'create' : undefined;
  if (sub === 'log') return method === 'GET' ? 'get' : undefined;
  // Since Kubernetes 1.30 exec needs `create` whatever the transport (WebSocket GET or SPDY POST).
  if (sub === 'exec') return method === 'GET' || method === 'POST' ? 'create' : undefined;
  return undefined;
}

function serve(api: FakeApiserver, req: IncomingMessage, url: URL, raw: string, record: RecordedRequest): { status: number; body: unknown; text?: boolean } {
  const user: UserInfo | undefined = api.tokens.authenticate(req.headers.authorization);
  if (!user) throw statusErrors.unauthorized();
  record.user = user.name;
  const r = route(url.pathname);
  if (!r) throw statusErrors.notFoundPath(url.pathname);
  const verb = r.subresource ? subresourceVerb(req.method ?? 'GET', r.subresource) : verbOf(req.method ?? 'GET', r.name !== undefined);
  if (!verb) throw statusErrors.methodNotAllowed(req.method ?? '');
  if (r.namespace === undefined && verb !== 'list') throw statusErrors.notFoundPath(url.pathname);
  record.verb = verb;
  api.beforeServe?.(record);
  const namespace = r.namespace ?? '';
  // Tokens the fake issued are authorized by RBAC over stored Roles/RoleBindings; others by `api.authorizer`.
  const authorize = api.tokens.isBound(req.headers.authorization) ? rbacAuthorizer((res, ns) => api.store.list(res, ns) as Array<Record<string, unknown>>) : api.authorizer;
  if (!authorize({ user, verb, resource: r.resource, namespace, name: r.name, subresource: r.subresource })) {
    const shown = r.subresource ? { ...r.resource, resource: `${r.resource.resource}/${r.subresource}` } : r.resource;
    throw statusErrors.forbidden(user.name, verb, shown, namespace, r.name);
  }
  if (r.subresource) return serveSubresource(api, r as Route & { subresource: string; name: string }, namespace, raw, record);
  const dryRunParam = url.searchParams.getAll('dryRun');
  if (dryRunParam.some((d) => d !== 'All')) throw statusErrors.badRequest(`Invalid dryRun value: ${dryRunParam.join(',')}; valid values are: All`);
  const persist = dryRunParam.length === 0;
  const { resource } = r;
  const store = api.store;

  const readBody = (accepted: string[]): unknown => {
    const ct = (req.headers['content-type'] ?? '').split(';')[0].trim();
    if (!accepted.includes(ct)) throw statusErrors.unsupportedMediaType(ct, accepted);
    try {
      const parsed = JSON.parse(raw) as unknown;
      record.body = parsed;
      return parsed;
    } catch (e) {
      throw statusErrors.badRequest(`error decoding body: ${(e as Error).message}`);
    }
  };
  const current = (): KubeObject => {
    const o = store.get(resource.resource, namespace, r.name!);
    if (!o) throw statusErrors.notFound(resource, r.name!);
    return o;
  };
  const validated = (obj: KubeObject): KubeObject => {
    const causes = validateObject(obj, resource.kind);
    if (causes.length) throw statusErrors.invalid(resource, String(obj.metadata?.name ?? ''), causes);
    return obj;
  };

  switch (verb) {
    case 'list': {
      let items = store.list(resource.resource, r.namespace);
      const ls = url.searchParams.get('labelSelector');
      if (ls) {
        let reqs;
        try { reqs = parseSelector(ls); } catch (e) {
          if (e instanceof SelectorSyntaxError) throw statusErrors.badRequest(`unable to parse requirement: ${e.message}`);
          throw e;
        }
        items = items.filter((o) => matches(reqs, o.metadata.labels));
      }
      const fs = url.searchParams.get('fieldSelector');
      if (fs) items = items.filter((o) => fieldSelectorMatches(fs, o));
      return {
        status: 200,
        body: {
          kind: `${resource.kind}List`, apiVersion: apiVersionOf(resource), metadata: { resourceVersion: store.currentResourceVersion() },
          // Real list responses omit kind/apiVersion on items.
          items: items.map(({ apiVersion: _a, kind: _k, ...rest }) => rest),
        },
      };
    }
    case 'get':
      return { status: 200, body: current() };
    case 'create': {
      const obj = readBody([JSON_TYPE]) as KubeObject;
      checkKindAndNamespace(obj, resource, namespace);
      obj.metadata = { ...obj.metadata, namespace };
      delete obj.metadata.resourceVersion;
      validated(obj);
      if (store.get(resource.resource, namespace, obj.metadata.name)) throw statusErrors.alreadyExists(resource, obj.metadata.name);
      return { status: 201, body: store.write(resource.resource, withTypeMeta(obj, resource), persist) };
    }
    case 'update': {
      const obj = readBody([JSON_TYPE]) as KubeObject;
      checkKindAndNamespace(obj, resource, namespace);
      if (obj.metadata?.name !== r.name) throw statusErrors.badRequest(`the name of the object (${obj.metadata?.name}) does not match the name on the URL (${r.name})`);
      const cur = current();
      if (obj.metadata.resourceVersion !== undefined && obj.metadata.resourceVersion !== cur.metadata.resourceVersion) throw statusErrors.conflict(resource, r.name);
      obj.metadata = { ...obj.metadata, namespace };
      return { status: 200, body: store.write(resource.resource, withTypeMeta(validated(obj), resource), persist) };
    }
    case 'patch': {
      const ct = (req.headers['content-type'] ?? '').split(';')[0].trim();
      const patch = readBody(Object.values(PATCH_TYPES));
      const cur = current();
      const patched = (ct === PATCH_TYPES.json ? jsonPatch(cur, patch)
        : ct === PATCH_TYPES.merge ? mergePatch(cur, patch)
          : strategicMergePatch(cur, patch)) as KubeObject;
      if (typeof patched !== 'object' || patched === null || typeof patched.metadata !== 'object') throw statusErrors.badRequest('patch produced an object without metadata');
      if (patched.metadata.name !== cur.metadata.name || patched.metadata.namespace !== cur.metadata.namespace || patched.metadata.uid !== cur.metadata.uid) {
        throw statusErrors.invalid(resource, r.name!, [{ reason: 'FieldValueInvalid', message: 'field is immutable', field: 'metadata' }]);
      }
      // A resourceVersion in the patch is a precondition (optimistic concurrency).
      if (patched.metadata.resourceVersion !== cur.metadata.resourceVersion) throw statusErrors.conflict(resource, r.name!);
      return { status: 200, body: store.write(resource.resource, withTypeMeta(validated(patched), resource), persist) };
    }
    case 'delete': {
      const cur = current();
      const options = raw.trim() ? readBody([JSON_TYPE]) as { preconditions?: { uid?: string; resourceVersion?: string } } : {};
      const pre = options.preconditions ?? {};
      if ((pre.uid && pre.uid !== cur.metadata.uid) || (pre.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion)) {
        const e = statusErrors.conflict(resource, r.name!);
        throw new StatusError({ ...e.status, message: `Operation cannot be fulfilled on ${resource.resource} "${r.name}": Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.metadata.uid}` });
      }
      if (persist) store.remove(resource.resource, namespace, r.name!);
      return { status: 200, body: { ...cur, metadata: { ...cur.metadata, deletionTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') } } };
    }
  }
}

function withTypeMeta(obj: KubeObject, r: ResourceInfo): KubeObject {
  return { ...obj, apiVersion: apiVersionOf(r), kind: r.kind };
}

function checkKindAndNamespace(obj: KubeObject, r: ResourceInfo, namespace: string): void {
  if (typeof obj !== 'object' || obj === null || typeof obj.metadata !== 'object' || obj.metadata === null) {
    throw statusErrors.invalid(r, '', [{ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' }]);
  }
  if (obj.kind !== undefined && obj.kind !== r.kind) throw statusErrors.badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersionOf(r)}) or kind ${obj.kind} is not ${r.kind}`);
  if (obj.metadata.namespace !== undefined && obj.metadata.namespace !== namespace) {
    throw statusErrors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
}

function fieldSelectorMatches(selector: string, obj: KubeObject): boolean {
  return selector.split(',').every((term) => {
    const m = /^([\w.]+)(==|=|!=)(.*)$/.exec(term.trim());
    if (!m) throw statusErrors.badRequest(`invalid field selector: ${term}`);
    const field = m[1];
    const actual = field === 'metadata.name' ? obj.metadata.name
      : field === 'metadata.namespace' ? obj.metadata.namespace
        : field === 'spec.nodeName' ? (obj.spec as { nodeName?: string } | undefined)?.nodeName ?? ''
          : field === 'status.phase' ? (obj.status as { phase?: string } | undefined)?.phase ?? ''
            : undefined;
    if (actual === undefined) throw statusErrors.badRequest(`"${field}" is not a known field selector: only "metadata.name", "metadata.namespace"`);
    return m[2] === '!=' ? actual !== m[3] : actual === m[3];
  });
}

const MIN_TOKEN_SECONDS = 600;

function serveSubresource(api: FakeApiserver, r: Route & { subresource: string; name: string }, namespace: string, raw: string, record: RecordedRequest): { status: number; body: unknown; text?: boolean } {
  const parent = api.store.get(r.resource.resource, namespace, r.name);
  if (!parent) throw statusErrors.notFound(r.resource, r.name);
  switch (r.subresource) {
    case 'token': {
      let tr: { spec?: { expirationSeconds?: number; audiences?: string[] } };
      try { tr = JSON.parse(raw || '{}') as typeof tr; } catch (e) { throw statusErrors.badRequest(`error decoding body: ${(e as Error).message}`); }
      record.body = tr;
      const seconds = tr.spec?.expirationSeconds ?? 3600;
      if (seconds < MIN_TOKEN_SECONDS) {
        throw statusErrors.invalid({ resource: 'serviceaccounts', group: '', version: 'v1', kind: 'TokenRequest' }, r.name, [{ reason: 'FieldValueInvalid', message: 'Invalid value: may not specify a duration less than 10 minutes', field: 'spec.expirationSeconds' }]);
      }
      const token = randomBytes(24).toString('base64url');
      const uid = parent.metadata.uid;
      const expires = Date.now() + seconds * 1000;
      // Bound tokens die with their ServiceAccount (same uid) or at expiry.
      api.tokens.addBoundToken(token, { name: `system:serviceaccount:${namespace}:${r.name}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'] },
        () => Date.now() < expires && api.store.get('serviceaccounts', namespace, r.name)?.metadata.uid === uid);
      return {
        status: 201,
        body: {
          kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1', metadata: { name: r.name, namespace, creationTimestamp: null },
          spec: { audiences: tr.spec?.audiences?.length ? tr.spec.audiences : ['https://kubernetes.default.svc'], expirationSeconds: seconds, boundObjectRef: null },
          status: { token, expirationTimestamp: new Date(expires).toISOString().replace(/\.\d+Z$/, 'Z') },
        },
      };
    }
    case 'log': {
      const log = api.podLogs.get(`${namespace}/${r.name}`);
      if (log === undefined) throw statusErrors.badRequest(`container in pod "${r.name}" is waiting to start`);
      return { status: 200, body: log, text: true };
    }
    default:
      // A plain request cannot open a stream: the real apiserver answers exactly this after authorizing.
      throw statusErrors.badRequest('Upgrade request required');
  }
}
