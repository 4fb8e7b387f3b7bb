// cfg.yaml text -> HookerConfig plus every problem found, each with file,
// line, key path and reason. Checks that need other stages (action keys,
// Rego compilation) are done by their owners; this module checks structure,
// references between sections, durations and env substitution.

import type { Problem, KeyPath } from './problems.js';
import { formatKeyPath, hasErrors } from './problems.js';
import { parseYamlSource, problemAt, yamlValue, type YamlSource } from './yaml-source.js';
import { parseDuration } from './duration.js';
import { substituteEnv, VERBATIM_KEYS } from './env-subst.js';
import { TOP_LEVEL_KEYS, ROUTE_KEYS, PLUGIN_KEYS, TEMPLATE_KEYS, ACTION_COMMON_KEYS } from './schema.js';
import { dirname } from 'node:path';
import { parseScanConfig, SCAN_TOP_LEVEL_KEYS } from '../scan/config.js';
import { DEFAULT_DELETE_OLD_DATA_DAYS, DEFAULT_DELIVERY_POLICY, type DeliveryPolicy } from './types.js';
import { parseDbSize } from '../store/db-size-guard.js';
import type { ActionConfig, HookerConfig, PluginsConfig, RouteConfig, TemplateConfig, TemplateSource } from './types.js';
import type { ActionTypeInfo } from '../actions/types.js';
import { parseRateLimit } from './rate-limit.js';

export interface ValidateOptions {
  env: NodeJS.ProcessEnv;
  /**
   * The action types (src/actions/index.ts `actionTypes()`): each checks its
   * own keys, so every problem of an action is reported with its line.
   */
  actionTypes?: { find(type: string): ActionTypeInfo | undefined; names(): string[] };
  /** Only keys (older callers): values are then checked when the action is built. */
  actionKeys?(type: string): readonly string[] | undefined;
}

export interface ValidatedConfig {
  /** The configuration, when it has no errors. */
  config?: HookerConfig;
  /** What could be read even with errors, so later stages (actions, Rego) still report theirs in the same pass. */
  draft?: HookerConfig;
  problems: Problem[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

class Checker {
  readonly problems: Problem[] = [];
  constructor(readonly src: YamlSource, readonly env: NodeJS.ProcessEnv) {}
  error(path: KeyPath, message: string) { this.problems.push(problemAt(this.src, 'error', path, message)); }
  warn(path: KeyPath, message: string) { this.problems.push(problemAt(this.src, 'warning', path, message)); }

  unknownKeys(obj: Obj, allowed: readonly string[], path: KeyPath, what: string) {
    for (const k of Object.keys(obj)) {
      if (!allowed.includes(k)) this.warn([...path, k], `unknown key "${k}" in ${what} (ignored; known keys: ${allowed.join(', ')})`);
    }
  }

  /** Replaces `$NAME`/`${NAME}` (whole values and inside strings, recursively) by the environment's value. */
  substitute(value: unknown, path: KeyPath): unknown {
    if (Array.isArray(value)) return value.map((v, i) => this.substitute(v, [...path, i]));
    if (isObj(value)) {
      const out: Obj = {};
      for (const [k, v] of Object.entries(value)) out[k] = VERBATIM_KEYS.has(k) ? v : this.substitute(v, [...path, k]);
      return out;
    }
    if (typeof value !== 'string' || !value.includes('$')) return value;
    const { text, unset, errors } = substituteEnv(value, this.env);
    for (const e of errors) this.error(path, e);
    for (const name of unset) this.warn(path, `environment variable ${name} is not set (replaced by an empty string)`);
    return text;
  }

  string(obj: Obj, key: string, path: KeyPath, required: boolean): string | undefined {
    const v = obj[key];
    if (v === undefined || v === null) {
      if (required) this.error(path, `"${key}" is required`);
      return undefined;
    }
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (typeof v !== 'string') { this.error([...path, key], `"${key}" must be a string`); return undefined; }
    return v;
  }

  stringList(obj: Obj, key: string, path: KeyPath): string[] {
    const v = obj[key];
    if (v === undefined || v === null) return [];
    if (typeof v === 'string') return [v];
    if (!Array.isArray(v)) { this.error([...path, key], `"${key}" must be a list of strings`); return []; }
    const out: string[] = [];
    v.forEach((item, i) => {
      if (typeof item === 'string') out.push(item);
      else this.error([...path, key, i], `"${key}" entries must be strings`);
    });
    return out;
  }

  bool(obj: Obj, key: string, path: KeyPath): boolean | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'boolean') return v;
    if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
    this.error([...path, key], `"${key}" must be true or false`);
    return undefined;
  }

