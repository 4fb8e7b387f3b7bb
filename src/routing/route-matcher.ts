// Compiles a config's routes into one wasm module and evaluates each event
// once against its single entrypoint. When that evaluation fails (a limit
// of src/rego/limits.ts, a conflict), each route is evaluated alone through
// its own entrypoint, so only the routes that fail are marked failed and the
// others go on.

import type { WasmCache } from '../rego/wasm-cache.js';
import { compile, loadPolicy, RegoCompileError, RegoEvalError, RegoLimitError, type RegoPolicy } from '../rego/index.js';
import { evalLimitsFromEnv } from '../rego/limits.js';
import type { RouteConfig } from '../config/types.js';
import type { Problem } from '../config/problems.js';
import { buildRouteProgram, regoProblems, ROUTES_ENTRYPOINT } from './route-modules.js';
import { parseJson } from '../json/lossless.js';

export interface RouteFailure {
  route: string;
  /** Why the route's filter could not be evaluated for this event. */
  reason: string;
  /** Which limit stopped it, when one did (memory, elements, result_size, time). */
  limit?: string;
}

/** An event's JSON text as UTF-8 (a whole ArrayBuffer, or a view such as a request body's Buffer). */
export type JsonBytes = ArrayBuffer | Uint8Array;

export interface RouteMatcher {
  /**
   * Names of the routes whose filters accept the event. `json`, when given,
   * is the event's JSON text as UTF-8 (stringifyJson), made once by the
   * caller for the evaluation and the stored body. The array may be shared
   * between events (WasmRouteMatcher keeps one per distinct result): read only.
   */
  match(event: unknown, json?: JsonBytes): readonly string[];
  /** Like match, also naming the routes whose evaluation failed for this event. */
  matchOrFail?(event: unknown, json?: JsonBytes): { matched: readonly string[]; failed: RouteFailure[] };
  /** Whether one route's filter accepts the event (a split route's item); throws RegoEvalError when it cannot be evaluated. */
  matchRoute?(event: unknown, route: string): boolean;
  /** match and matchOrFail read `json` alone when it is given: the router then need not have the event parsed for them. */
  readonly readsBytesOnly?: boolean;
}

/** Reads the entrypoint's result set: a set of names serialises as an array. */
export function matchedNames(resultSet: Array<Record<string, unknown>>): string[] {
  const value = resultSet[0]?.['result'];
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Error(`route entrypoint returned ${JSON.stringify(value)}, expected a set of names`);
  return value.filter((v): v is string => typeof v === 'string');
}

/** Distinct results kept parsed: a config's events match a few combinations of routes. */
const KEPT_RESULTS = 256;

export class WasmRouteMatcher implements RouteMatcher {
  /** The runtime reads JSON text: given the bytes, the event object is not looked at. */
  readonly readsBytesOnly = true;
  /**
   * Result text of the routes entrypoint -> the names it holds, as a set and
   * in config order (parsing it was a tenth of an evaluation, and filtering
   * the route list per event an array per event).
   */
  private readonly parsed = new Map<string, { set: Set<string>; ordered: readonly string[] }>();

  /** Route name -> its own entrypoint (routes without filters have none: they always match). */
  constructor(private readonly policy: RegoPolicy, private readonly order: string[], private readonly routeEntrypoints: Map<string, string> = new Map()) {}

  /** Names of the matching routes, as a set; callers must not change it. `json` as for match. */
  private result(event: unknown, json?: JsonBytes): { set: Set<string>; ordered: readonly string[] } {
    // The runtime reads JSON text: given as bytes, the event is not serialised again.
    const text = this.policy.evaluateText(json ?? event, ROUTES_ENTRYPOINT);
    let names = this.parsed.get(text);
    if (!names) {
      const set = new Set(matchedNames(parseJson(text) as Array<Record<string, unknown>>));
      // Config order, so deliveries happen in the order routes are written. Frozen: it is shared by every event with this result.
      names = { set, ordered: Object.freeze(this.order.filter((n) => set.has(n))) };
      if (this.parsed.size >= KEPT_RESULTS) this.parsed.clear();
      this.parsed.set(text, names);
    }
    return names;
  }

  matchedSet(event: unknown, json?: JsonBytes): ReadonlySet<string> {
    return this.result(event, json).set;
  }

  /** The matching routes in config order; the array is shared (frozen): callers must copy it to change it. */
  match(event: unknown, json?: JsonBytes): readonly string[] {
    return this.result(event, json).ordered;
  }

  matchRoute(event: unknown, route: string): boolean {
    const ep = this.routeEntrypoints.get(route);
    if (ep === undefined) return this.order.includes(route);
    return this.policy.evaluate(event, ep)[0]?.['result'] === true;
  }

  matchOrFail(event: unknown, json?: JsonBytes): { matched: readonly string[]; failed: RouteFailure[] } {
    try {
      return { matched: this.match(event, json), failed: [] };
    } catch (e) {
      if (!(e instanceof RegoEvalError)) throw e;
    }
    const matched: string[] = [];
    const failed: RouteFailure[] = [];
    for (const route of this.order) {
      const ep = this.routeEntrypoints.get(route);
      if (ep === undefined) { matched.push(route); continue; }
      try {
        if (this.policy.evaluate(json ?? event, ep)[0]?.['result'] === true) matched.push(route);
      } catch (e) {
        if (!(e instanceof RegoEvalError)) throw e;
        failed.push({ route, reason: e.message, ...(e instanceof RegoLimitError ? { limit: e.limit } : {}) });
      }
    }
    return { matched, failed };
  }
}

export async function compileRoutes(
  routes: RouteConfig[],
  opts: { cfgFile: string; filtersPath: string; cache?: WasmCache },
): Promise<{ matcher?: RouteMatcher; problems: Problem[]; warnings: string[]; cached?: boolean }> {
  const program = buildRouteProgram(routes, opts);
  if (program.problems.length) return { problems: program.problems, warnings: [] };
  try {
    const routeEntrypoints = new Map([...program.packages].map(([route, pkg]) => [route, `${pkg.replace(/\./g, '/')}/allow`]));
    const input = { modules: program.modules, entrypoints: [ROUTES_ENTRYPOINT, ...new Set(routeEntrypoints.values())] };
    // A restart with the same routes (and the same compiler) reuses the last compiled module.
    const { wasm, warnings, cached } = opts.cache ? opts.cache.compile(input, compile) : { ...compile(input), cached: false };
    const policy = await loadPolicy(wasm, { limits: evalLimitsFromEnv(process.env) });
    return { matcher: new WasmRouteMatcher(policy, routes.map((r) => r.name), routeEntrypoints), problems: [], warnings, cached };
  } catch (e) {
    if (e instanceof RegoCompileError) return { problems: regoProblems(e, program.origins, opts.cfgFile), warnings: [] };
    throw e;
  }
}
