// Everything a configuration turns into, built completely before it is used
// so a reload either swaps in a working runtime or keeps the old one.

import { readFileSync } from 'node:fs';
import type { Action, ActionFactory } from '../actions/types.js';
import { actionFactories, findActionFactory } from '../actions/index.js';
import { validateConfigText } from '../config/validate.js';
import type { HookerConfig, RouteConfig } from '../config/types.js';
import { hasErrors, type Problem } from '../config/problems.js';
import { compileRoutes, type RouteMatcher } from '../routing/route-matcher.js';
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
}

export interface BuildOptions {
  cfgPath: string;
  env: NodeJS.ProcessEnv;
  filtersPath: string;
  templatesPath?: string;
  bundledTemplatesDir?: string;
  factories?: readonly ActionFactory[];
}

export interface BuildResult {
  runtime?: Runtime;
  problems: Problem[];
}

export async function closeActions(actions: Iterable<Action>): Promise<void> {
  await Promise.allSettled([...actions].map((a) => a.close?.()));
}

export async function buildRuntime(opts: BuildOptions): Promise<BuildResult> {
  const factories = opts.factories ?? actionFactories;
  let text: string;
  try {
    text = readFileSync(opts.cfgPath, 'utf8');
  } catch (e) {
    return { problems: [{ severity: 'error', file: opts.cfgPath, path: '', message: `cannot read the configuration: ${(e as Error).message}` }] };
  }
  const validated = validateConfigText(opts.cfgPath, text, { env: opts.env, actionKeys: (t) => findActionFactory(t, factories)?.keys });
  const problems = [...validated.problems];
  const config = validated.config;
  if (!config) return { problems };

  const actions = new Map<string, Action>();
  for (const a of config.actions) {
    if (!a.enable) continue;
    const factory = findActionFactory(a.type, factories);
    if (!factory) continue;
    const created = factory.create(a.raw, opts.env);
    for (const p of created.problems) {
      problems.push({ severity: 'error', file: config.file, line: a.line, path: `${a.path}.${p.path}`, message: `action "${a.name}": ${p.message}` });
    }
    if (created.action) actions.set(a.name, created.action);
  }

  const routes = await compileRoutes(config.routes, { cfgFile: config.file, filtersPath: opts.filtersPath });
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
    },
    problems,
  };
}
