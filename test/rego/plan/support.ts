// Test support for the planner: a minimal stand-in for the compile stage
// (modules must already be written in compiled form: full data refs, unique
// vars, safe order); the plans are then emitted to wasm and run in the SDK.

import type { CompiledProgram, DocNode, RuleSet } from '../../../src/rego/compile/types.js';
import { parseModule, parseQuery } from '../../../src/rego/syntax/parser.js';
import { ruleKind, type Rule } from '../../../src/rego/syntax/ast.js';
import { planProgram } from '../../../src/rego/plan/index.js';
import type { Policy } from '../../../src/rego/plan/ir.js';
import { createRequire } from 'node:module';
import { emitWasm } from '../../../src/rego/wasm/emit.js';
import { runtimeWasm } from '../../../src/rego/wasm/runtime.js';
import { createHostBuiltins } from '../../../src/rego/builtins/index.js';
import { RegoEvalError } from '../../../src/rego/errors.js';

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

export interface Interpreted {
  policy: Policy;
  /** Entrypoint value (JSON, sets as sorted arrays), undefined when undefined. */
  value(ep: string, input?: unknown, data?: unknown): unknown;
  /** All results of a plan (JSON). */
  results(plan: string, input?: unknown, data?: unknown): unknown[];
}

// The SDK's ESM entry exports only the async loader; these tests run synchronously.
const { loadPolicySync } = createRequire(import.meta.url)('@open-policy-agent/opa-wasm') as {
  loadPolicySync(wasm: Uint8Array, mem: undefined, builtins: Record<string, unknown>): unknown;
};

/** Plans `sources`, emits the plans to wasm and runs them in the SDK (strict builtin errors). */
export function interpret(sources: string[], entrypoints: string[] = [], queries: QuerySpec[] = []): Interpreted {
  const policy = planProgram(programOf(sources, entrypoints, queries));
  const host = createHostBuiltins({ strict: true });
  const sdk = loadPolicySync(emitWasm(policy, runtimeWasm()), undefined, host.builtins) as unknown as {
    wasmInstance: WebAssembly.Instance;
    setData(d: unknown): void;
    evaluate(input: unknown, ep: string): unknown[];
  };
  (sdk.wasmInstance.exports['hooker_set_strict'] as (on: number) => void)(1);
  const results = (plan: string, input?: unknown, data: unknown = {}): unknown[] => {
    sdk.setData(data);
    host.beginEvaluation();
    try {
      // As RegoPolicy.evaluate does: JSON text, so that falsy inputs (0, false) reach the policy.
      return sdk.evaluate(input === undefined ? undefined : new TextEncoder().encode(JSON.stringify(input)).buffer, plan);
    } catch (e) {
      throw typeof e === 'string' ? RegoEvalError.fromAbort(e) : e;
    }
  };
  return {
    policy,
    results,
    value(ep, input, data) {
      const rs = results(ep, input, data) as Array<{ result: unknown }>;
      return rs.length === 0 ? undefined : rs[0]!.result;
    },
  };
}
