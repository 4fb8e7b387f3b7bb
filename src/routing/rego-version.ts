// Postee filters and templates are Rego v0; Hooker's are v1. Rather than ask
// the user, each module is parsed as v1 and then v0 and keeps the version
// that parses. When neither does, the error that got further into the text
// is the one that describes the user's mistake.

import type { RegoVersion } from '../rego/syntax/ast.js';
import type { SourceModule } from '../rego/index.js';
import { RegoCompileError } from '../rego/errors.js';
import { parseModule } from '../rego/syntax/parser.js';

export interface VersionedModule extends SourceModule {
  regoVersion: RegoVersion;
}

function furthest(a: RegoCompileError, b: RegoCompileError): RegoCompileError {
  const pos = (e: RegoCompileError) => {
    const loc = e.problems[0]?.loc;
    return loc ? loc.row * 100_000 + loc.col : 0;
  };
  return pos(b) > pos(a) ? b : a;
}

/** The module with the Rego version it parses as; throws RegoCompileError when it parses as neither. */
export function withDetectedVersion(module: SourceModule, order: RegoVersion[] = ['v1', 'v0']): VersionedModule {
  let best: RegoCompileError | undefined;
  for (const version of order) {
    try {
      parseModule(module.source, module.file, { regoVersion: version });
      return { ...module, regoVersion: version };
    } catch (e) {
      if (!(e instanceof RegoCompileError)) throw e;
      best = best ? furthest(best, e) : e;
    }
  }
  throw best!;
}

const PACKAGE_LINE = /^(\s*)package\s+[A-Za-z_][A-Za-z0-9_.\[\]"]*/m;

/** Replaces the module's package clause, keeping every line where it was. */
export function renamePackage(source: string, newPackage: string): { source: string; renamed: boolean } {
  // Skip leading comments so a "package" word inside them is not touched.
  const lines = source.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i]!.trim();
    if (t === '' || t.startsWith('#')) continue;
    if (PACKAGE_LINE.test(lines[i]!)) {
      lines[i] = lines[i]!.replace(PACKAGE_LINE, `$1package ${newPackage}`);
      return { source: lines.join('\n'), renamed: true };
    }
    break;
  }
  return { source, renamed: false };
}

/** The package a module declares, e.g. "postee.vuls.html". */
export function declaredPackage(source: string): string | undefined {
  for (const line of source.split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const m = /^package\s+([A-Za-z_][A-Za-z0-9_.]*)/.exec(t);
    return m?.[1];
  }
  return undefined;
}
