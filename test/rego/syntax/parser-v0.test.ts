// Rego v0 (Postee/Hooker templates): bodies without `if`, partial sets as
// `p[x] { }`, `=` heads, keywords only after `import future.keywords`.

import { describe, expect, it } from 'vitest';
import { parseModule } from '../../../src/rego/syntax/parser.js';
import { ruleKind } from '../../../src/rego/syntax/ast.js';
import { b, call, callExpr, n, noLoc, ref, s, termExpr, v } from './helpers.js';

const v0 = (src: string) => parseModule(src, 'tpl.rego', { regoVersion: 'v0' });

const POSTEE_HTML = `package postee.vuls.html

title = sprintf("%s vulnerability scan report", [input.image])

tpl := \`
<p><b>Image name:</b> %s</p>
<p><b>Registry:</b> %s</p>
%s
\`

check_failed(item) = false {
    not item.failed
}

check_failed(item) = true {
    item.failed
}

with_default(obj, field, default_value) = obj[field]

with_default(obj, field, default_value) = default_value {
    not obj[field]
}

vln_list(severity) = l {
    vlnrb := [r |
        item := input.resources[_]
        vln := item.vulnerabilities[_]
        vln.aqua_severity == severity
        r := sprintf("<tr><td>%s</td><td>%s</td></tr>", [vln.name, with_default(vln, "fix_version", "none")])
    ]
    l := concat("", vlnrb)
}

result = msg {
    msg := sprintf(tpl, [
        input.image,
        input.registry,
        concat("", [vln_list("critical"), vln_list("high")]),
    ])
}

url := sprintf("%s/images/%s", [input.server_url, urlquery.encode(input.image)])
`;

const POSTEE_ROUTE = `package postee.routes

default allow = false

allow {
    contains(input.image, "alpine")
    input.vulnerability_summary.critical > 0
}

deny[msg] {
    input.resources[i].name == "openssl"
    msg := sprintf("openssl found at %d", [i])
}

labels[k] = v {
    some k
    v := input.labels[k]
}

severity = "high" { input.score >= 7 } else = "low" { true }
`;

describe('v0 modules', () => {
  it('parses a Postee HTML template unchanged', () => {
    const m = v0(POSTEE_HTML);
    expect(m.package.path).toEqual(['postee', 'vuls', 'html']);
    expect(m.regoVersion).toBe('v0');
    const names = m.rules.map((r) => (r.head.ref[0] as { name: string }).name);
    expect(names).toEqual(['title', 'tpl', 'check_failed', 'check_failed', 'with_default', 'with_default', 'vln_list', 'result', 'url']);

    const [title, , cf1, , wd1, , vln, result] = m.rules.map(noLoc);
    expect(title!.head).toEqual({ ref: [v('title')], assign: false, value: call('sprintf', s('%s vulnerability scan report'), { type: 'array', items: [ref(v('input'), s('image'))] }) });
    expect(title!.body).toEqual([]);
    expect(cf1!.head).toEqual({ ref: [v('check_failed')], args: [v('item')], value: b(false), assign: false });
    expect(cf1!.body).toEqual([{ ...termExpr(ref(v('item'), s('failed'))), negated: true }]);
    expect(wd1!.head.value).toEqual(ref(v('obj'), v('field')));
    expect(wd1!.body).toEqual([]);
    // The multi-line comprehension body is split on newlines.
    const comp = (vln!.body[0]!.kind as { args: Array<{ type: string; body: unknown[] }> }).args[1]!;
    expect(comp.type).toBe('arraycomp');
    expect(comp.body).toHaveLength(4);
    expect(result!.head.value).toEqual(v('msg'));
  });

  it('parses Postee routing rules: defaults, partial sets and objects, else', () => {
    const m = v0(POSTEE_ROUTE);
    const [def, allow, deny, labels, severity] = m.rules;
    expect(noLoc(def)).toEqual({ default: true, head: { ref: [v('allow')], value: b(false), assign: false }, body: [] });
    expect(ruleKind(allow!)).toBe('single');
    expect(noLoc(allow!.body[0])).toEqual(callExpr('contains', ref(v('input'), s('image')), s('alpine')));
    expect(ruleKind(deny!)).toBe('multi');
    expect(noLoc(deny!.head)).toEqual({ ref: [v('deny')], key: v('msg'), assign: false });
    expect(noLoc(labels!.head)).toEqual({ ref: [v('labels'), v('k')], value: v('v'), assign: false });
    expect(noLoc(severity!.else!.head.value)).toEqual(s('low'));
  });

  it('treats if/in/contains/every as plain names until imported', () => {
    expect(() => v0('package p\nq { x in [1] }')).toThrow(/rego_parse_error/);
    const m = v0('package p\nimport future.keywords.in\nq { x in [1] }');
    expect(noLoc(m.rules[0]!.body)).toEqual([callExpr('internal.member_2', v('x'), { type: 'array', items: [n('1')] })]);
    const all = v0('package p\nimport future.keywords\nq contains x if { some x in [1] }\nr if every x in [1] { x > 0 }');
    expect(all.rules.map(ruleKind)).toEqual(['multi', 'single']);
  });

  it('keeps v0 p[x] { } a partial set even with future keywords imported', () => {
    const m = v0('package p\nimport future.keywords.if\nq[x] { x := 1 }\nr[x] if { x := 1 }');
    expect(noLoc(m.rules[0]!.head)).toEqual({ ref: [v('q')], key: v('x'), assign: false });
    expect(noLoc(m.rules[1]!.head)).toEqual({ ref: [v('r'), v('x')], value: b(true), assign: false });
  });

  it('applies v1 rules after import rego.v1', () => {
    expect(() => v0('package p\nimport rego.v1\nq { true }')).toThrow('`if` keyword is required before rule body');
    expect(v0('package p\nimport rego.v1\nq if { 1 in [1] }').rules).toHaveLength(1);
  });

  it('allows several bodies for one head', () => {
    const m = v0('package p\nq { input.a } { input.b }');
    expect(m.rules).toHaveLength(2);
    expect(m.rules[1]!.loc).toMatchObject({ row: 2, col: 15 });
  });
});

describe('v0 constant partial set entries', () => {
  it('accepts `p["a"]` without a body as an unconditional set element', () => {
    const m = v0('package p\nq["a"]\nq["b"]');
    expect(m.rules.map((r) => noLoc(r.head))).toEqual([
      { ref: [v('q')], key: s('a'), assign: false },
      { ref: [v('q')], key: s('b'), assign: false },
    ]);
    expect(m.rules.every((r) => r.body.length === 0)).toBe(true);
  });
});
