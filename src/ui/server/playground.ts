// The console's playground: the running routes with one of them edited (or a
// new one added), compiled by the same compiler as a config load
// (compileRoutes, compileTemplates), evaluated against one event under the
// engine's evaluation limits, and rendered by the route templates. Nothing
// is stored and nothing is delivered: the answer says which routes would
// match, why the others would not, and the message each action would get.

import type { RenderedMessage } from '../../actions/types.js';
import type { RouteConfig, TemplateConfig } from '../../config/types.js';
import type { Problem } from '../../config/problems.js';
import { compileRoutes } from '../../routing/route-matcher.js';
import { itemCount, MAX_SPLIT_ITEMS, runName, splitItems } from '../../routing/split-items.js';
import { compileTemplates } from '../../templates/compile-templates.js';
import { loadTemplateLibrary } from '../../templates/template-files.js';
import { templateInput } from '../../templates/template-input.js';
import type { TemplateRenderer } from '../../templates/template-renderer.js';
import type { Runtime } from '../../server/runtime.js';

/** Where the editor shows a problem: the edited Rego ("input") or template ("template"), at a line and column of its own text. */
export interface PlaygroundProblem { where: 'input' | 'template' | 'other'; line?: number; column?: number; message: string }

export interface PlaygroundRequest {
  event: unknown;
  /** The route to replace (by name) or add; absent: the running routes as they are. */
  route?: string;
  /** The route's Rego conditions (the body of `allow`, as `input:` in cfg.yaml). */
  input?: string;
  /** A template's Rego module (with its package clause) for the edited route. */
  template?: string;
}

export interface PlaygroundAnswer {
  problems: PlaygroundProblem[];
  matched: Array<{ route: string; template?: string; actions: Array<{ action: string; message: RenderedMessage }>; templateError?: string }>;
  notMatched: Array<{ route: string; reason: string }>;
  evaluationMs?: number;
}

export const PLAYGROUND_FILE = 'playground';
const EDITED_TEMPLATE = 'playground-template';

function problemOf(p: Problem, where: PlaygroundProblem['where']): PlaygroundProblem {
  return { where, ...(p.line !== undefined ? { line: p.line } : {}), ...(p.column !== undefined ? { column: p.column } : {}), message: p.message };
}

