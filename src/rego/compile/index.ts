// The compile stage: parsed modules (and queries) in, a CompiledProgram
// with the guarantees documented in types.ts out. Passes, in order:
//   tree      merge packages into rule sets, conflict checks
//   metadata  rego.metadata.rule()/chain() become constants (metadata.ts)
//   locals    resolve names, rename locals, `some`/`every`/`with`
//   lift      one call per expression, template strings, print
//   safety    reorder bodies, unsafe vars
//   recursion dependency cycles
// Every problem is collected; RegoCompileError lists them all.

import { RegoCompileError } from '../errors.js';
import { lookupBuiltin } from '../builtins/registry.js';
import type { Body, Location, Module, RefTerm, Rule, VarTerm } from '../syntax/ast.js';
import { FreshVars, Problems } from './context.js';
import { entrypointWarnings } from './entrypoints.js';
import { checkRootShadowing, importAliases } from './imports.js';
import { liftBody, liftRule, type LiftEnv } from './lift.js';
import { LocalRewriter } from './locals.js';
import { MetadataScopes, rewriteMetadataCalls } from './metadata.js';
import { withoutMetadataCalls } from '../syntax/parser.js';
import { checkRecursion } from './recursion.js';
import { QUERY_NAMES, type Names } from './resolve.js';
import { SafetyChecker } from './safety.js';
import { bodyVars, dataPrefix, dottedName, SAFETY, termVars } from './terms.js';
import { buildTree } from './tree.js';
import type { CompiledProgram, CompiledQuery, RuleSet } from './types.js';

export type { CompiledProgram, CompiledQuery, DocNode, RuleSet } from './types.js';

export interface CompileModulesOptions {
  entrypoints: string[][];
  queries?: Array<{ name: string; body: Body; loc?: Location }>;
  /**
   * The caller hands the modules over (freshly parsed, not used afterwards):
   * the passes may rewrite them in place. Copying a large bundle's ASTs
   * otherwise costs more than parsing them.
   */
  owned?: boolean;
}

export function compileModules(modules: Module[], opts: CompileModulesOptions): CompiledProgram {
  const problems = new Problems();
  const fresh = new FreshVars(userVarNames(modules, opts.queries ?? []));
  // Passes rewrite rules in place: work on a copy so callers keep their ASTs.
  const mods = opts.owned ? modules : structuredClone(modules);
  const tree = buildTree(mods, problems);
  const table = { ruleSets: tree.ruleSets };
  const metadata = new MetadataScopes(mods, tree.entries, problems);
  for (const { rule, module, path } of tree.entries) {
    if (!withoutMetadataCalls.has(module)) rewriteMetadataCalls(rule, metadata, path, module.package.path);
  }

  const namesByModule = new Map<Module, Names>();
  for (const m of mods) {
    checkRootShadowing(m, problems);
    namesByModule.set(m, {
      pkg: m.package.path,
      roots: tree.packageRoots.get(m.package.path.join('.')) ?? new Set(),
      aliases: importAliases(m, problems),
    });
  }

  const lift: LiftEnv = { fresh };
  const safety = new SafetyChecker({ arity: (op) => arityOf(op, tree.ruleSets), problems, fresh });

  for (const { rule, module } of tree.entries) {
    const before = problems.count;
    new LocalRewriter({ names: namesByModule.get(module)!, table, problems, fresh }).rule(rule, module.package.path);
    liftRule(rule, lift);
    // As OPA stops after a failing stage: unsafe vars are only reported for rules that resolved.
    if (problems.count === before) safety.rule(rule);
  }

  const queries: CompiledQuery[] = (opts.queries ?? []).map((q) => {
    const vars = reportedVars(q.body);
    const before = problems.count;
    const rewritten = new LocalRewriter({ names: QUERY_NAMES, table, problems, fresh }).query(q.body);
    const lifted = liftBody(rewritten.body, lift);
    const body = problems.count === before ? safety.query(lifted) : lifted;
    const varNames = new Map(vars.map((name) => [name, rewritten.renamed.get(name) ?? name]));
    return { name: q.name, body, vars, varNames, loc: q.loc ?? q.body[0]?.loc ?? { file: q.name, row: 1, col: 1 } };
  });

  if (problems.count === 0) checkRecursion(tree.root, tree.ruleSets, problems);
  if (problems.count > 0) throw new RegoCompileError(problems.list);

  return {
    root: tree.root,
    ruleSets: tree.ruleSets,
    queries,
    entrypoints: opts.entrypoints,
    warnings: entrypointWarnings(tree.root, opts.entrypoints),
  };
}

function userVarNames(modules: Module[], queries: Array<{ body: Body }>): Set<string> {
  const out = new Map<string, VarTerm>();
  for (const m of modules) {
    for (const rule of m.rules) {
      for (let r: Rule | undefined = rule; r; r = r.else) {
        for (const t of [...r.head.ref, ...(r.head.args ?? []), r.head.key, r.head.value]) if (t) termVars(t, {}, out);
        bodyVars(r.body, {}, out);
      }
    }
  }
  for (const q of queries) bodyVars(q.body, {}, out);
  return new Set(out.keys());
}

/** Inputs of a call operator: a function's arity or a builtin's argument count; -1 when unknown. */
function arityOf(op: RefTerm, ruleSets: Map<string, RuleSet>): number {
  const path = dataPrefix(op);
  if (path) {
    const set = ruleSets.get(path.join('.'));
    return set?.kind === 'function' ? (set.arity ?? 0) : -1;
  }
  const name = dottedName(op);
  const decl = name === undefined ? undefined : lookupBuiltin(name);
  if (!decl || decl.variadic) return -1;
  return decl.args.length;
}

/** The query's user-visible vars in order of first appearance (not `_`, `$`/`__` generated names, nor roots). */
function reportedVars(body: Body): string[] {
  const out: string[] = [];
  for (const name of bodyVars(body, SAFETY).keys()) {
    if (name.startsWith('_') || name.startsWith('$') || name === 'data' || name === 'input') continue;
    out.push(name);
  }
  return out;
}

