// Import declarations: which names a module's imports bring into scope.

import type { Import, Module, Term } from '../syntax/ast.js';
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
