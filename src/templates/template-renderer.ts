// A template compiled to wasm: evaluates its `title`, `result`, `url` and
// `aggregation_pkg` rules for an event. A generated wrapper package re-exports
// those rules so every template has the same four entrypoints whichever of
// them it defines.

import { compile, loadPolicy, RegoCompileError, type RegoPolicy } from '../rego/index.js';
import type { RenderedMessage } from '../actions/types.js';
import type { VersionedModule } from '../routing/rego-version.js';

const WRAPPER = 'hooker_template_render';
const RULES = ['title', 'result', 'url', 'aggregation_pkg'] as const;

export interface TemplateRenderer {
  readonly name: string;
  readonly package: string;
  render(input: unknown): RenderedMessage & { aggregationPkg?: string };
  /** Combines buffered messages of an aggregating route; absent when the template has no aggregation package. */
  aggregate?(messages: RenderedMessage[]): RenderedMessage;
}

export class TemplateRenderError extends Error {}

function wrapperModule(pkg: string): VersionedModule {
  const lines = RULES.map((r) => `${r} := data.${pkg}.${r}`);
  return { file: `template-wrapper:${pkg}`, source: `package ${WRAPPER}\n\n${lines.join('\n')}\n`, regoVersion: 'v1' };
}

function asText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Compiles the modules of one template; throws RegoCompileError. */
export async function compileTemplate(name: string, pkg: string, modules: VersionedModule[]): Promise<TemplateRenderer> {
  const entrypoints = RULES.map((r) => `${WRAPPER}/${r}`);
  const { wasm } = compile({ modules: [...modules, wrapperModule(pkg)], entrypoints });
  const policy: RegoPolicy = await loadPolicy(wasm);
  const value = (input: unknown, rule: string): unknown => policy.evaluate(input, `${WRAPPER}/${rule}`)[0]?.['result'];
  return {
    name,
    package: pkg,
    render(input) {
      const result = value(input, 'result');
      if (result === undefined) throw new TemplateRenderError(`template "${name}" (${pkg}): rule result is undefined for this event`);
      const title = value(input, 'title');
      const url = value(input, 'url');
      const agg = value(input, 'aggregation_pkg');
      return {
        title: title === undefined ? '' : asText(title),
        body: asText(result),
        ...(url !== undefined && url !== '' ? { url: asText(url) } : {}),
        ...(typeof agg === 'string' ? { aggregationPkg: agg } : {}),
      };
    },
  };
}

export { RegoCompileError };
