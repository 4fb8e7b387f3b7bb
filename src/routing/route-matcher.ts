// Compiles a config's routes into one wasm module and evaluates each event
// once against its single entrypoint.

import { compile, loadPolicy, RegoCompileError, type RegoPolicy } from '../rego/index.js';
import type { RouteConfig } from '../config/types.js';
import type { Problem } from '../config/problems.js';
import { buildRouteProgram, regoProblems, ROUTES_ENTRYPOINT } from './route-modules.js';

export interface RouteMatcher {
  /** Names of the routes whose filters accept the event. */
  match(event: unknown): string[];
}

/** Reads the entrypoint's result set: a set of names serialises as an array. */
export function matchedNames(resultSet: Array<Record<string, unknown>>): string[] {
  const value = resultSet[0]?.['result'];
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Error(`route entrypoint returned ${JSON.stringify(value)}, expected a set of names`);
  return value.filter((v): v is string => typeof v === 'string');
}

export class WasmRouteMatcher implements RouteMatcher {
  constructor(private readonly policy: RegoPolicy, private readonly order: string[]) {}
  match(event: unknown): string[] {
    const names = new Set(matchedNames(this.policy.evaluate(event, ROUTES_ENTRYPOINT)));
    // Config order, so deliveries happen in the order routes are written.
    return this.order.filter((n) => names.has(n));
  }
}

export async function compileRoutes(routes: RouteConfig[], opts: { cfgFile: string; filtersPath: string }): Promise<{ matcher?: RouteMatcher; problems: Problem[]; warnings: string[] }> {
  const program = buildRouteProgram(routes, opts);
  if (program.problems.length) return { problems: program.problems, warnings: [] };
  try {
    const { wasm, warnings } = compile({ modules: program.modules, entrypoints: [ROUTES_ENTRYPOINT] });
    const policy = await loadPolicy(wasm);
    return { matcher: new WasmRouteMatcher(policy, routes.map((r) => r.name)), problems: [], warnings };
  } catch (e) {
    if (e instanceof RegoCompileError) return { problems: regoProblems(e, program.origins, opts.cfgFile), warnings: [] };
    throw e;
  }
}
