// The validated cfg.yaml (Postee/Hooker schema). Values keep the user's
// spelling of keys where actions read them (action configs stay records so
// each factory validates its own keys).

export interface PluginsConfig {
  aggregateMessageNumber?: number;
  aggregateMessageTimeoutMs?: number;
  uniqueMessageProps?: string[];
  uniqueMessageTimeoutMs?: number;
}

export interface RouteConfig {
  name: string;
  /** Inline Rego: each line a condition of `allow`. */
  input?: string;
  /** Line of the `input` value in the config file (for Rego error mapping). */
  inputLine?: number;
  inputFiles: string[];
  actions: string[];
  template?: string;
  serializeActions: boolean;
  plugins: PluginsConfig;
  /** Key path of the route, e.g. routes[2]. */
  path: string;
  line?: number;
}

export type TemplateSource =
  | { kind: 'rego-package'; package: string }
  | { kind: 'body'; body: string; line?: number }
  | { kind: 'url'; url: string };

export interface TemplateConfig {
  name: string;
  source: TemplateSource;
  path: string;
  line?: number;
}

export interface ActionConfig {
  name: string;
  type: string;
  enable: boolean;
  /** Every key of the action as written (after $NAME substitution). */
  raw: Record<string, unknown>;
  path: string;
  line?: number;
}

export interface HookerConfig {
  file: string;
  name?: string;
  serverUrl?: string;
  maxDbSize?: string;
  dbVerifyInterval?: number;
  routes: RouteConfig[];
  templates: TemplateConfig[];
  actions: ActionConfig[];
  rules: unknown[];
}
