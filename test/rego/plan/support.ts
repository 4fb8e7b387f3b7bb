// Test support for the planner: a minimal stand-in for the compile stage
// (modules must already be written in compiled form: full data refs, unique
// vars, safe order) and a runner that links the plan into the real runtime.

import { loadPolicy as loadOpaPolicy } from '@open-policy-agent/opa-wasm';
import type { CompiledProgram, DocNode, RuleSet } from '../../../src/rego/compile/types.js';
import { parseModule, parseQuery } from '../../../src/rego/syntax/parser.js';
import { ruleKind, type Rule } from '../../../src/rego/syntax/ast.js';
import { planProgram } from '../../../src/rego/plan/index.js';
import type { Block, Policy, Stmt } from '../../../src/rego/plan/ir.js';
import { emitWasm } from '../../../src/rego/wasm/emit.js';
import { createHostBuiltins } from '../../../src/rego/builtins/index.js';
import { readFileSync } from 'node:fs';
import { decode } from '../../../src/rego/builtins/value.js';
import { Interpreter, toJson } from './interp.js';

function groundPrefix(rule: Rule): string[] {
  const out: string[] = [];
  for (const [i, t] of rule.head.ref.entries()) {
    if (i === 0 && t.type === 'var') out.push(t.name);
    else if (t.type === 'string') out.push(t.value);
    else break;
  }
  return out;
}

export interface QuerySpec { name: string; query: string; vars: string[] }

export function programOf(sources: string[], entrypoints: string[] = [], queries: QuerySpec[] = []): CompiledProgram {
  const root: DocNode = { children: new Map() };
  const ruleSets = new Map<string, RuleSet>();
  sources.forEach((src, i) => {
    const mod = parseModule(src, `test-${i}.rego`, { regoVersion: 'v1' });
    for (const rule of mod.rules) {
      const path = [...mod.package.path, ...groundPrefix(rule)];
      const key = path.join('.');
      let rs = ruleSets.get(key);
      if (!rs) {
        rs = { path, kind: ruleKind(rule), rules: [] };
        if (rule.head.args) rs.arity = rule.head.args.length;
        ruleSets.set(key, rs);
        let node = root;
        for (const seg of path) {
          let child = node.children.get(seg);
          if (!child) node.children.set(seg, (child = { children: new Map() }));
          node = child;
        }
        node.ruleSet = rs;
      }
      if (rule.default) rs.default = rule;
      else rs.rules.push(rule);
    }
  });
  return {
    root,
    ruleSets,
    entrypoints: entrypoints.map((e) => e.split('/')),
    queries: queries.map((q) => ({
      name: q.name,
      body: parseQuery(q.query, `query:${q.name}`, { regoVersion: 'v1' }),
      vars: q.vars,
      varNames: new Map(),
      loc: { file: 'query', row: 1, col: 1 },
    })),
    warnings: [],
  };
}

let runtime: Uint8Array | undefined;

export interface Loaded {
  policy: Policy;
  eval(entrypoint: string, input?: unknown, data?: unknown): Array<Record<string, unknown>>;
}

/**
 * The emitter (not ours) may not yet accept MakeNumberInt with this binaryen
 * version; until it does, integers are handed to it as decimal text.
 */
function withIntsAsText(policy: Policy): Policy {
  const strings = [...policy.static.strings];
  const fix = (b: Block): Block => ({ stmts: b.stmts.map(fixStmt) });
  const fixStmt = (s: Stmt): Stmt => {
    switch (s.type) {
      case 'MakeNumberInt': strings.push(String(s.value)); return { type: 'MakeNumberRef', index: strings.length - 1, target: s.target };
      case 'Block': return { ...s, blocks: s.blocks.map(fix) };
      case 'Scan': case 'Not': case 'With': return { ...s, block: fix(s.block) };
      default: return s;
    }
  };
  const plans = policy.plans.map((pl) => ({ ...pl, blocks: pl.blocks.map(fix) }));
  const funcs = policy.funcs.map((f) => ({ ...f, blocks: f.blocks.map(fix) }));
  return { static: { ...policy.static, strings }, plans, funcs };
}

function emit(policy: Policy, rt: Uint8Array): Uint8Array {
  try {
    return emitWasm(policy, rt);
  } catch (e) {
    if (!String((e as Error).message).includes('i64.const')) throw e;
    return emitWasm(withIntsAsText(policy), rt);
  }
}

export async function load(policy: Policy): Promise<Loaded> {
  runtime ??= readFileSync(new URL('../../../build/runtime.wasm', import.meta.url));
  const wasm = emit(policy, runtime);
  const host = createHostBuiltins({ strict: false });
  const sdk = (await loadOpaPolicy(wasm, undefined, host.builtins)) as unknown as {
    setData(d: unknown): void;
    evaluate(input: unknown, ep: string): Array<Record<string, unknown>>;
  };
  return {
    policy,
    eval(entrypoint, input, data = {}) {
      sdk.setData(data);
      host.beginEvaluation();
      try {
        return sdk.evaluate(input, entrypoint);
      } catch (e) {
        throw typeof e === 'string' ? new Error(e) : e;
      }
    },
  };
}

/** Plans and loads `sources` with the given entrypoints / queries. */
export async function build(sources: string[], entrypoints: string[] = [], queries: QuerySpec[] = []): Promise<Loaded> {
  return load(planProgram(programOf(sources, entrypoints, queries)));
}

/** The value of entrypoint `ep` (undefined when undefined). */
export function value(l: Loaded, ep: string, input?: unknown, data?: unknown): unknown {
  const rs = l.eval(ep, input, data);
  return rs.length === 0 ? undefined : rs[0]!['result'];
}

export interface Interpreted {
  policy: Policy;
  /** Entrypoint value (JSON, sets as sorted arrays), undefined when undefined. */
  value(ep: string, input?: unknown, data?: unknown): unknown;
  /** All results of a plan (JSON). */
  results(plan: string, input?: unknown, data?: unknown): unknown[];
}

/** Plans `sources` and runs the plans in the reference IR interpreter. */
export function interpret(sources: string[], entrypoints: string[] = [], queries: QuerySpec[] = []): Interpreted {
  const policy = planProgram(programOf(sources, entrypoints, queries));
  const it = new Interpreter(policy);
  const results = (plan: string, input?: unknown, data: unknown = {}): unknown[] =>
    it.run(plan, input === undefined ? undefined : decode(input), decode(data)).map(toJson);
  return {
    policy,
    results,
    value(ep, input, data) {
      const rs = results(ep, input, data) as Array<{ result: unknown }>;
      return rs.length === 0 ? undefined : rs[0]!.result;
    },
  };
}
