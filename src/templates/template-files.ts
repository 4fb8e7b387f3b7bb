// Finds Rego template modules: the bundled set in rego/templates and the
// user's REGO_TEMPLATES_PATH (which wins for a package it declares).
// `postee.*` packages fall back to the bundled `hooker.*` of the same name so
// Postee configs keep working.

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

export interface TemplateLibrary {
  /** Modules needed to evaluate `pkg` (its own and its library's), or undefined when no module declares it. */
  modulesFor(pkg: string): { package: string; modules: RegoFile[] } | undefined;
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
      if (has(user, pkg)) return { package: pkg, modules: user };
      if (has(bundled, pkg)) return { package: pkg, modules: bundled };
      const alias = pkg.startsWith('postee.') ? `hooker.${pkg.slice('postee.'.length)}` : undefined;
      if (alias && has(bundled, alias)) return { package: alias, modules: bundled };
      return undefined;
    },
    packages() {
      return [...new Set([...user, ...bundled].map((f) => f.package).filter((p): p is string => !!p))].sort();
    },
  };
}
