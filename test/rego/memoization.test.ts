// Rule values are computed once per evaluation, as in OPA's wasm: counted
// by the host builtin calls a policy makes (each call of a TypeScript
// builtin crosses into JavaScript, where the test counts it), and checked
// for correctness under `with`, which must not see values computed for
// other documents.
import { describe, expect, it } from 'vitest';
import { loadPolicy as loadSdkPolicy } from '@open-policy-agent/opa-wasm';
import { compile } from '../../src/rego/index.js';
import { createHostBuiltins } from '../../src/rego/builtins/index.js';

interface Counted {
  /** The entrypoint's value, undefined when it has none. */
  eval(entrypoint: string, input?: unknown): unknown;
  /** Calls of each host builtin (by Rego name) since the last reset. */
  calls: Record<string, number>;
  reset(): void;
}

async function counted(sources: Record<string, string>, entrypoints: string[], data?: unknown): Promise<Counted> {
  const modules = Object.entries(sources).map(([file, source]) => ({ file, source }));
  const { wasm } = compile({ modules, entrypoints });
  const host = createHostBuiltins({ strict: true });
  const calls: Record<string, number> = {};
  const builtins: Record<string, (...args: unknown[]) => unknown> = {};
  for (const [name, impl] of Object.entries(host.builtins)) {
    const regoName = name.replace(/^hooker:/, '');
    builtins[name] = (...args) => {
      calls[regoName] = (calls[regoName] ?? 0) + 1;
      return impl(...args);
    };
  }
  const sdk = await loadSdkPolicy(wasm, { initial: 10 }, builtins);
  if (data !== undefined) sdk.setData(data as object);
  return {
    calls,
    eval(entrypoint, input) {
      host.beginEvaluation();
      const rs = sdk.evaluate(input === undefined ? undefined : new TextEncoder().encode(JSON.stringify(input)).buffer, entrypoint) as Array<{ result: unknown }>;
      return rs[0]?.result;
    },
    reset() {
      for (const k of Object.keys(calls)) delete calls[k];
    },
  };
}

describe('rules without arguments are computed once per evaluation', () => {
  it('the issue reproducer makes 200 sprintf calls, not 10,100', async () => {
    const p = await counted({
      'cat.rego': `package t
cat := {k: v | some v in numbers.range(1, 100); k := sprintf("%v", [v])}
hits := count([1 | some i in numbers.range(1, 100); cat[sprintf("%v", [i])]])
`,
    }, ['t/hits']);
    expect(p.eval('t/hits', {})).toBe(100);
    expect(p.calls['sprintf']).toBe(200);
    expect(p.calls['numbers.range']).toBe(2);
  });

  it('summary rules over a package of 300 violation rules compute each rule once', async () => {
    const RULES = 300;
    const rules = Array.from({ length: RULES }, (_, i) =>
      `deny_${i} contains msg if {\n  some item in input.items\n  item.kind == "k${i % 50}"\n  msg := sprintf("%s violates rule ${i}", [item.name])\n}\n`);
    const p = await counted({
      'violations.rego': `package checks.violations\n\n${rules.join('\n')}`,
      'summary.rego': `package checks
import data.checks.violations

messages := [m | some _, ms in violations; some m in ms]
by_rule := {name: count(ms) | some name, ms in violations; count(ms) > 0}
total := count(messages)
failed if total > 0
summary := {"total": total, "rules": count(by_rule), "failed": failed, "first": sort(messages)[0]}
report := {"summary": summary, "messages": sort(messages), "again": count(violations)}
`,
    }, ['checks/report']);
    const items = Array.from({ length: 20 }, (_, i) => ({ name: `item${i}`, kind: `k${i}` }));
    const report = p.eval('checks/report', { items }) as { summary: Record<string, unknown>; messages: string[]; again: number };
    // item i matches the 6 rules j with j % 50 == i: one message (one sprintf) each.
    expect(report.summary).toEqual({ total: 120, rules: 120, failed: true, first: 'item0 violates rule 0' });
    expect(report.messages).toHaveLength(120);
    expect(report.again).toBe(RULES);
    expect(p.calls['sprintf']).toBe(120);

    p.reset();
    // The next evaluation starts afresh: other input, other values.
    const next = p.eval('checks/report', { items: items.slice(0, 1) }) as { summary: Record<string, unknown> };
    expect(next.summary).toEqual({ total: 6, rules: 6, failed: true, first: 'item0 violates rule 0' });
    expect(p.calls['sprintf']).toBe(6);
  });

  it('values stay correct under with, each replaced document computing its own', async () => {
    const p = await counted({
      'w.rego': `package w
label := sprintf("n=%v", [input.n])
limit := sprintf("limit=%v", [data.cfg.limit])
both := [label, limit]

after_with := [a, b] if {
  a := label with input.n as 7
  b := label
}
before_with := [b, a] if {
  b := label
  a := label with input.n as 7
}
per_item := [l | some n in [1, 2, 3]; l := label with input.n as n]
whole := [a, b, c, d] if {
  a := label with input as {"n": 4}
  b := label
  c := both with data.cfg.limit as 9
  d := both
}
replaced_rule := [a, b] if {
  a := both with data.w.label as "mocked"
  b := both
}
`,
    }, ['w/after_with', 'w/before_with', 'w/per_item', 'w/whole', 'w/replaced_rule'], { cfg: { limit: 5 } });

    expect(p.eval('w/after_with', { n: 1 })).toEqual(['n=7', 'n=1']);
    expect(p.calls['sprintf']).toBe(2);
    p.reset();
    expect(p.eval('w/before_with', { n: 1 })).toEqual(['n=1', 'n=7']);
    expect(p.calls['sprintf']).toBe(2);
    p.reset();
    expect(p.eval('w/per_item', { n: 1 })).toEqual(['n=1', 'n=2', 'n=3']);
    expect(p.calls['sprintf']).toBe(3);
    p.reset();
    expect(p.eval('w/whole', { n: 1 })).toEqual(['n=4', 'n=1', ['n=1', 'limit=9'], ['n=1', 'limit=5']]);
    // label for n=4 and n=1; limit for 9 and 5: the label under the replaced data is computed again (other documents).
    expect(p.calls['sprintf']).toBe(5);
    p.reset();
    expect(p.eval('w/replaced_rule', { n: 1 })).toEqual([['mocked', 'limit=5'], ['n=1', 'limit=5']]);
  });

  it('an undefined rule is not recomputed either', async () => {
    const p = await counted({
      'u.rego': `package u
missing := sprintf("%v", [input.absent])
checks := [1 | some _ in numbers.range(1, 50); not missing]
`,
    }, ['u/checks']);
    expect(p.eval('u/checks', {})).toHaveLength(50);
    expect(p.calls['sprintf']).toBeUndefined();
    expect(p.eval('u/checks', { absent: 1 })).toEqual([]);
    expect(p.calls['sprintf']).toBe(1);
  });
});