export async function runPlayground(rt: Runtime, req: PlaygroundRequest, opts: { filtersPath: string; bundledTemplatesDir?: string; templatesPath?: string; serverUrl?: string; hookerUrl?: string }): Promise<PlaygroundAnswer> {
  const problems: PlaygroundProblem[] = [];
  let routes: RouteConfig[] = rt.config.routes;
  let edited: RouteConfig | undefined;
  if (req.route !== undefined) {
    const base = routes.find((r) => r.name === req.route);
    // inputLine 0 for a multi-line input (1 for one line) makes reported lines those of the editor.
    const input = req.input !== undefined && req.input.trim() !== '' ? req.input : undefined;
    edited = {
      name: req.route, inputFiles: input !== undefined ? [] : base?.inputFiles ?? [], actions: base?.actions ?? [], serializeActions: base?.serializeActions ?? false,
      plugins: base?.plugins ?? {}, path: PLAYGROUND_FILE, ...(base?.splitBy !== undefined ? { splitBy: base.splitBy } : {}), template: req.template !== undefined && req.template.trim() !== '' ? EDITED_TEMPLATE : base?.template,
      ...(input !== undefined ? { input, inputLine: input.includes('\n') ? 0 : 1 } : {}),
    };
    routes = base ? routes.map((r) => (r === base ? edited! : r)) : [...routes, edited];
  }
  const compiled = await compileRoutes(routes, { cfgFile: PLAYGROUND_FILE, filtersPath: opts.filtersPath });
  for (const p of compiled.problems) {
    const own = p.file === PLAYGROUND_FILE && p.path.startsWith(PLAYGROUND_FILE);
    const shown = problemOf(p, own ? 'input' : 'other');
    // An unfinished last line is reported at the input's last line without a column: point at its end.
    const lines = (edited?.input ?? '').replace(/\n+$/, '').split('\n');
    if (own && shown.line !== undefined && (shown.column === undefined || shown.line > lines.length)) {
      const line = Math.min(shown.line, lines.length);
      Object.assign(shown, { line, column: lines[line - 1]!.length + 1 });
    }
    problems.push(shown);
  }

  const templates = new Map<string, TemplateRenderer>(rt.templates);
  if (edited?.template === EDITED_TEMPLATE) {
    const t: TemplateConfig = { name: EDITED_TEMPLATE, source: { kind: 'body', body: req.template!, line: req.template!.includes('\n') ? 0 : 1 }, path: 'template' };
    let library;
    try { library = loadTemplateLibrary({ bundledDir: opts.bundledTemplatesDir, userDir: opts.templatesPath }); } catch (e) { problems.push({ where: 'other', message: (e as Error).message }); }
    if (library) {
      const out = await compileTemplates([t], { cfgFile: PLAYGROUND_FILE, library });
      for (const p of out.problems) problems.push(problemOf(p, 'template'));
      const r = out.renderers.get(EDITED_TEMPLATE);
      if (r) templates.set(EDITED_TEMPLATE, r);
    }
  }
  if (!compiled.matcher || problems.length) return { problems, matched: [], notMatched: [] };

  const started = performance.now();
  const outcome = compiled.matcher.matchOrFail?.(req.event) ?? { matched: compiled.matcher.match(req.event), failed: [] };
  const evaluationMs = performance.now() - started;
  const failed = new Map(outcome.failed.map((f) => [f.route, f.reason]));
  const matchedSet = new Set(outcome.matched);
  const answer: PlaygroundAnswer = { problems, matched: [], notMatched: [], evaluationMs };
  const preview = (route: RouteConfig, shown: string, event: unknown, item?: { index: number; count: number; path: string }): PlaygroundAnswer['matched'][number] => {
    const renderer = route.template ? templates.get(route.template) : undefined;
    const entry: PlaygroundAnswer['matched'][number] = { route: shown, ...(route.template ? { template: route.template === EDITED_TEMPLATE ? '(edited)' : route.template } : {}), actions: [] };
    let message: RenderedMessage | undefined;
    if (!renderer) entry.templateError = route.template ? `template "${route.template}" is not loaded` : 'the route has no template';
    else {
      try {
        const ctx = { serverUrl: opts.serverUrl, hookerUrl: opts.hookerUrl, routeName: route.name, eventId: 'playground', ...(item ? { item } : {}) };
        message = renderer.render(templateInput(event, ctx, renderer.inputFlavour));
      } catch (e) {
        entry.templateError = (e as Error).message;
      }
    }
    if (message) {
      const { aggregationPkg: _agg, ...sent } = message as RenderedMessage & { aggregationPkg?: string };
      for (const action of route.actions) entry.actions.push({ action, message: sent });
    }
    return entry;
  };
  for (const route of routes) {
    // A split route (split-by) is judged and rendered per item, as routing does: one entry per item it would send.
    const count = route.splitBy !== undefined ? itemCount(req.event, route.splitBy) : undefined;
    if (route.splitBy !== undefined && count !== undefined && count <= MAX_SPLIT_ITEMS) {
      let any = false;
      for (const it of splitItems(req.event, route.splitBy)!) {
        let ok = false;
        try { ok = compiled.matcher.matchRoute ? compiled.matcher.matchRoute(it.event, route.name) : compiled.matcher.match(it.event).includes(route.name); } catch (e) {
          answer.notMatched.push({ route: runName(route.name, it.index), reason: `evaluation failed: ${(e as Error).message}` });
          continue;
        }
        if (!ok) continue;
        any = true;
        answer.matched.push(preview(route, runName(route.name, it.index), it.event, { index: it.index, count, path: route.splitBy }));
      }
      if (!any) answer.notMatched.push({ route: route.name, reason: count === 0 ? `no items at "${route.splitBy}" (split-by)` : 'its filter accepts no item of this event (split-by)' });
      continue;
    }
    if (!matchedSet.has(route.name)) {
      answer.notMatched.push({ route: route.name, reason: failed.has(route.name) ? `evaluation failed: ${failed.get(route.name)}` : 'its filter does not accept this event' });
      continue;
    }
    answer.matched.push(preview(route, route.name, req.event));
  }
  return answer;
}
