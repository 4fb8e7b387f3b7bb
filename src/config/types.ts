// The validated cfg.yaml (Postee/Hooker schema). Values keep the user's
// spelling of keys where actions read them (action configs stay records so
// each factory validates its own keys).

import type { ScanConfig } from '../scan/config.js';

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
  /** `split-by`: dot path to an array of the event; one message (run) per element. */
  splitBy?: string;
  plugins: PluginsConfig;
  /** Key path of the route, e.g. routes[2]. */
  path: string;
  line?: number;
}

export type TemplateSource =
  | { kind: 'rego-package'; package: string }
  | { kind: 'body'; body: string; line?: number }
  | { kind: 'url'; url: string }
  /** Postee's built-in Go renderers for Aqua image scans (html, slack, jira). */
  | { kind: 'legacy'; renderer: 'html' | 'slack' | 'jira' };

export interface TemplateConfig {
  name: string;
  source: TemplateSource;
  path: string;
  line?: number;
}

/** How deliveries to an action are ordered, retried and limited (keys common to every action type). */
export interface DeliveryPolicy {
  /** ReadAndWrite actions may change the event for the actions after them. */
  kind: 'ReadOnly' | 'ReadAndWrite';
  /** Higher runs first within a route; default 0. */
  priority: number;
  /** Attempts after the first one before the delivery is dead-lettered. */
  retries: number;
  retryBackoffMs: number;
  retryMaxBackoffMs: number;
  /** Deliveries of this action that may run at once. */
  concurrency: number;
  /** `rate-limit: 1/s`: at most `count` attempts start per `perMs`; the others wait, queued. */
  rateLimit?: { count: number; perMs: number };
}

export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = {
  kind: 'ReadOnly', priority: 0, retries: 5, retryBackoffMs: 1_000, retryMaxBackoffMs: 5 * 60_000, concurrency: 4,
};

export const DEFAULT_DELETE_OLD_DATA_DAYS = 7;

export interface ActionConfig {
  name: string;
  type: string;
  enable: boolean;
  delivery: DeliveryPolicy;
  /** Every key of the action as written (after $NAME substitution). */
  raw: Record<string, unknown>;
  /** What the action type's parse returned (enabled actions of a known type without problems). */
  settings?: unknown;
  path: string;
  line?: number;
}

export interface HookerConfig {
  file: string;
  name?: string;
  serverUrl?: string;
  maxDbSize?: string;
  dbVerifyInterval?: number;
  /** Finished events (every delivery succeeded or dead) older than this many days are purged; 0 keeps them. */
  deleteOldDataDays: number;
  routes: RouteConfig[];
  templates: TemplateConfig[];
  actions: ActionConfig[];
  rules: unknown[];
  /** scanners, profiles, thresholds, schedules, scan-api (docs/scanning.md). */
  scan: ScanConfig;
}