  duration(obj: Obj, key: string, path: KeyPath): number | undefined {
    const v = obj[key];
    if (v === undefined || v === null || v === '') return undefined;
    const d = parseDuration(v);
    if ('error' in d) { this.error([...path, key], d.error); return undefined; }
    return d.ms;
  }

  list(value: unknown, path: KeyPath, what: string): unknown[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) { this.error(path, `"${what}" must be a list`); return []; }
    return value;
  }
}

function checkPlugins(c: Checker, raw: unknown, path: KeyPath): PluginsConfig {
  if (raw === undefined || raw === null) return {};
  if (!isObj(raw)) { c.error(path, '"plugins" must be a mapping'); return {}; }
  c.unknownKeys(raw, PLUGIN_KEYS, path, 'plugins');
  const out: PluginsConfig = {};
  const n = raw['aggregate-message-number'];
  if (n !== undefined && n !== null && n !== '') {
    if (typeof n === 'number' && Number.isInteger(n) && n > 0) out.aggregateMessageNumber = n;
    else c.error([...path, 'aggregate-message-number'], 'must be a positive integer');
  }
  out.aggregateMessageTimeoutMs = c.duration(raw, 'aggregate-message-timeout', path);
  const props = c.stringList(raw, 'unique-message-props', path);
  if (props.length) out.uniqueMessageProps = props;
  out.uniqueMessageTimeoutMs = c.duration(raw, 'unique-message-timeout', path);
  return out;
}

/** Why a `split-by` value is not a usable dot path to an array of the event, if it is not. */
function splitPathProblem(path: string): string | undefined {
  if (path.trim() === '') return 'must be a dot path to an array of the event, e.g. "alerts"';
  if (path.split('.').some((s) => s.trim() === '')) return `"${path}" has an empty segment; write a dot path such as "alerts" or "report.findings"`;
  return undefined;
}

function checkRoute(c: Checker, raw: unknown, i: number): RouteConfig | undefined {
  const path: KeyPath = ['routes', i];
  if (!isObj(raw)) { c.error(path, 'a route must be a mapping'); return undefined; }
  c.unknownKeys(raw, ROUTE_KEYS, path, 'a route');
  const name = c.string(raw, 'name', path, true);
  if (name === undefined) return undefined;
  let actions = c.stringList(raw, 'actions', path);
  if (raw['outputs'] !== undefined) {
    c.warn([...path, 'outputs'], '"outputs" is the old name of "actions"; it is accepted, please rename it');
    actions = [...actions, ...c.stringList(raw, 'outputs', path)];
  }
  const input = c.string(raw, 'input', path, false);
  const serialize = c.bool(raw, 'serialize-actions', path) ?? c.bool(raw, 'serialize-outputs', path) ?? false;
  const splitBy = c.string(raw, 'split-by', path, false);
  const splitProblem = splitBy === undefined ? undefined : splitPathProblem(splitBy);
  if (splitProblem) c.error([...path, 'split-by'], splitProblem);
  return {
    name,
    input: input && input.trim() !== '' ? input : undefined,
    inputLine: input ? c.src.lineOf([...path, 'input']) : undefined,
    inputFiles: c.stringList(raw, 'input-files', path),
    actions,
    template: c.string(raw, 'template', path, false),
    serializeActions: serialize,
    ...(splitBy !== undefined && !splitProblem ? { splitBy } : {}),
    plugins: checkPlugins(c, raw['plugins'], [...path, 'plugins']),
    path: `routes[${i}]`,
    line: c.src.lineOf(path),
  };
}

