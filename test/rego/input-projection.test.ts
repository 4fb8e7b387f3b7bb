// The runtime builds only the parts of the input a policy can observe
// (src/rego/plan/input-projection.ts, runtime json.ts parseJsonProjected).
// Checked two ways: the analysis names the right paths for policies of each
// shape, and evaluation through the projection gives what evaluation of the
// whole input gives, for random documents (including escaped keys,
// duplicate keys and every JSON value kind in the skipped parts) and for
// text that is not JSON anywhere in it. The whole-input twin of each policy
// is the same modules compiled with one more entrypoint returning `input`
// itself, which makes the policy need the whole document.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compile, loadPolicy, plan, type RegoPolicy } from '../../src/rego/index.js';
import { inputProjection, type ProjectionNode } from '../../src/rego/plan/input-projection.js';

function shape(n: ProjectionNode | undefined): unknown {
  if (!n) return 'whole input';
  return Object.fromEntries([...n.children].map(([k, c]) => [k, c.whole ? true : shape(c)]));
}

function projectionOf(source: string): unknown {
  const { policy } = plan({ modules: [{ file: 'p.rego', source }], entrypoints: ['p/allow'] });
  return shape(inputProjection(policy));
}

describe('input projection: the parts of the input a policy can observe', () => {
  it('follows constant keys and needs a value whole where it is compared or passed to a builtin', () => {
    expect(projectionOf(`package p
allow if {
  input.SigMetadata.ID == "TRC-2"
  startswith(input.Context.processName, "strace")
  input.Context.container.id != ""
}`)).toEqual({ SigMetadata: { ID: true }, Context: { processName: true, container: { id: true } } });
  });

  it('needs a collection whole when it is iterated, counted or indexed by a variable', () => {
    expect(projectionOf(`package p
allow if { some r in input.Results; r.Class == "os-pkgs" }
allow if { count(input.Tags) > 2 }
allow if { some k; input.labels[k] == "x" }`)).toEqual({ Results: true, Tags: true, labels: true });
  });

  it('follows the input into functions and rules through their parameters', () => {
    expect(projectionOf(`package p
sev(e) := e.meta.severity
name := input.meta.name
allow if { sev(input) > 2; name == "a" }`)).toEqual({ meta: { severity: true, name: true } });
  });

  it('needs the whole input when the document itself is compared, returned or changed under with', () => {
    expect(projectionOf('package p\nallow if input == {}')).toBe('whole input');
    expect(projectionOf('package p\nallow := input')).toBe('whole input');
    expect(projectionOf('package p\nallow := json.marshal(input)')).toBe('whole input');
    expect(projectionOf('package p\nq if input.a.b == 1\nallow if q with input.a.c as 2')).toBe('whole input');
    expect(projectionOf('package p\nallow if { some k, v in input; v == 1 }')).toBe('whole input');
  });

  it('is unaffected by `with input as` a new document, which never reads the original', () => {
    expect(projectionOf('package p\nq if input.a == 1\nallow if { q with input as {"a": 1}; input.b == 2 }')).toEqual({ a: true, b: true });
  });
});

/** A policy and its twin evaluated on the whole input. */
async function twins(source: string): Promise<{ projected: RegoPolicy; whole: RegoPolicy }> {
  const modules = [{ file: 'p.rego', source }];
  const projected = await loadPolicy(compile({ modules, entrypoints: ['p/allow'] }).wasm);
  const whole = await loadPolicy(compile({
    modules: [...modules, { file: 'whole.rego', source: 'package whole\ndoc := input' }],
    entrypoints: ['p/allow', 'whole/doc'],
  }).wasm);
  return { projected, whole };
}

function run(p: RegoPolicy, text: string): unknown {
  try {
    return p.evaluate(new TextEncoder().encode(text).buffer, 'p/allow');
  } catch (e) {
    return { error: (e as Error).message };
  }
}

const POLICIES = [
  `package p
allow contains "id" if input.a.id == "x"
allow contains "num" if input.a.n > 2
allow contains "deep" if input.a.b.c == true
allow contains "str" if startswith(input.b, "q")
allow contains "neg" if not input.c.d
allow contains "obj" if is_object(input.a.b)`,
  `package p
f(x) := x.id
g := input.b.c
allow contains v if { v := f(input.a) }
allow contains v if { v := g }
allow contains k if { some k, _ in input.c }`,
  `package p
allow contains x if { x := input.a; is_string(x) }
allow contains "arr" if input.b[1] == 1
allow contains y if { y := object.get(input, ["c", "d"], "none") }`,
  `package p
allow contains "count" if count(input.a) == 2
allow contains "eq" if input.b == {"id": "x"}
allow contains n if { some n, _ in input.c.d }
allow contains "keys" if { input.n.id; object.keys(input.n) == {"id"} }`,
  `package p
q if { input.a.id == "x"; count(input.a) == 1 }
allow contains "with" if q with input.a.id as "x"
allow contains "with input" if { q with input as {"a": {"id": "x"}}; input.b.id == "x" }`,
];

