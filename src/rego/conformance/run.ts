// Runs one conformance case through the real pipeline: parse -> compile ->
// plan -> wasm -> @open-policy-agent/opa-wasm. Nothing is interpreted.

import { compile, loadPolicy, RegoCompileError, RegoEvalError } from '../index.js';
import { parseTerm } from '../syntax/parser.js';
import type { Term } from '../syntax/ast.js';
import { sameResults } from './compare.js';
import type { ConformanceCase } from './cases.js';

export type CaseOutcome =
  | { pass: true }
  | { pass: false; stage: 'compile' | 'load' | 'eval' | 'compare'; reason: string };

const QUERY = 'conformance_query';

/** The input term as JSON, or undefined when it holds values JSON cannot carry (sets, non-string keys). */
function termToJson(t: Term): { ok: true; value: unknown } | { ok: false } {
  switch (t.type) {
    case 'null': return { ok: true, value: null };
    case 'boolean': return { ok: true, value: t.value };
    case 'number': return { ok: true, value: Number(t.value) };
    case 'string': return { ok: true, value: t.value };
    case 'array': {
      const out: unknown[] = [];
      for (const item of t.items) {
        const r = termToJson(item);
        if (!r.ok) return r;
        out.push(r.value);
      }
      return { ok: true, value: out };
    }
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of t.items) {
        if (k.type !== 'string') return { ok: false };
        const r = termToJson(v);
        if (!r.ok) return r;
        out[k.value] = r.value;
      }
      return { ok: true, value: out };
    }
    default: return { ok: false };
  }
}

function errorCode(e: unknown): string | undefined {
  if (e instanceof RegoCompileError || e instanceof RegoEvalError) return e.code;
  return undefined;
}

function describe(e: unknown): string {
  if (e instanceof Error) return e.message.split('\n').slice(0, 4).join(' | ');
  return String(e);
}

export async function runCase(c: ConformanceCase): Promise<CaseOutcome> {
  const wantsError = c.want_error_code !== undefined || c.want_error !== undefined;
  let query = c.query;
  let input: unknown = c.input;
  if (c.input_term !== undefined) {
    const term = parseTerm(c.input_term, 'input_term');
    const json = termToJson(term);
    if (json.ok) input = json.value;
    else query = `${c.query} with input as ${c.input_term}`;
  }

  const onError = (stage: 'compile' | 'load' | 'eval', e: unknown): CaseOutcome => {
    if (!wantsError) return { pass: false, stage, reason: describe(e) };
    const code = errorCode(e);
    if (c.want_error_code && code !== c.want_error_code) {
      return { pass: false, stage, reason: `want error ${c.want_error_code}, got ${code ?? 'exception'}: ${describe(e)}` };
    }
    const msg = e instanceof Error ? e.message : String(e);
    if (c.want_error && !msg.includes(c.want_error)) {
      return { pass: false, stage, reason: `want error containing "${c.want_error}", got: ${describe(e)}` };
    }
    return { pass: true };
  };

  let wasm: Uint8Array;
  try {
    wasm = compile({
      // OPA's runner names modules test-<i>.rego; expected error messages carry those names.
      modules: (c.modules ?? []).map((source, i) => ({ file: `test-${i}.rego`, source })),
      entrypoints: [],
      queries: [{ name: QUERY, query }],
    }).wasm;
  } catch (e) {
    return onError('compile', e);
  }

  let results: Array<Record<string, unknown>>;
  try {
    const policy = await loadPolicy(wasm, { strictBuiltinErrors: c.strict_error === true || wantsError });
    if (c.data !== undefined) policy.setData(c.data);
    results = policy.evaluate(input, QUERY);
  } catch (e) {
    return onError('eval', e);
  }

  if (wantsError) return { pass: false, stage: 'eval', reason: `want error ${c.want_error_code ?? c.want_error}, got results ${JSON.stringify(results).slice(0, 200)}` };
  const want = c.want_result ?? [];
  if (sameResults(results, want, c.sort_bindings === true)) return { pass: true };
  return { pass: false, stage: 'compare', reason: `want ${JSON.stringify(want).slice(0, 300)}, got ${JSON.stringify(results).slice(0, 300)}` };
}
