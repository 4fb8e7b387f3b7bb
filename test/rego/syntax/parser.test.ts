import { describe, expect, it } from 'vitest';
import { parseModule, parseQuery, parseTerm } from '../../../src/rego/syntax/parser.js';
import { b, call, callExpr, n, noLoc, op, ref, s, termExpr, v } from './helpers.js';

const q = (src: string) => noLoc(parseQuery(src));
const t = (src: string) => noLoc(parseTerm(src));
const rules = (src: string) => noLoc(parseModule(`package test\n${src}`, 'test.rego').rules);

describe('terms', () => {
  it('parses scalars and composites', () => {
    expect(t('null')).toEqual({ type: 'null' });
    expect(t('[true, -1.5e3, "s", `r`]')).toEqual({ type: 'array', items: [b(true), n('-1.5e3'), s('s'), s('r')] });
    expect(t('{1, 2}')).toEqual({ type: 'set', items: [n('1'), n('2')] });
    expect(t('set()')).toEqual({ type: 'set', items: [] });
    expect(t('{}')).toEqual({ type: 'object', items: [] });
    expect(t('{"a": {1, 2}, [1]: null,}')).toEqual({
      type: 'object',
      items: [[s('a'), { type: 'set', items: [n('1'), n('2')] }], [{ type: 'array', items: [n('1')] }, { type: 'null' }]],
    });
    expect(t('.5')).toEqual(n('0.5'));
  });

  it('parses refs, including refs on calls and composites', () => {
    expect(t('a.b[c]["d"][0]')).toEqual(ref(v('a'), s('b'), v('c'), s('d'), n('0')));
    expect(t('f(x).y')).toEqual(ref(call('f', v('x')), s('y')));
    expect(t('[1, 2][i]')).toEqual(ref({ type: 'array', items: [n('1'), n('2')] }, v('i')));
    expect(t('input')).toEqual(ref(v('input')));
    expect(t('data.pkg.f(x)')).toEqual({ type: 'call', operator: ref(v('data'), s('pkg'), s('f')), args: [v('x')] });
    expect(t('strings.replace_n(a, b)')).toEqual(call('strings.replace_n', v('a'), v('b')));
  });

  it('allows keywords as ref segments and as heads directly followed by . or [', () => {
    expect(t('data.foo.if.else')).toEqual(ref(v('data'), s('foo'), s('if'), s('else')));
    expect(t('not.foo')).toEqual(ref(v('not'), s('foo')));
    expect(t('true["x"]')).toEqual(ref(v('true'), s('x')));
  });

  it('does not continue refs or calls across whitespace', () => {
    expect(t('[a[1]]')).toEqual({ type: 'array', items: [ref(v('a'), n('1'))] });
    expect(() => parseQuery('x := [a [1]]')).toThrow('unexpected [ token: expected "," or "]"');
    expect(() => parseQuery('x := f (1)')).toThrow('query:1:8: rego_parse_error: unexpected ( token');
  });

  it('applies OPA precedence and left associativity', () => {
    expect(t('1 + 2 * 3 - 4')).toEqual(call('minus', call('plus', n('1'), call('mul', n('2'), n('3'))), n('4')));
    expect(t('a | b & c')).toEqual(call('or', v('a'), call('and', v('b'), v('c'))));
    expect(t('a + 1 == b | c')).toEqual(call('equal', call('plus', v('a'), n('1')), call('or', v('b'), v('c'))));
    expect(t('x in xs == false')).toEqual(call('internal.member_2', v('x'), call('equal', v('xs'), b(false))));
    expect(t('(1 + 2) * 3')).toEqual(call('mul', call('plus', n('1'), n('2')), n('3')));
  });

  it('treats - as a sign only in term position', () => {
    expect(t('x - 1')).toEqual(call('minus', v('x'), n('1')));
    expect(t('x -1')).toEqual(call('minus', v('x'), n('1')));
    expect(t('[-1, - 2]')).toEqual({ type: 'array', items: [n('-1'), n('-2')] });
    expect(t('-x')).toEqual(call('minus', n('0'), v('x')));
  });

  it('parses comprehensions, preferring them over the | operator', () => {
    expect(t('[x | x = 1]')).toEqual({ type: 'arraycomp', head: v('x'), body: [callExpr('eq', v('x'), n('1'))] });
    expect(t('{x | some x in xs}')).toMatchObject({ type: 'setcomp', head: v('x') });
    expect(t('{k: v | some k, v in xs}')).toMatchObject({ type: 'objectcomp', key: v('k'), value: v('v') });
    expect(t('{(a | b)}')).toEqual({ type: 'set', items: [call('or', v('a'), v('b'))] });
  });

  it('parses template strings into literal and term parts', () => {
    expect(t('$"a {x} \\{b} {1 + y}"')).toEqual({
      type: 'template', raw: false, parts: ['a ', v('x'), ' {b} ', call('plus', n('1'), v('y'))],
    });
    expect(t('$`\n{[x | some x in a]}`')).toMatchObject({ type: 'template', raw: true, parts: ['\n', { type: 'arraycomp' }] });
    expect(t('$""')).toEqual({ type: 'template', raw: false, parts: [] });
  });

  it('lowers `with` inside a template expression to a comprehension', () => {
    const term = t('$"{a with input as 1}"') as { parts: Array<{ type: string; terms: Array<{ type: string; body: unknown[] }> }> };
    const part = term.parts[0]!;
    expect(part.type).toBe('ref');
    expect(part.terms[0]!.type).toBe('arraycomp');
    expect(part.terms[0]!.body[0]).toMatchObject({ with: [{ target: ref(v('input')), value: n('1') }] });
  });
});