const KEYS = ['a', 'b', 'c', 'd', 'id', 'n'];

/** JSON values of every kind, with keys the policies read among others. */
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(null, true, false, 0, -1, 2.5, 3e10, 'x', 'q1', '', 'é\n"\\', 12345678901234567890n),
    fc.string(),
    // values the policies compare against, so that their checks hold often
    fc.constantFrom({ id: 'x' }, { id: 'x', n: 3 }, { id: 'x', other: [1] }, { d: { id: 'x' } }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 3 })), tie('value'), { maxKeys: 5 }),
  ),
})).value;

/** JSON text of v, with numbers as written and keys/strings sometimes escaped as \\u sequences. */
function text(v: unknown, escape: (i: number) => boolean, counter = { i: 0 }): string {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') {
    const plain = JSON.stringify(v);
    return escape(counter.i++) ? `"${[...v].map((ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"` : plain;
  }
  if (Array.isArray(v)) return `[ ${v.map((x) => text(x, escape, counter)).join(' , ')} ]`;
  if (v !== null && typeof v === 'object') {
    return `{\n\t${Object.entries(v).map(([k, x]) => `${text(k, escape, counter)} : ${text(x, escape, counter)}`).join(',\n\t')}}`;
  }
  return JSON.stringify(v);
}

describe('evaluation through the projection', () => {
  it('gives the result evaluation of the whole input gives, for random documents', async () => {
    for (const source of POLICIES) {
      const { projected, whole } = await twins(source);
      fc.assert(fc.property(
        fc.dictionary(fc.constantFrom(...KEYS, 'other'), jsonValue, { maxKeys: 6 }),
        fc.integer({ min: 0, max: 7 }),
        (doc, seed) => {
          const t = text(doc, (i) => (i + seed) % 5 === 0);
          expect(run(projected, t)).toEqual(run(whole, t));
        },
      ), { numRuns: 300 });
    }
  });

  it('keeps the last of duplicate keys, as the whole-input parse does', async () => {
    const { projected, whole } = await twins(POLICIES[0]!);
    const t = '{"a": {"id": "y", "skip": [1], "id": "x"}, "a": {"id": "x", "n": 3}}';
    expect(run(projected, t)).toEqual([{ result: ['id', 'neg', 'num'] }]);
    expect(run(whole, t)).toEqual(run(projected, t));
  });

  it('still refuses text that is not JSON in the parts it does not build', async () => {
    const { projected, whole } = await twins(POLICIES[0]!);
    const bad = [
      '{"a": {"id": "x"}, "skip": [1, 2,]}',
      '{"a": {"id": "x"}, "skip": {"k" 1}}',
      '{"a": {"id": "x"}, "skip": "\\x41"}',
      '{"a": {"id": "x"}, "skip": "\\u12g4"}',
      '{"a": {"id": "x"}, "skip": "tab\there"}',
      '{"a": {"id": "x"}, "skip": 01}',
      '{"a": {"id": "x"}, "skip": 1.}',
      '{"a": {"id": "x"}, "skip": -}',
      '{"a": {"id": "x"}, "skip": 1e+}',
      '{"a": {"id": "x"}, "skip": tru}',
      '{"a": {"id": "x"}, "skip": nul}',
      '{"a": {"id": "x"}, "skip": "open}',
      '{"a": {"id": "x"}, "skip": [[[]]}',
      '{"a": {"id": "x"}, "skip": 1} trailing',
      '{"a": {"id": "x", "other": {}}, "sk\\ip": 1}',
    ];
    for (const t of bad) {
      expect(run(projected, t), t).toEqual({ error: expect.stringContaining('input is not valid JSON') });
      expect(run(whole, t), t).toEqual(run(projected, t));
    }
    const good = '{"a": {"id": "x", "other": {"z": [1, -2.5e-3, "\\u00e9\\n", null, true, false, {}]}}, "skip": "\\ud83d\\ude00"}';
    expect(run(projected, good)).toEqual([{ result: ['id', 'neg'] }]);
  });
});