/** A template left without a source (Postee's sample has `url:` empty): usable by no route. */
interface EmptyTemplate { name: string; path: KeyPath }

const LEGACY_RENDERERS = ['html', 'slack', 'jira'] as const;

function checkTemplate(c: Checker, raw: unknown, i: number, empty: EmptyTemplate[]): TemplateConfig | undefined {
  const path: KeyPath = ['templates', i];
  if (!isObj(raw)) { c.error(path, 'a template must be a mapping'); return undefined; }
  c.unknownKeys(raw, TEMPLATE_KEYS, path, 'a template');
  const name = c.string(raw, 'name', path, true);
  if (name === undefined) return undefined;
  const sources: TemplateSource[] = [];
  const pkg = c.string(raw, 'rego-package', path, false);
  if (pkg) sources.push({ kind: 'rego-package', package: pkg });
  const body = c.string(raw, 'body', path, false);
  if (body) sources.push({ kind: 'body', body, line: c.src.lineOf([...path, 'body']) });
  const url = c.string(raw, 'url', path, false);
  if (url) sources.push({ kind: 'url', url });
  const legacy = c.string(raw, 'legacy-scan-renderer', path, false);
  if (legacy) {
    const renderer = legacy.toLowerCase();
    if ((LEGACY_RENDERERS as readonly string[]).includes(renderer)) sources.push({ kind: 'legacy', renderer: renderer as (typeof LEGACY_RENDERERS)[number] });
    else { c.error([...path, 'legacy-scan-renderer'], `template "${name}": legacy-scan-renderer must be one of ${LEGACY_RENDERERS.join(', ')}, got "${legacy}"`); return undefined; }
  }
  if (sources.length === 0) {
    // Postee skipped such a template with a log line; it only matters to a route that uses it.
    empty.push({ name, path });
    return undefined;
  }
  if (sources.length !== 1) {
    c.error(path, `template "${name}" must have exactly one of rego-package, body, url, legacy-scan-renderer (found ${sources.length})`);
    return undefined;
  }
  return { name, source: sources[0]!, path: `templates[${i}]`, line: c.src.lineOf(path) };
}

function checkAction(c: Checker, raw: unknown, i: number, section: string, opts: ValidateOptions): ActionConfig | undefined {
  const path: KeyPath = [section, i];
  if (!isObj(raw)) { c.error(path, 'an action must be a mapping'); return undefined; }
  const name = c.string(raw, 'name', path, true);
  const type = c.string(raw, 'type', path, true);
  if (name === undefined || type === undefined) return undefined;
  let enable = c.bool(raw, 'enable', path);
  if (enable === undefined) {
    c.warn(path, `action "${name}" has no "enable" key: it is disabled, as in Postee (set enable: true)`);
    enable = false;
  }
  const info = opts.actionTypes?.find(type);
  const keys = info ? info.keys : opts.actionKeys?.(type);
  if (keys === undefined) {
    const known = opts.actionTypes ? ` (known types: ${opts.actionTypes.names().join(', ')})` : '';
    if (enable) c.error([...path, 'type'], `action "${name}": unknown action type "${type}"${known}`);
    else c.warn([...path, 'type'], `action "${name}": unknown action type "${type}" (the action is disabled, so it is ignored)${known}`);
  } else {
    c.unknownKeys(raw, [...ACTION_COMMON_KEYS, ...keys], path, `an action of type ${info?.type ?? type}`);
  }
  const substituted = c.substitute(raw, path) as Obj;
  const delivery = checkDeliveryPolicy(c, substituted, path, name);
  let settings: unknown;
  if (info && enable) {
    // The type checks its own keys; each problem points at the key's line.
    const parsed = info.parse(substituted, c.env);
    for (const p of parsed.problems) c.error([...path, ...parseKeyPath(p.path)], `action "${name}": ${p.message}`);
    settings = parsed.settings;
  }
  return {
    name, type: info?.type ?? type, enable, delivery, raw: substituted, path: `${section}[${i}]`, line: c.src.lineOf(path),
    ...(settings !== undefined ? { settings } : {}),
  };
}

