// Everything a configuration turns into, built completely before it is used
// so a reload either swaps in a working runtime or keeps the old one.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Action, ActionFactory, ActionServices } from '../actions/types.js';
import { actionTypes } from '../actions/index.js';
import { setupProblem } from '../actions/define.js';
import { validateConfigText } from '../config/validate.js';
import type { HookerConfig, RouteConfig } from '../config/types.js';
import { hasErrors, type Problem } from '../config/problems.js';
import { compileRoutes, type RouteMatcher } from '../routing/route-matcher.js';
import type { WasmCache } from '../rego/wasm-cache.js';
import { installServerBuiltins } from './rego-builtins.js';
import { compileTemplates } from '../templates/compile-templates.js';
import { loadTemplateLibrary } from '../templates/template-files.js';
import type { TemplateRenderer } from '../templates/template-renderer.js';

export interface Runtime {
  config: HookerConfig;
  routes: Map<string, RouteConfig>;
  matcher: RouteMatcher;
  templates: Map<string, TemplateRenderer>;
  /** Enabled actions by name. */
  actions: Map<string, Action>;
  loadedAt: number;
  /** The route policy came from the compiled-policy cache (HOOKER_WASM_CACHE) instead of the compiler. */
  routesFromCache?: boolean;
  /** sha256 (first 16 hex) of cfg.yaml's text: /readyz shows it so an operator sees that all replicas run the same configuration. */
  configHash?: string;
}

export interface BuildOptions {
  cfgPath: string;
  env: NodeJS.ProcessEnv;
  filtersPath: string;
  templatesPath?: string;
  bundledTemplatesDir?: string;
  factories?: readonly ActionFactory[];
  /** Services of the running server the actions may use (absent under `hooker validate`). */
  services?: ActionServices;
  /** Compiled route policies kept across restarts (the server's HOOKER_WASM_CACHE). */
  wasmCache?: WasmCache;
}

export interface BuildResult {
  runtime?: Runtime;
  problems: Problem[];
}

export async function closeActions(actions: Iterable<Action>): Promise<void> {
  await Promise.allSettled([...actions].map((a) => a.close?.()));
}

/**
 * Never throws: whatever a configuration holds (a YAML alias bomb, a value
 * some stage did not expect), start-up, `hooker validate` and reload get a
 * problem to report, and a running server keeps its configuration.
 */
export async function buildRuntime(opts: BuildOptions): Promise<BuildResult> {
  try {
    return await buildRuntimeOrThrow(opts);
  } catch (e) {
    return { problems: [{ severity: 'error', file: opts.cfgPath, path: '', message: `the configuration cannot be loaded: ${(e as Error)?.message ?? String(e)}` }] };
  }
}

async function buildRuntimeOrThrow(opts: BuildOptions): Promise<BuildResult> {
  const types = actionTypes(opts.factories);
  let text: string;
  try {
    text = readFileSync(opts.cfgPath, 'utf8');
  } catch (e) {
    return { problems: [{ severity: 'error', file: opts.cfgPath, path: '', message: `cannot read the configuration: ${(e as Error).message}` }] };
  }
  const validated = validateConfigText(opts.cfgPath, text, { env: opts.env, actionTypes: types });
  const problems = [...validated.problems];
  // Every stage runs even when the structure has errors, so one pass reports every problem.
  const config = validated.config ?? validated.draft;
  if (!config) return { problems };

  const actions = new Map<string, Action>();
  for (const a of config.actions) {
    if (!a.enable || a.settings === undefined) continue;
    const factory = types.find(a.type);
    if (!factory) continue;
    try {
      actions.set(a.name, factory.build(a.settings, opts.env, opts.services ?? {}));
    } catch (e) {
      const p = setupProblem(e);
      problems.push({ severity: 'error', file: config.file, line: a.line, path: p.path ? `${a.path}.${p.path}` : a.path, message: `action "${a.name}": ${p.message}` });
    }
  }

  // Custom builtins first: routes and templates may call them.
  const builtinProblems = await installServerBuiltins(opts.env);
  problems.push(...builtinProblems);
  if (hasErrors(builtinProblems)) {
    await closeActions(actions.values());
    return { problems };
  }

  const routes = await compileRoutes(config.routes, { cfgFile: config.file, filtersPath: opts.filtersPath, ...(opts.wasmCache ? { cache: opts.wasmCache } : {}) });
  problems.push(...routes.problems);

  let library;
  try {
    library = loadTemplateLibrary({ bundledDir: opts.bundledTemplatesDir, userDir: opts.templatesPath });
  } catch (e) {
    problems.push({ severity: 'error', file: config.file, path: 'templates', message: (e as Error).message });
  }
  const templates = library ? await compileTemplates(config.templates, { cfgFile: config.file, library }) : undefined;
  if (templates) problems.push(...templates.problems);

  if (hasErrors(problems) || !routes.matcher || !templates) {
    await closeActions(actions.values());
    return { problems };
  }
  return {
    runtime: {
      config,
      routes: new Map(config.routes.map((r) => [r.name, r])),
      matcher: routes.matcher,
      templates: templates.renderers,
      actions,
      loadedAt: Date.now(),
      ...(routes.cached ? { routesFromCache: true } : {}),
      configHash: createHash('sha256').update(text).digest('hex').slice(0, 16),
    },
    problems,
  };
}
