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
  /** e.g. "exec" for pods/exec; RBAC rules name it as "pods/exec". */
  subresource?: string;
}

export type Authorizer = (attrs: RequestAttributes) => boolean;

export const allowAll: Authorizer = () => true;

/** Denies the listed `verb resource` pairs (e.g. "delete pods") and allows the rest. */
export function denying(...rules: string[]): Authorizer {
  const denied = new Set(rules);
  return (a) => !denied.has(`${a.verb} ${a.resource.resource}`);
}

export class TokenAuthenticator {
  private readonly tokens = new Map<string, { user: UserInfo; valid?: () => boolean; rbac: boolean }>();

  addToken(token: string, user: UserInfo): void {
    this.tokens.set(token, { user, rbac: false });
  }

  /**
   * A token the fake issued (TokenRequest): authorized by RBAC over the stored
   * Roles/RoleBindings, and accepted only while `valid()` (its ServiceAccount
   * exists and it has not expired), as bound service account tokens are.
   */
  addBoundToken(token: string, user: UserInfo, valid: () => boolean): void {
    this.tokens.set(token, { user, valid, rbac: true });
  }

  /** The user of an `Authorization: Bearer <token>` header, or undefined (→ 401). */
  authenticate(header: string | undefined): UserInfo | undefined {
    return this.lookup(header)?.user;
  }

  /** Whether the header's token is one the fake issued (then RBAC decides). */
  isBound(header: string | undefined): boolean {
    return this.lookup(header)?.rbac ?? false;
  }

  /** How many issued tokens are still accepted. */
  liveBoundTokens(): number {
    return [...this.tokens.values()].filter((t) => t.rbac && (t.valid?.() ?? true)).length;
  }

  private lookup(header: string | undefined): { user: UserInfo; valid?: () => boolean; rbac: boolean } | undefined {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    const t = m ? this.tokens.get(m[1]) : undefined;
    return t && (t.valid?.() ?? true) ? t : undefined;
  }
}

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  /** When set, only these object names (never list, never create of a new object). */
  resourceNames?: string[];
}

/** Allows exactly what RBAC rules (a Role's or ClusterRole's `rules`) allow; `*` wildcards honoured. */
export function allowingRules(rules: PolicyRule[]): Authorizer {
  const has = (list: string[] | undefined, v: string): boolean => !!list && (list.includes('*') || list.includes(v));
  return (a) => {
    const resource = a.subresource ? `${a.resource.resource}/${a.subresource}` : a.resource.resource;
    return rules.some((r) => has(r.apiGroups, a.resource.group) && has(r.resources, resource) && has(r.verbs, a.verb)
      && (!r.resourceNames?.length || (a.name !== undefined && r.resourceNames.includes(a.name))));
  };
}

interface StoredBinding { roleRef?: { kind?: string; name?: string }; subjects?: Array<{ kind?: string; name?: string; namespace?: string }> }

/**
 * RBAC as the apiserver evaluates it for a service account user
 * (`system:serviceaccount:NS:NAME`): the rules of every Role bound to it by a
 * RoleBinding in the request's namespace. (ClusterRoles are not modelled.)
 */
export function rbacAuthorizer(list: (resource: string, namespace: string) => Array<Record<string, unknown>>): Authorizer {
  return (a) => {
    const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(a.user.name);
    if (!m || !a.namespace) return false;
    const [, saNs, saName] = m;
    const roles = list('roles', a.namespace);
    const rules: PolicyRule[] = [];
    for (const b of list('rolebindings', a.namespace) as StoredBinding[]) {
      const bound = (b.subjects ?? []).some((s) => s.kind === 'ServiceAccount' && s.name === saName && (s.namespace ?? a.namespace) === saNs);
      if (!bound || b.roleRef?.kind !== 'Role') continue;
      const role = roles.find((r) => (r.metadata as { name?: string }).name === b.roleRef!.name) as { rules?: PolicyRule[] } | undefined;
      rules.push(...(role?.rules ?? []));
    }
    return allowingRules(rules)(a);
  };
}