/** `docker-env[0]` / `kube-actions.labels` -> key path segments. */
function parseKeyPath(text: string): KeyPath {
  const out: KeyPath = [];
  for (const m of text.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}

function checkDbSize(c: Checker, root: Obj): string | undefined {
  const v = c.string(root, 'max-db-size', [], false);
  try { parseDbSize(v); } catch (e) { c.error(['max-db-size'], (e as Error).message); return undefined; }
  return v;
}

function integer(c: Checker, obj: Obj, key: string, path: KeyPath, min: number, fallback: number): number {
  const v = obj[key];
  if (v === undefined || v === null || v === '') return fallback;
  const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n === 'number' && Number.isInteger(n) && n >= min) return n;
  c.error([...path, key], `"${key}" must be an integer of at least ${min}`);
  return fallback;
}

function checkDeliveryPolicy(c: Checker, raw: Obj, path: KeyPath, name: string): DeliveryPolicy {
  const d = DEFAULT_DELIVERY_POLICY;
  let kind = d.kind;
  if (raw['kind'] !== undefined) {
    const k = String(raw['kind']).toLowerCase();
    if (k === 'readonly') kind = 'ReadOnly';
    else if (k === 'readandwrite') kind = 'ReadAndWrite';
    else c.error([...path, 'kind'], `action "${name}": kind must be ReadOnly or ReadAndWrite, got "${String(raw['kind'])}"`);
  }
  const retryBackoffMs = c.duration(raw, 'retry-backoff', path) ?? d.retryBackoffMs;
  const retryMaxBackoffMs = c.duration(raw, 'retry-max-backoff', path) ?? Math.max(d.retryMaxBackoffMs, retryBackoffMs);
  if (retryMaxBackoffMs < retryBackoffMs) c.error([...path, 'retry-max-backoff'], `action "${name}": retry-max-backoff must not be shorter than retry-backoff`);
  let rateLimit: DeliveryPolicy['rateLimit'];
  const rl = raw['rate-limit'];
  if (rl !== undefined && rl !== null && rl !== '') {
    const parsed = parseRateLimit(rl);
    if ('error' in parsed) c.error([...path, 'rate-limit'], `action "${name}": ${parsed.error}`);
    else rateLimit = parsed;
  }
  return {
    ...(rateLimit ? { rateLimit } : {}),
    kind,
    priority: integer(c, raw, 'priority', path, -1_000_000, d.priority),
    retries: integer(c, raw, 'retries', path, 0, d.retries),
    retryBackoffMs,
    retryMaxBackoffMs,
    concurrency: integer(c, raw, 'concurrency', path, 1, d.concurrency),
  };
}

function checkUnique(c: Checker, items: Array<{ name: string; path: string }>, section: string, pathOf: (i: number) => KeyPath) {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const first = seen.get(item.name);
    if (first !== undefined) c.error(pathOf(i), `${section} name "${item.name}" is used twice (first at ${items[first]!.path})`);
    else seen.set(item.name, i);
  });
}