describe('expressions and bodies', () => {
  it('maps infix operators to calls', () => {
    expect(q('x := 1; y = 2; x == y; x != y')).toEqual([
      callExpr('assign', v('x'), n('1')),
      callExpr('eq', v('y'), n('2')),
      callExpr('equal', v('x'), v('y')),
      callExpr('neq', v('x'), v('y')),
    ]);
  });

  it('turns top-level calls into call expressions', () => {
    expect(q('count(x, n)')).toEqual([callExpr('count', v('x'), v('n'))]);
  });

  it('separates expressions by newlines and semicolons but continues after operators', () => {
    expect(q('a\nb; c\nd +\ne')).toEqual([termExpr(v('a')), termExpr(v('b')), termExpr(v('c')), callExpr('plus', v('d'), v('e'))]);
  });

  it('parses not, with, some and every', () => {
    const [e] = q('not x with input.a as 1 with data.b as {"c": 2}');
    expect(e).toMatchObject({ negated: true, kind: { type: 'term', term: v('x') } });
    expect(e!.with.map((w) => w.target)).toEqual([ref(v('input'), s('a')), ref(v('data'), s('b'))]);
    expect(q('some x, y')).toEqual([{ kind: { type: 'some', symbols: [v('x'), v('y')] }, negated: false, with: [] }]);
    expect(q('some x in xs')[0]!.kind).toEqual({ type: 'some', symbols: [call('internal.member_2', v('x'), v('xs'))] });
    expect(q('some k, v in xs')[0]!.kind).toEqual({ type: 'some', symbols: [call('internal.member_3', v('k'), v('v'), v('xs'))] });
    expect(q('every x in xs { x > 0 }')[0]!.kind).toEqual({
      type: 'every', key: null, value: v('x'), domain: v('xs'), body: [callExpr('gt', v('x'), n('0'))],
    });
    expect(q('k, v in xs')).toEqual([callExpr('internal.member_3', v('k'), v('v'), v('xs'))]);
  });

  it('keeps k, v in xs out of argument lists', () => {
    expect(q('f(k, v in xs)')).toEqual([callExpr('f', v('k'), call('internal.member_2', v('v'), v('xs')))]);
  });

  it('records locations of expressions and terms', () => {
    const [e1, e2] = parseQuery('x := 1\n  not y', 'q.rego');
    expect(e1!.loc).toEqual({ file: 'q.rego', row: 1, col: 1 });
    expect(e2!.loc).toEqual({ file: 'q.rego', row: 2, col: 3 });
    const k = e1!.kind as { args: Array<{ loc: unknown }> };
    expect(k.args[1]!.loc).toEqual({ file: 'q.rego', row: 1, col: 6 });
  });
});

