// Import declarations: which names a module's imports bring into scope.

import type { Body, Import, Module, Term } from '../syntax/ast.js';
import type { Problems } from './context.js';

const FUTURE_KEYWORDS = new Set(['in', 'every', 'if', 'contains']);

/** alias -> the ref terms it stands for (`import data.a.b as c`: c -> data.a.b). */
export type ImportAliases = Map<string, Term[]>;

function importName(imp: Import): string | undefined {
  if (imp.alias) return imp.alias;
  const last = imp.path.terms[imp.path.terms.length - 1];
  if (last?.type === 'string') return last.value;
  if (last?.type === 'var') return last.name;
  return undefined;
}

export function importAliases(module: Module, problems: Problems): ImportAliases {
  const aliases: ImportAliases = new Map();
  for (const imp of module.imports) {
    const [head, ...rest] = imp.path.terms;
    const root = head?.type === 'var' ? head.name : undefined;
    const keys = rest.map((t) => (t.type === 'string' ? t.value : undefined));
    if (root === 'future') {
      const ok = keys[0] === 'keywords' && (keys.length === 1 || (keys.length === 2 && FUTURE_KEYWORDS.has(keys[1] ?? '')));
      if (!ok) problems.add('rego_parse_error', `unexpected future keyword import ${formatImport(imp)}`, imp.loc);
      continue;
    }
    if (root === 'rego') {
      if (keys.length !== 1 || keys[0] !== 'v1') problems.add('rego_parse_error', `invalid import ${formatImport(imp)}, must be rego.v1`, imp.loc);
      continue;
    }
    if (root !== 'data' && root !== 'input') {
      problems.add('rego_parse_error', `invalid import path ${formatImport(imp)}: path must begin with input, data, future or rego`, imp.loc);
      continue;
    }
    if (keys.some((k) => k === undefined)) {
      problems.add('rego_parse_error', `invalid import path ${formatImport(imp)}: path elements must be strings`, imp.loc);
      continue;
    }
    const name = importName(imp);
    if (name === undefined || (name === root && rest.length === 0)) continue;
    if (aliases.has(name)) problems.add('rego_compile_error', `import must not shadow import ${name}`, imp.loc);
    aliases.set(name, imp.path.terms);
  }
  return aliases;
}

function formatImport(imp: Import): string {
  const [head, ...rest] = imp.path.terms;
  const text = [head?.type === 'var' ? head.name : '?', ...rest.map((t) => (t.type === 'string' ? t.value : '?'))].join('.');
  return imp.alias ? `${text} as ${imp.alias}` : text;
}

const ROOTS = new Set(['data', 'input']);

function isRegoV1(module: Module): boolean {
  return module.regoVersion === 'v1' || module.imports.some((imp) => {
    const [head, key] = imp.path.terms;
    return head?.type === 'var' && head.name === 'rego' && key?.type === 'string' && key.value === 'v1';
  });
}

/**
 * Rego v1 (and `import rego.v1`) forbids rules and `:=` variables named after the root documents, with
 * OPA's messages (CheckRegoV1's root document overrides). A v0 module may declare them: there the rule
 * shadows the root within its package (resolve.ts).
 */
export function checkRootShadowing(module: Module, problems: Problems): void {
  if (!isRegoV1(module)) return;
  const assignments = (body: Body): void => {
    for (const e of body) {
      if (e.kind.type !== 'call') continue;
      const op = e.kind.operator.terms[0];
      const lhs = e.kind.args[0];
      const name = lhs?.type === 'var' ? lhs.name : lhs?.type === 'ref' && lhs.terms.length === 1 && lhs.terms[0]!.type === 'var' ? lhs.terms[0]!.name : undefined;
      if (e.kind.operator.terms.length === 1 && op?.type === 'var' && op.name === 'assign' && name !== undefined && ROOTS.has(name)) {
        problems.add('rego_compile_error', `variables must not shadow ${name} (use a different variable name)`, e.loc);
      }
    }
  };
  for (const rule of module.rules) {
    const head = rule.head.ref[0];
    if (head?.type === 'var' && ROOTS.has(head.name)) {
      problems.add('rego_compile_error', `rules must not shadow ${head.name} (use a different rule name)`, rule.loc);
    }
    for (let r: typeof rule | undefined = rule; r; r = r.else) assignments(r.body);
  }
}
