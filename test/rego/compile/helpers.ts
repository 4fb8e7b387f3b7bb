// Shared helpers for the compile-stage tests: compile Rego source with the
// real parser and print compiled bodies with fresh vars numbered in order
// of appearance ($1, $2, ...), so assertions do not depend on counters.

import { expect } from 'vitest';
import { compileModules } from '../../../src/rego/compile/index.js';
import type { CompiledProgram, RuleSet } from '../../../src/rego/compile/types.js';
import { RegoCompileError, formatProblem } from '../../../src/rego/errors.js';
import type { Rule } from '../../../src/rego/syntax/ast.js';
import { bodyToString, termToString } from '../../../src/rego/syntax/format.js';
import { parseModule, parseQuery } from '../../../src/rego/syntax/parser.js';

export function compile(sources: string | string[], opts: { queries?: Record<string, string>; entrypoints?: string[][] } = {}): CompiledProgram {
  const list = typeof sources === 'string' ? [sources] : sources;
  const modules = list.map((s, i) => parseModule(s, `m${i}.rego`, { regoVersion: 'v1' }));
  const queries = Object.entries(opts.queries ?? {}).map(([name, q]) => ({ name, body: parseQuery(q, name, { regoVersion: 'v1' }) }));
  return compileModules(modules, { entrypoints: opts.entrypoints ?? [], queries });
}

/** The formatted problems of a failing compile (file:row:col: code: message). */
export function compileErrors(sources: string | string[], opts: { queries?: Record<string, string> } = {}): string[] {
  try {
    compile(sources, opts);
  } catch (e) {
    if (e instanceof RegoCompileError) return e.problems.map(formatProblem);
    throw e;
  }
  throw new Error('expected a compile error');
}

/** Renames __localN__ vars to $1, $2... in order of first appearance. */
export function normalize(text: string): string {
  const seen = new Map<string, string>();
  return text.replace(/__local\d+__/g, (m) => {
    if (!seen.has(m)) seen.set(m, `$${seen.size + 1}`);
    return seen.get(m)!;
  });
}

export function ruleText(rule: Rule): string {
  const h = rule.head;
  let head = h.ref.map((t) => termToString(t)).join(' ');
  if (h.args) head += `(${h.args.map((t) => termToString(t)).join(', ')})`;
  if (h.key) head += ` contains ${termToString(h.key)}`;
  if (h.value) head += ` = ${termToString(h.value)}`;
  return `${head} { ${bodyToString(rule.body)} }`;
}

/** Each rule of the set (else rules follow their parent), normalized. */
export function rulesOf(program: CompiledProgram, path: string): string[] {
  const set: RuleSet | undefined = program.ruleSets.get(path);
  expect(set, `rule set ${path}`).toBeDefined();
  const out: string[] = [];
  for (const rule of set!.rules) for (let r: Rule | undefined = rule; r; r = r.else) out.push(normalize(ruleText(r)));
  return out;
}

/** The body of the only rule of a set, normalized. */
export function bodyOf(program: CompiledProgram, path: string): string {
  const set = program.ruleSets.get(path);
  expect(set?.rules.length, `rules of ${path}`).toBe(1);
  return normalize(bodyToString(set!.rules[0]!.body));
}

export function queryBody(program: CompiledProgram, name: string): string {
  const q = program.queries.find((x) => x.name === name);
  expect(q).toBeDefined();
  return normalize(bodyToString(q!.body));
}
