// cfg.yaml templates -> compiled renderers, or problems naming the template,
// its file and line.

import type { TemplateConfig } from '../config/types.js';
import type { Problem } from '../config/problems.js';
import { RegoCompileError } from '../rego/index.js';
import { declaredPackage, withDetectedVersion, type VersionedModule } from '../routing/rego-version.js';
import { compileTemplate, declaredAggregationPackage, WRAPPER_FILE_PREFIX, type TemplateRenderer } from './template-renderer.js';
import type { TemplateLibrary } from './template-files.js';
import { fetchTemplate } from './template-fetch.js';
import { createLegacyRenderer } from './legacy-scan-renderer.js';
import { readsRouteKeys, type InputFlavour } from './template-input.js';
import { NATIVE_TEMPLATES } from './native-templates.js';
import type { RenderedMessage } from '../actions/types.js';

export interface CompiledTemplates {
  renderers: Map<string, TemplateRenderer>;
  problems: Problem[];
}

/** `lastLine`: an inline body's last line in cfg.yaml (an error at its end, such as eof, is reported there). */
interface Origin { file: string; lineOffset: number; lastLine?: number }

function rego(e: RegoCompileError, t: TemplateConfig, origins: Map<string, Origin>, cfgFile: string): Problem[] {
  // Problems in the generated wrapper module only echo the template's own; keep them only when alone.
  const own = e.problems.filter((p) => !p.loc?.file.startsWith(WRAPPER_FILE_PREFIX));
  return (own.length ? own : e.problems).map((p) => {
    const o = p.loc ? origins.get(p.loc.file) : undefined;
    return {
      severity: 'error' as const,
      file: o?.file ?? p.loc?.file ?? cfgFile,
      line: p.loc ? Math.min(p.loc.row + (o?.lineOffset ?? 0), o?.lastLine ?? Infinity) : t.line,
      ...(p.loc ? { column: p.loc.col } : {}),
      path: t.path,
      message: `template "${t.name}": ${p.code}: ${p.message}`,
    };
  });
}

/** Postee's own packages get the input Postee gave them; Hooker's bundled ones (also under a postee.* alias) get Hooker's. */
const flavourOf = (pkg: string, user: boolean): InputFlavour => (user && (pkg === 'postee' || pkg.startsWith('postee.')) ? 'postee' : 'hooker');

/** Parses each module with its detected Rego version; a module that does not parse fails this template only. */
function versioned(files: Array<{ file: string; source: string }>): VersionedModule[] {
  return files.map((m) => withDetectedVersion({ file: m.file, source: m.source }));
}

async function modulesOf(t: TemplateConfig, library: TemplateLibrary, cfgFile: string, origins: Map<string, Origin>): Promise<{ pkg: string; modules: VersionedModule[]; flavour: InputFlavour; bundled?: boolean }> {
  const src = t.source;
  if (src.kind === 'legacy') throw new Error('legacy renderers have no Rego modules');
  if (src.kind === 'rego-package') {
    const found = library.modulesFor(src.package);
    if (!found) throw new Error(`rego-package "${src.package}" is not a bundled template nor found under REGO_TEMPLATES_PATH`);
    for (const m of found.modules) origins.set(m.file, { file: m.file, lineOffset: 0 });
    return { pkg: found.package, modules: versioned(found.modules), flavour: flavourOf(found.package, found.user), bundled: !found.user };
  }
  const text = src.kind === 'body' ? src.body : await fetchTemplate(src.url);
  const file = src.kind === 'body' ? `${cfgFile}#${t.path}.body` : src.url;
  origins.set(file, src.kind === 'body'
    ? { file: cfgFile, lineOffset: (src.line ?? 1) + (src.body.includes('\n') ? 1 : 0) - 1, lastLine: (src.line ?? 1) + (src.body.includes('\n') ? 1 : 0) - 1 + src.body.replace(/\n+$/, '').split('\n').length }
    : { file: src.url, lineOffset: 0 });
  const pkg = declaredPackage(text);
  if (!pkg) throw new Error(`${src.kind === 'body' ? 'body' : src.url} has no package clause`);
  const deps = library.dependenciesOf(text);
  for (const m of deps) origins.set(m.file, { file: m.file, lineOffset: 0 });
  return { pkg, modules: [withDetectedVersion({ file, source: text }), ...versioned(deps)], flavour: flavourOf(pkg, true) };
}

/** A bundled projection template rendered by its JavaScript twin: no wasm compiled, the same text. */
function nativeRenderer(name: string, pkg: string, render: (event: unknown) => RenderedMessage): TemplateRenderer {
  // `render` gets a template input: the event plus the keys Hooker adds, which these templates remove again.
  return { name, package: pkg, inputFlavour: 'hooker', routeIndependent: true, render, renderEvent: render };
}

export async function compileTemplates(templates: TemplateConfig[], opts: { cfgFile: string; library: TemplateLibrary; only?: Set<string> }): Promise<CompiledTemplates> {
  const renderers = new Map<string, TemplateRenderer>();
  const problems: Problem[] = [];
  // Bundled templates share modules; compile each distinct (package, module set) once.
  const cache = new Map<string, Promise<TemplateRenderer>>();
  for (const t of templates) {
    if (opts.only && !opts.only.has(t.name)) continue;
    const origins = new Map<string, Origin>();
    if (t.source.kind === 'legacy') {
      renderers.set(t.name, createLegacyRenderer(t.name, t.source.renderer));
      continue;
    }
    try {
      const { pkg, modules, flavour, bundled } = await modulesOf(t, opts.library, opts.cfgFile, origins);
      const native = bundled ? NATIVE_TEMPLATES.get(pkg) : undefined;
      if (native) {
        renderers.set(t.name, nativeRenderer(t.name, pkg, native));
        continue;
      }
      const key = t.source.kind === 'rego-package' ? `pkg:${pkg}` : `tpl:${t.name}`;
      let renderer = cache.get(key);
      if (!renderer) {
        const own = modules.filter((m) => declaredPackage(m.source) === pkg);
        renderer = compileTemplate(t.name, pkg, modules, declaredAggregationPackage(own), { goJson: flavour === 'postee' });
        cache.set(key, renderer);
      }
      const r = await renderer;
      renderers.set(t.name, {
        name: t.name, package: r.package, inputFlavour: flavour, render: r.render,
        routeIndependent: !readsRouteKeys(modules.map((m) => m.source), flavour),
        ...(r.aggregate ? { aggregate: r.aggregate } : {}),
      });
    } catch (e) {
      if (e instanceof RegoCompileError) problems.push(...rego(e, t, origins, opts.cfgFile));
      else problems.push({ severity: 'error', file: opts.cfgFile, line: t.line, path: t.path, message: `template "${t.name}": ${(e as Error).message}` });
    }
  }
  return { renderers, problems };
}
