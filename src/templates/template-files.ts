// Finds Rego template modules: the bundled set in rego/templates and the
// user's REGO_TEMPLATES_PATH (which wins for a package it declares).
// `postee.*` packages fall back to the bundled `hooker.*` of the same name so
// Postee configs keep working.
//
// A template is compiled with the modules it needs only: those declaring its
// package, and (transitively) those declaring a package it refers to as
// `data.<package>...` or names as its aggregation_pkg. So a module that does
// not compile breaks only the templates that depend on it, never a whole
// directory (Postee's own rego-templates/ holds files OPA rejects).

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { declaredPackage } from '../routing/rego-version.js';

export interface RegoFile {
  file: string;
  source: string;
  package?: string;
}

/** rego/templates of this installation (works from src/ under tsx and from dist/). */
export function bundledTemplatesDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return join(here, '..', '..', 'rego', 'templates');
}

export function readRegoDir(dir: string): RegoFile[] {
  const out: RegoFile[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (name.endsWith('.rego') && !name.endsWith('_test.rego')) {
        const source = readFileSync(p, 'utf8');
        out.push({ file: p, source, package: declaredPackage(source) });
      }
    }
  };
  walk(dir);
  return out;
}

const DATA_REF = /\bdata\.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)/g;
const AGGREGATION_PKG = /^\s*aggregation_pkg\s*:?=\s*"([A-Za-z_][A-Za-z0-9_.]*)"/gm;

/** Packages a module's source refers to (data references and aggregation_pkg). */
export function referencedPaths(source: string): string[] {
  const out = new Set<string>();
  for (const m of source.matchAll(DATA_REF)) out.add(m[1]!);
  for (const m of source.matchAll(AGGREGATION_PKG)) out.add(m[1]!);
  return [...out];
}

/** True when `data.<ref>` reads from (or contains) package `pkg`. */
function touches(ref: string, pkg: string): boolean {
  return ref === pkg || ref.startsWith(`${pkg}.`) || pkg.startsWith(`${ref}.`);
}

/** `roots` plus every module of `set` they need, transitively. */
export function withDependencies(roots: RegoFile[], set: RegoFile[]): RegoFile[] {
  const chosen = new Set<RegoFile>(roots);
  const queue = [...roots];
  while (queue.length) {
    const m = queue.shift()!;
    for (const ref of referencedPaths(m.source)) {
      for (const other of set) {
        if (!chosen.has(other) && other.package && touches(ref, other.package)) { chosen.add(other); queue.push(other); }
      }
    }
  }
  return set.filter((f) => chosen.has(f));
}

export interface TemplateLibrary {
  /** Modules needed to evaluate `pkg` (its own and its library's), or undefined when no module declares it. */
  modulesFor(pkg: string): { package: string; modules: RegoFile[]; user: boolean } | undefined;
  /** Modules of the user's directory (else the bundled set) that `source` refers to, for body and url templates. */
  dependenciesOf(source: string): RegoFile[];
  packages(): string[];
}

export function loadTemplateLibrary(opts: { bundledDir?: string; userDir?: string }): TemplateLibrary {
  const bundled = readRegoDir(opts.bundledDir ?? bundledTemplatesDir());
  let user: RegoFile[] = [];
  if (opts.userDir) {
    try { user = readRegoDir(opts.userDir); } catch (e) { throw new Error(`REGO_TEMPLATES_PATH ${opts.userDir}: ${(e as Error).message}`); }
  }
  const has = (set: RegoFile[], pkg: string) => set.some((f) => f.package === pkg);
  return {
    modulesFor(pkg) {
      const own = (set: RegoFile[], p: string) => withDependencies(set.filter((f) => f.package === p), set);
      if (has(user, pkg)) return { package: pkg, modules: own(user, pkg), user: true };
      if (has(bundled, pkg)) return { package: pkg, modules: own(bundled, pkg), user: false };
      const alias = pkg.startsWith('postee.') ? `hooker.${pkg.slice('postee.'.length)}` : undefined;
      if (alias && has(bundled, alias)) return { package: alias, modules: own(bundled, alias), user: false };
      return undefined;
    },
    dependenciesOf(source) {
      const root: RegoFile = { file: '', source };
      return [...withDependencies([root], [root, ...user]), ...withDependencies([root], [root, ...bundled])].filter((f) => f !== root);
    },
    packages() {
      return [...new Set([...user, ...bundled].map((f) => f.package).filter((p): p is string => !!p))].sort();
    },
  };
}
