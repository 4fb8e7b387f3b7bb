// Authentication (bearer tokens) and authorization. Authorization is a
// pluggable function over request attributes so RBAC evaluation over the
// stored Roles/RoleBindings can replace the default later.

import type { ResourceInfo } from './resources.js';

export type Verb = 'get' | 'list' | 'create' | 'update' | 'patch' | 'delete';

export interface UserInfo {
  name: string;
  groups: string[];
}

export interface RequestAttributes {
  user: UserInfo;
  verb: Verb;
  resource: ResourceInfo;
  namespace: string;
  name?: string;
}

export type Authorizer = (attrs: RequestAttributes) => boolean;

export const allowAll: Authorizer = () => true;

/** Denies the listed `verb resource` pairs (e.g. "delete pods") and allows the rest. */
export function denying(...rules: string[]): Authorizer {
  const denied = new Set(rules);
  return (a) => !denied.has(`${a.verb} ${a.resource.resource}`);
}

export class TokenAuthenticator {
  private readonly tokens = new Map<string, UserInfo>();

  addToken(token: string, user: UserInfo): void {
    this.tokens.set(token, user);
  }

  /** The user of an `Authorization: Bearer <token>` header, or undefined (→ 401). */
  authenticate(header: string | undefined): UserInfo | undefined {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    return m ? this.tokens.get(m[1]) : undefined;
  }
}

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
}

/** Allows exactly what RBAC rules (a Role's or ClusterRole's `rules`) allow; `*` wildcards honoured. */
export function allowingRules(rules: PolicyRule[]): Authorizer {
  const has = (list: string[] | undefined, v: string): boolean => !!list && (list.includes('*') || list.includes(v));
  return (a) => rules.some((r) => has(r.apiGroups, a.resource.group) && has(r.resources, a.resource.resource) && has(r.verbs, a.verb));
}