describe('v1 modules', () => {
  it('parses package paths and imports', () => {
    const m = parseModule('package a.b["c-d"]\nimport data.x.y\nimport data.x.y as z\nimport input.foo\nimport rego.v1\nimport future.keywords.in\n', 'm.rego');
    expect(m.package.path).toEqual(['a', 'b', 'c-d']);
    expect(noLoc(m.imports)).toEqual([
      { path: ref(v('data'), s('x'), s('y')) },
      { path: ref(v('data'), s('x'), s('y')), alias: 'z' },
      { path: ref(v('input'), s('foo')) },
      { path: ref(v('rego'), s('v1')) },
      { path: ref(v('future'), s('keywords'), s('in')) },
    ]);
    expect(m.regoVersion).toBe('v1');
  });

  it('parses single-value rules with and without bodies', () => {
    const [p, q1, r, w] = rules('p if { x }\nq := 1\nr := v if v := 2\nw if input.x > 1');
    expect(p).toEqual({ default: false, head: { ref: [v('p')], value: b(true), assign: false }, body: [termExpr(v('x'))] });
    expect(q1).toEqual({ default: false, head: { ref: [v('q')], value: n('1'), assign: true }, body: [] });
    expect(r!.head.value).toEqual(v('v'));
    expect(r!.body).toEqual([callExpr('assign', v('v'), n('2'))]);
    expect(w!.body).toEqual([callExpr('gt', ref(v('input'), s('x')), n('1'))]);
  });

  it('parses multi-value, ref-head and function rules', () => {
    const [c, px, pxy, deep, refset, f, g, h] = rules([
      'c contains x if some x in [1]',
      'px[x] if x := 1',
      'pxy[x] := y if { x := 1; y := 2 }',
      'a.b[x].c := y if { x := 1; y := 2 }',
      'a.b[x] contains y if { x := 1; y := 2 }',
      'f(x) := y if y := x',
      'g(x) if x',
      'foo["bar"](x) := 1',
    ].join('\n'));
    expect(c!.head).toEqual({ ref: [v('c')], key: v('x'), assign: false });
    expect(px!.head).toEqual({ ref: [v('px'), v('x')], value: b(true), assign: false });
    expect(pxy!.head).toEqual({ ref: [v('pxy'), v('x')], value: v('y'), assign: true });
    expect(deep!.head.ref).toEqual([v('a'), s('b'), v('x'), s('c')]);
    expect(refset!.head).toEqual({ ref: [v('a'), s('b'), v('x')], key: v('y'), assign: false });
    expect(f!.head).toEqual({ ref: [v('f')], args: [v('x')], value: v('y'), assign: true });
    expect(g!.head).toEqual({ ref: [v('g')], args: [v('x')], value: b(true), assign: false });
    expect(h!.head).toEqual({ ref: [v('foo'), s('bar')], args: [v('x')], value: n('1'), assign: true });
  });

  it('parses contains without a body as unconditional', () => {
    const [c] = rules('c contains "a"');
    expect(c).toEqual({ default: false, head: { ref: [v('c')], key: s('a'), assign: false }, body: [] });
  });

  it('parses default rules and else chains', () => {
    const [d, f, p] = rules('default p := 1\ndefault f(_) := false\np := 1 if { false } else := 2 if { true } else := 3');
    expect(d).toEqual({ default: true, head: { ref: [v('p')], value: n('1'), assign: true }, body: [] });
    expect(f!.head.args).toEqual([v('_')]);
    expect(p!.else!.head.value).toEqual(n('2'));
    expect(p!.else!.body).toEqual([termExpr(b(true))]);
    expect(p!.else!.else).toEqual({ default: false, head: { ref: [v('p')], value: n('3'), assign: true }, body: [] });
  });

  it('copies function args onto else heads', () => {
    const [f] = rules('f(x) := 1 if { x } else := 2');
    expect(f!.else!.head).toEqual({ ref: [v('f')], args: [v('x')], value: n('2'), assign: true });
  });

  it('splits p if {...} {...} into one rule per body', () => {
    const rs = rules('p if { a } { b }');
    expect(rs.map((r) => r.body)).toEqual([[termExpr(v('a'))], [termExpr(v('b'))]]);
    expect(rs[1]!.head.ref).toEqual([v('p')]);
  });

  it('reads `p if { "a": 1 }` as an object literal body but `p if { x }` as a body', () => {
    expect(rules('p if { "a": 1 }')[0]!.body).toEqual([termExpr({ type: 'object', items: [[s('a'), n('1')]] })]);
  });

  it('sets loc on rules, heads and bodies', () => {
    const m = parseModule('package t\n\n  p := 1 if {\n  x\n}', 'l.rego');
    const r = m.rules[0]!;
    expect(r.loc).toEqual({ file: 'l.rego', row: 3, col: 3 });
    expect(r.head.loc).toEqual({ file: 'l.rego', row: 3, col: 3 });
    expect(r.body[0]!.loc).toEqual({ file: 'l.rego', row: 4, col: 3 });
    expect(m.package.loc).toEqual({ file: 'l.rego', row: 1, col: 1 });
  });

  it('uses keywords as ref-head rule names', () => {
    const rs = rules('not.foo := 1\nfoo.not := 2\ndefault.x := 3');
    expect(rs.map((r) => r.head.ref)).toEqual([[v('not'), s('foo')], [v('foo'), s('not')], [v('default'), s('x')]]);
  });
});

describe('op helper sanity', () => {
  it('builds builtin refs as the parser does', () => {
    expect(noLoc(parseTerm('internal.member_2(a, b)'))).toEqual({ type: 'call', operator: op('internal.member_2'), args: [v('a'), v('b')] });
  });
});