export function validateConfigText(file: string, text: string, opts: ValidateOptions): ValidatedConfig {
  const { source, problems: yamlProblems } = parseYamlSource(file, text);
  const c = new Checker(source, opts.env);
  c.problems.push(...yamlProblems);
  if (hasErrors(yamlProblems)) return { problems: c.problems };
  const js = yamlValue(source);
  c.problems.push(...js.problems);
  if (hasErrors(js.problems)) return { problems: c.problems };
  const root = js.value;
  if (root === null || root === undefined) {
    c.error([], 'the configuration is empty');
    return { problems: c.problems };
  }
  if (!isObj(root)) {
    c.error([], 'the configuration must be a mapping with routes, templates and actions');
    return { problems: c.problems };
  }
  c.unknownKeys(root, TOP_LEVEL_KEYS, [], 'the top level');

  const routesRaw = c.list(root['routes'], ['routes'], 'routes');
  const templatesRaw = c.list(root['templates'], ['templates'], 'templates');
  let actionSection = 'actions';
  let actionsRaw = c.list(root['actions'], ['actions'], 'actions');
  if (root['outputs'] !== undefined) {
    c.warn(['outputs'], '"outputs" is the old name of "actions"; it is accepted, please rename it');
    if (root['actions'] === undefined) { actionSection = 'outputs'; actionsRaw = c.list(root['outputs'], ['outputs'], 'outputs'); }
    else c.error(['outputs'], 'both "actions" and "outputs" are present; keep only "actions"');
  }

  const routes = routesRaw.map((r, i) => checkRoute(c, r, i)).filter((r): r is RouteConfig => !!r);
  const emptyTemplates: EmptyTemplate[] = [];
  const templates = templatesRaw.map((t, i) => checkTemplate(c, t, i, emptyTemplates)).filter((t): t is TemplateConfig => !!t);
  const actions = actionsRaw.map((a, i) => checkAction(c, a, i, actionSection, opts)).filter((a): a is ActionConfig => !!a);
  checkUnique(c, routes, 'route', (i) => ['routes', i]);
  checkUnique(c, templates, 'template', (i) => ['templates', i]);
  checkUnique(c, actions, 'action', (i) => [actionSection, i]);

  const templateNames = new Set(templates.map((t) => t.name));
  const actionsByName = new Map(actions.map((a) => [a.name, a]));
  routesRaw.forEach((raw, i) => {
    const route = routes.find((r) => r.path === `routes[${i}]`);
    if (!route) return;
    const actionKey = isObj(raw) && raw['actions'] !== undefined ? 'actions' : 'outputs';
    route.actions.forEach((a, j) => {
      const action = actionsByName.get(a);
      if (!action) c.error(['routes', i, actionKey, j], `route "${route.name}" names action "${a}", which is not defined in ${actionSection}`);
      else if (!action.enable) c.warn(['routes', i, actionKey, j], `route "${route.name}" names action "${a}", which is disabled`);
    });
    const empty = emptyTemplates.find((t) => t.name === route.template);
    if (empty) {
      c.error(['routes', i, 'template'], `route "${route.name}" uses template "${route.template}", which has no rego-package, body, url or legacy-scan-renderer (${formatKeyPath(empty.path)})`);
    } else if (route.template !== undefined && !templateNames.has(route.template)) {
      c.error(['routes', i, 'template'], `route "${route.name}" names template "${route.template}", which is not defined in templates`);
    }
    if (route.actions.length > 0 && route.template === undefined) {
      c.error(['routes', i], `route "${route.name}" has actions but no template`);
    }
  });

  for (const t of emptyTemplates) {
    if (routes.some((r) => r.template === t.name)) continue;
    c.warn(t.path, `template "${t.name}" has no rego-package, body, url or legacy-scan-renderer; no route uses it, so it is ignored`);
  }

  const scanSections = Object.fromEntries(SCAN_TOP_LEVEL_KEYS.filter((k) => root[k] !== undefined).map((k) => [k, c.substitute(root[k], [k])]));
  const scan = parseScanConfig(scanSections, { file, source, baseDir: dirname(file) });
  c.problems.push(...scan.problems);

  const serverUrl = c.string(root, 'khulnasoft-server', [], false) ?? c.string(root, 'aqua-server', [], false);
  const dbVerify = root['db-verify-interval'];
  const config: HookerConfig = {
    file,
    name: c.string(root, 'name', [], false),
    serverUrl: serverUrl ? String(c.substitute(serverUrl, ['khulnasoft-server'])) : undefined,
    maxDbSize: checkDbSize(c, root),
    dbVerifyInterval: typeof dbVerify === 'number' ? dbVerify : undefined,
    deleteOldDataDays: integer(c, root, 'delete-old-data', [], 0, DEFAULT_DELETE_OLD_DATA_DAYS),
    routes,
    templates,
    actions,
    rules: Array.isArray(root['rules']) ? root['rules'] : [],
    scan: scan.config,
  };
  if (dbVerify !== undefined && dbVerify !== null && typeof dbVerify !== 'number') c.error(['db-verify-interval'], 'must be a number of hours');
  return { config: hasErrors(c.problems) ? undefined : config, draft: config, problems: c.problems };
}
