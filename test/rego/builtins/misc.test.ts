import { describe, expect, it } from 'vitest';
import { lookupBuiltin } from '../../../src/rego/builtins/index.js';
import { call, ctx, set } from './helpers.js';

describe('graph', () => {
  it('finds reachable nodes', () => {
    expect(call('graph.reachable', { a: set('b'), b: set('c'), c: set('a') }, set('a'))).toEqual(set('a', 'b', 'c'));
    expect(call('graph.reachable', { a: set('b', 'c'), b: set('d'), c: set('d'), d: set(), e: set('f') }, ['b'])).toEqual(
      set('b', 'd'),
    );
    expect(call('graph.reachable', {}, set('a'))).toEqual(set());
  });

  it('ends a path before a node missing from the graph, and walks each start edge with its own reached set, as OPA', () => {
    // b -> x where x is not a node: the path stops at b.
    expect(call('graph.reachable_paths', { a: ['b'], b: ['x'] }, ['a'])).toEqual(set(['a', 'b']));
    // A start node missing from the graph gives no path; an edgeless one gives itself.
    expect(call('graph.reachable_paths', { a: [] }, set('a', 'zz'))).toEqual(set(['a']));
    // b is reached again through c: OPA's reached set is per start edge, so c's walk continues through b.
    expect(call('graph.reachable_paths', { a: ['b', 'c'], b: ['e'], c: ['b'], e: [] }, ['a'])).toEqual(
      set(['a', 'b', 'e'], ['a', 'c', 'b', 'e']),
    );
    // OPA's cycle case: "" edges end paths, seven is reached again from six.
    const g = { one: ['two', 'five'], two: ['four'], three: [''], four: ['three'], five: ['seven', 'six'], six: ['nine', 'seven'], seven: ['eight'], eight: ['three'], nine: [''] };
    expect(call('graph.reachable_paths', g, set('one'))).toEqual(
      set(['one', 'five', 'seven', 'eight', 'three'], ['one', 'five', 'six'], ['one', 'five', 'six', 'nine'], ['one', 'two', 'four', 'three']),
    );
    // Two reached neighbours in one step: OPA's result list accumulates the path twice.
    expect(call('graph.reachable_paths', { a: ['b'], b: ['c'], c: ['a', 'b'] }, ['a'])).toEqual(
      set(['a', 'b', 'c'], ['a', 'b', 'c', 'a', 'b', 'c']),
    );
  });

  it('lists reachable paths', () => {
    expect(call('graph.reachable_paths', { a: ['b'], b: ['c', 'd'], c: [], d: ['a'] }, ['a'])).toEqual(
      set(['a', 'b', 'c'], ['a', 'b', 'd']),
    );
  });
});

describe('templates', () => {
  it('renders template strings as OPA prints values', () => {
    expect(call('internal.template_string', ['x=', set(42), ', s=', set('foo'), ', ', set()])).toBe('x=42, s=foo, <undefined>');
    expect(call('internal.template_string', [set([42, 'foo', null]), ' ', set(set(42)), ' ', set(set())])).toBe(
      '[42, "foo", null] {42} set()',
    );
  });

  it('renders Go text/template', () => {
    expect(call('strings.render_template', '{{.test}}', { test: 2023 })).toBe('2023');
    expect(
      call('strings.render_template', '{{range $i, $name := .hellonames}}{{if $i}},{{end}}hello {{$name}}{{end}}', {
        hellonames: ['rohan', 'john doe'],
      }),
    ).toBe('hello rohan,hello john doe');
    expect(call('strings.render_template', 'test {{.foo}} {{.baz}}', { baz: 1 })).toBe('test <undefined> 1');
  });
});

describe('nondeterministic builtins', () => {
  it('keeps rand.intn and uuid.rfc4122 stable within one evaluation', () => {
    const c = ctx();
    const rand = lookupBuiltin('rand.intn')!.impl!;
    const uuid = lookupBuiltin('uuid.rfc4122')!.impl!;
    const r = rand(['k', 100], c) as number;
    expect(r).toBeGreaterThanOrEqual(0);
    expect(r).toBeLessThan(100);
    for (let i = 0; i < 20; i++) expect(rand(['k', 100], c)).toBe(r);
    const u = uuid(['k'], c);
    expect(u).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(uuid(['k'], c)).toBe(u);
    expect(uuid(['other'], c)).not.toBe(u);
  });

  it('reads time.now_ns from the evaluation context', () => {
    expect(lookupBuiltin('time.now_ns')!.impl!([], ctx(123n))).toBe(123);
  });

  it('prints through the context sink', () => {
    const lines: string[] = [];
    const c = { ...ctx(), print: (l: string) => lines.push(l) };
    lookupBuiltin('internal.print')!.impl!([[set('a'), set(1), set()]], c);
    expect(lines).toEqual(['a 1 <undefined>']);
  });
});
