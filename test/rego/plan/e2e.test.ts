// The planner inside the whole pipeline: parse -> compile -> plan -> wasm ->
// opa-wasm SDK, one small policy per feature.
import { describe, expect, it } from 'vitest';
import { compile, loadPolicy, type RegoPolicy } from '../../../src/rego/index.js';

async function policy(sources: string | string[], entrypoints: string[]): Promise<RegoPolicy> {
  const modules = [sources].flat().map((source, i) => ({ file: `e2e${i}.rego`, source }));
  const { wasm } = compile({ modules, entrypoints });
  return loadPolicy(wasm);
}

function value(p: RegoPolicy, ep: string, input?: unknown): unknown {
  const rs = p.evaluate(input, ep);
  return rs.length === 0 ? undefined : rs[0]!['result'];
}

describe('planner end to end', () => {
  it('rules, partial documents, functions and virtual documents', async () => {
    const p = await policy([`package t
default allow := false
allow if { some r in input.roles; r == "admin" }
names contains n if { some u in input.users; n := u.name }
by_name[u.name] := u.age if { some u in input.users }
double(x) := x * 2
doubled := [double(u.age) | some u in input.users]
`, `package u
all := data.t
`], ['t/allow', 't/names', 't/by_name', 't/doubled', 'u/all']);
    const input = { roles: ['dev', 'admin'], users: [{ name: 'b', age: 2 }, { name: 'a', age: 1 }] };
    expect(value(p, 't/allow', input)).toBe(true);
    expect(value(p, 't/allow', { roles: [] })).toBe(false);
    expect(value(p, 't/names', input)).toEqual(['a', 'b']);
    expect(value(p, 't/by_name', input)).toEqual({ a: 1, b: 2 });
    expect(value(p, 't/doubled', input)).toEqual([4, 2]);
    expect(value(p, 'u/all', { roles: [] })).toMatchObject({ allow: false, names: [], by_name: {}, doubled: [] });
  });

  it('negation, every, with and conflicts', async () => {
    const p = await policy(`package t
no_root if { not "root" in input.users }
all_short if { every u in input.users { count(u) < 5 } }
as_root := r if { r := no_root with input.users as ["root"] }
one := x if { some x in input.users }
`, ['t/no_root', 't/all_short', 't/as_root', 't/one']);
    expect(value(p, 't/no_root', { users: ['bob'] })).toBe(true);
    expect(value(p, 't/no_root', { users: ['root'] })).toBeUndefined();
    expect(value(p, 't/all_short', { users: ['bob', 'al'] })).toBe(true);
    expect(value(p, 't/all_short', { users: ['bob', 'alexander'] })).toBeUndefined();
    expect(value(p, 't/as_root', { users: ['bob'] })).toBeUndefined();
    expect(value(p, 't/one', { users: ['x'] })).toBe('x');
    expect(() => p.evaluate({ users: ['x', 'y'] }, 't/one')).toThrow('complete rules must not produce multiple outputs');
  });
});
