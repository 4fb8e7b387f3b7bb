// A template compiled to wasm: evaluates its `title`, `result`, `url` and
// `aggregation_pkg` rules for an event. A generated wrapper package re-exports
// those rules so every template has the same four entrypoints whichever of
// them it defines.

import { compile, loadPolicy, RegoCompileError, type RegoPolicy } from '../rego/index.js';
import type { RenderedMessage } from '../actions/types.js';
import { evalLimitsFromEnv } from '../rego/limits.js';
import type { VersionedModule } from '../routing/rego-version.js';
import type { InputFlavour } from './template-input.js';
import { goMarshal } from './go-json.js';
import { parseJson, stringifyJson } from '../json/lossless.js';

const WRAPPER = 'hooker_template_render';
/** File name of the generated wrapper module (compile errors located there are reported differently). */
export const WRAPPER_FILE_PREFIX = 'template-wrapper:';
const RULES = ['title', 'result', 'url', 'aggregation_pkg'] as const;

export interface TemplateRenderer {
  readonly name: string;
  readonly package: string;
  /** 'postee' for Postee's own templates: they get the input Postee gave them (template-input.ts). */
  readonly inputFlavour?: InputFlavour;
  render(input: unknown): RenderedMessage & { aggregationPkg?: string };
  /**
   * True when the message does not depend on the route (the template never
   * reads `input.hooker.route`, `input.postee.Route` or Postee's
   * response_policy_* keys): the router renders it once per event for all
   * the routes that use it.
   */
  readonly routeIndependent?: boolean;
  /** Renders from the bare event (no template input built): the JavaScript twins of native-templates.ts. */
  renderEvent?(event: unknown): RenderedMessage;
  /** Combines buffered messages of an aggregating route; absent when the template has no aggregation package. */
  aggregate?(messages: RenderedMessage[]): RenderedMessage;
}

export class TemplateRenderError extends Error {}

const AGG_RULES = ['title', 'result', 'url'] as const;

// One entrypoint per use returns every defined rule at once: a single
// evaluation (and a single copy of the input into wasm) per message.
function wrapperModule(pkg: string, aggregationPkg?: string): VersionedModule {
  const lines = RULES.map((r) => `parts contains [${JSON.stringify(r)}, x] if { x := data.${pkg}.${r} }`);
  lines.push('render := {p[0]: p[1] | some p in parts}');
  if (aggregationPkg) {
    lines.push(...AGG_RULES.map((r) => `agg_parts contains [${JSON.stringify(r)}, x] if { x := data.${aggregationPkg}.${r} }`));
    lines.push('aggregate := {p[0]: p[1] | some p in agg_parts}');
  }
  return { file: `${WRAPPER_FILE_PREFIX}${pkg}`, source: `package ${WRAPPER}\n\n${lines.join('\n')}\n`, regoVersion: 'v1' };
}

/** The package a template names in `aggregation_pkg := "..."`, found statically so it can be compiled with the template. */
export function declaredAggregationPackage(modules: Array<{ source: string }>): string | undefined {
  for (const m of modules) {
    const found = /^\s*aggregation_pkg\s*:?=\s*"([A-Za-z_][A-Za-z0-9_.]*)"/m.exec(m.source);
    if (found) return found[1];
  }
  return undefined;
}

/** What an aggregation package sees as input (Postee's shape): one entry per buffered message. */
export function aggregationInput(messages: RenderedMessage[]): unknown[] {
  return messages.map((m) => {
    let description: unknown = m.body;
    try { description = parseJson(m.body); } catch { /* text results stay strings */ }
    return { title: m.title, description, url: m.url ?? '' };
  });
}

/** `result`/`title` as the body text: strings as they are, other values as JSON (Go's json.Marshal text for Postee's templates). */
function textOf(goJson: boolean): (v: unknown) => string {
  return (v) => (typeof v === 'string' ? v : goJson ? goMarshal(v) : stringifyJson(v)!);
}

/** Compiles the modules of one template; throws RegoCompileError. */
export async function compileTemplate(name: string, pkg: string, modules: VersionedModule[], aggregationPkg?: string, opts: { goJson?: boolean } = {}): Promise<TemplateRenderer> {
  const asText = textOf(opts.goJson ?? false);
  const entrypoints = [`${WRAPPER}/render`, ...(aggregationPkg ? [`${WRAPPER}/aggregate`] : [])];
  const { wasm } = compile({ modules: [...modules, wrapperModule(pkg, aggregationPkg)], entrypoints });
  const policy: RegoPolicy = await loadPolicy(wasm, { limits: evalLimitsFromEnv(process.env) });
  const parts = (input: unknown, entrypoint: string): Record<string, unknown> =>
    (policy.evaluate(input, `${WRAPPER}/${entrypoint}`)[0]?.['result'] ?? {}) as Record<string, unknown>;
  return {
    name,
    package: pkg,
    render(input) {
      const { result, title, url, aggregation_pkg: agg } = parts(input, 'render');
      if (result === undefined) throw new TemplateRenderError(`template "${name}" (${pkg}): rule result is undefined for this event`);
      return {
        title: title === undefined ? '' : asText(title),
        body: asText(result),
        ...(url !== undefined && url !== '' ? { url: asText(url) } : {}),
        ...(typeof agg === 'string' ? { aggregationPkg: agg } : {}),
      };
    },
    ...(aggregationPkg ? {
      aggregate(messages: RenderedMessage[]): RenderedMessage {
        const { result, title, url } = parts(aggregationInput(messages), 'aggregate');
        if (result === undefined) throw new TemplateRenderError(`template "${name}": ${aggregationPkg}.result is undefined for ${messages.length} messages`);
        return {
          title: title === undefined ? '' : asText(title),
          body: asText(result),
          ...(url !== undefined && url !== '' ? { url: asText(url) } : {}),
        };
      },
    } : {}),
  };
}

export { RegoCompileError };
