// Generates the Rego of a whole config's routing: every route's filters are
// renamed into their own package (data.hooker.route_<i>) where their `allow`
// rules are OR-ed, and one generated module collects the names of matching
// routes in data.hooker.routes.matched, the single entrypoint each event is
// evaluated against.

import { readFileSync, existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { RouteConfig } from '../config/types.js';
import type { Problem } from '../config/problems.js';
import { RegoCompileError, type RegoProblem } from '../rego/errors.js';
import { declaredPackage, renamePackage, withDetectedVersion, type VersionedModule } from './rego-version.js';

export const ROUTES_ENTRYPOINT = 'hooker/routes/matched';

/** Where a generated module's lines come from, to report errors in the user's terms. */
export interface ModuleOrigin {
  routeName: string;
  routePath: string;
  /** The user's file (cfg.yaml for inline input, the filter file otherwise). */
  file: string;
  /** Added to the module's row to get the line in `file`. */
  lineOffset: number;
  /** Inline input only: its lines in `file` (first..last); rows of the generated wrapper outside them are reported at the nearest. */
  span?: { first: number; last: number };
  what: string;
  /** The generated package (hooker.route_<i>) and the one the user wrote, so messages name the user's. */
  renamed?: { from: string; to: string };
}

/** Rewrites `data.hooker.route_<i>` in a compiler message back to the user's package name. */
function userTerms(message: string, origin: ModuleOrigin): string {
  if (!origin.renamed) return message;
  const { from, to } = origin.renamed;
  return message.split(`data.${from}.`).join(`data.${to}.`).split(`data.${from}`).join(`data.${to}`);
}

export interface RouteProgram {
  modules: VersionedModule[];
  origins: Map<string, ModuleOrigin>;
  /** Route name -> package below data (e.g. hooker.route_0), absent for routes without input. */
  packages: Map<string, string>;
  problems: Problem[];
}

export function routePackage(index: number): string {
  return `hooker.route_${index}`;
}

/** Postee's input-files are names below REGO_FILTERS_PATH, with or without `.rego`. */
export function resolveFilterFile(name: string, filtersPath: string): string | undefined {
  const candidates = isAbsolute(name) ? [name, `${name}.rego`] : [join(filtersPath, name), join(filtersPath, `${name}.rego`), name];
  return candidates.find((c) => existsSync(c));
}

export function regoProblems(e: RegoCompileError, origins: Map<string, ModuleOrigin>, fallbackFile: string): Problem[] {
  return e.problems.map((p: RegoProblem) => {
    const origin = p.loc ? origins.get(p.loc.file) : undefined;
    if (!origin) {
      return { severity: 'error' as const, file: p.loc?.file ?? fallbackFile, line: p.loc?.row, path: '', message: `${p.code}: ${p.message}` };
    }
    let line = p.loc ? Math.max(1, p.loc.row + origin.lineOffset) : undefined;
    let where = p.loc ? ` (Rego line ${p.loc.row}, column ${p.loc.col})` : '';
    // The column in the user's own text: the module's (inline input lines are copied verbatim).
    let column = p.loc?.col;
    if (origin.span && line !== undefined) {
      // The wrapper's own lines (package, `allow if {`, `}`) are not the user's: an error there
      // (an expression cut short meets the closing brace) belongs to the input's first or last line.
      const inside = line >= origin.span.first && line <= origin.span.last;
      if (!inside) column = undefined;
      line = Math.min(Math.max(line, origin.span.first), origin.span.last);
      where = inside && p.loc ? ` (column ${p.loc.col} of the input)` : line === origin.span.last ? ' (at the end of the input)' : '';
    }
    return {
      severity: 'error' as const,
      file: origin.file,
      line,
      ...(column !== undefined ? { column } : {}),
      path: origin.what === 'input' ? `${origin.routePath}.input` : origin.routePath,
      message: `route "${origin.routeName}" ${origin.what}: ${p.code}: ${userTerms(p.message, origin)}${where}`,
    };
  });
}

function inlineModule(route: RouteConfig, pkg: string, file: string, version: 'v0' | 'v1'): string {
  const head = version === 'v1' ? 'allow if {' : 'allow {';
  return `package ${pkg}\n${head}\n${route.input}\n}\n`;
}

export function buildRouteProgram(routes: RouteConfig[], opts: { cfgFile: string; filtersPath: string }): RouteProgram {
  const modules: VersionedModule[] = [];
  const origins = new Map<string, ModuleOrigin>();
  const packages = new Map<string, string>();
  const problems: Problem[] = [];
  const matched: string[] = [];

  routes.forEach((route, i) => {
    const pkg = routePackage(i);
    const routeModules: VersionedModule[] = [];
    if (route.input !== undefined) {
      const file = `${opts.cfgFile}#${route.path}.input`;
      // `input: |` puts the Rego on the line after the key; the module has 2 header lines.
      const firstLine = (route.inputLine ?? 1) + (route.input.includes('\n') ? 1 : 0);
      const inputLines = route.input.replace(/\n+$/, '').split('\n').length;
      const origin: ModuleOrigin = {
        routeName: route.name, routePath: route.path, file: opts.cfgFile, lineOffset: firstLine - 3, what: 'input',
        span: { first: firstLine, last: firstLine + inputLines - 1 },
      };
      origins.set(file, origin);
      try {
        // Both wrappers are tried: v1 for Hooker users, v0 for Postee inputs using old-style bodies.
        try {
          routeModules.push(withDetectedVersion({ file, source: inlineModule(route, pkg, file, 'v1') }, ['v1']));
        } catch (e) {
          if (!(e instanceof RegoCompileError)) throw e;
          try { routeModules.push(withDetectedVersion({ file, source: inlineModule(route, pkg, file, 'v0') }, ['v0'])); } catch { throw e; }
        }
      } catch (e) {
        if (!(e instanceof RegoCompileError)) throw e;
        problems.push(...regoProblems(e, origins, opts.cfgFile));
      }
    }
    route.inputFiles.forEach((name, j) => {
      const path = resolveFilterFile(name, opts.filtersPath);
      if (!path) {
        problems.push({ severity: 'error', file: opts.cfgFile, line: route.line, path: `${route.path}.input-files[${j}]`, message: `route "${route.name}": filter file "${name}" not found (looked in ${opts.filtersPath})` });
        return;
      }
      const text = readFileSync(path, 'utf8');
      const renamed = renamePackage(text, pkg);
      if (!renamed.renamed) {
        problems.push({ severity: 'error', file: path, line: 1, path: `${route.path}.input-files[${j}]`, message: `route "${route.name}": ${path} has no package clause (expected package hooker or package postee with rule allow)` });
        return;
      }
      origins.set(path, {
        routeName: route.name, routePath: `${route.path}.input-files[${j}]`, file: path, lineOffset: 0, what: `input-file ${name}`,
        renamed: { from: pkg, to: declaredPackage(text) ?? 'postee' },
      });
      try {
        routeModules.push(withDetectedVersion({ file: path, source: renamed.source }));
      } catch (e) {
        if (!(e instanceof RegoCompileError)) throw e;
        problems.push(...regoProblems(e, origins, path));
      }
    });
    modules.push(...routeModules);
    const name = JSON.stringify(route.name);
    if (route.input === undefined && route.inputFiles.length === 0) {
      matched.push(`matched contains ${name} if { true }`);
    } else {
      packages.set(route.name, pkg);
      matched.push(`matched contains ${name} if { data.${pkg}.allow }`);
    }
  });

  const routesFile = `${opts.cfgFile}#routes`;
  modules.push({ file: routesFile, source: `package hooker.routes\n\n${matched.join('\n')}\n`, regoVersion: 'v1' });
  return { modules, origins, packages, problems };
}
