// rego.parse_module: a module's AST in the JSON shape OPA's ast package
// marshals (terms as {"type", "value"}, expressions as {"index", "terms"}),
// built from our own parser's AST. Locations are left out.
// rego.metadata.chain/rule depend on the compiled module's annotations and
// are resolved at compile time (compile/metadata.ts) wherever a rule calls
// them; what remains are calls from queries, which have no annotations:
// OPA answers [] and {} there.

import { RegoCompileError, formatProblem } from '../errors.js';
import type { Annotation, Body, Expr, Import, JsonValue, Module, Rule, RuleHead, Term } from '../syntax/ast.js';
import { parseModule } from '../syntax/parser.js';
import { implementAll } from './define.js';
import { strArg } from './operands.js';
import { BuiltinError, type RegoValue } from './types.js';

type Obj = { [k: string]: RegoValue };

const t = (type: string, value: RegoValue): Obj => ({ type, value });

function term(x: Term): Obj {
  switch (x.type) {
    case 'null':
      return t('null', null);
    case 'boolean':
      return t('boolean', x.value);
    case 'number':
      return t('number', Number(x.value));
    case 'string':
      return t('string', x.value);
    case 'var':
      return t('var', x.name);
    case 'ref':
      return t('ref', x.terms.map(term));
    case 'array':
      return t('array', x.items.map(term));
    case 'set':
      return t('set', x.items.map(term));
    case 'object':
      return t('object', x.items.map(([k, v]) => [term(k), term(v)]));
    case 'arraycomp':
      return t('arraycomprehension', { term: term(x.head), body: body(x.body) });
    case 'setcomp':
      return t('setcomprehension', { term: term(x.head), body: body(x.body) });
    case 'objectcomp':
      return t('objectcomprehension', { key: term(x.key), value: term(x.value), body: body(x.body) });
    case 'call':
      return t('call', [term(x.operator), ...x.args.map(term)]);
    case 'template':
      return t('templatestring', x.parts.map((p) => (typeof p === 'string' ? t('string', p) : term(p))));
  }
}

function expr(e: Expr, index: number): Obj {
  let terms: RegoValue;
  switch (e.kind.type) {
    case 'term':
      terms = term(e.kind.term);
      break;
    case 'call':
      terms = [term(e.kind.operator), ...e.kind.args.map(term)];
      break;
    case 'some':
      terms = t('someDecl', e.kind.symbols.map(term));
      break;
    case 'every':
      terms = t('every', {
        ...(e.kind.key ? { key: term(e.kind.key) } : {}),
        value: term(e.kind.value),
        domain: term(e.kind.domain),
        body: body(e.kind.body),
      });
      break;
  }
  const out: Obj = { index, terms };
  if (e.negated) out.negated = true;
  if (e.with.length) out.with = e.with.map((w) => ({ target: term(w.target), value: term(w.value) }));
  return out;
}

const body = (b: Body): RegoValue[] => b.map((e, i) => expr(e, i));

function head(h: RuleHead): Obj {
  const first = h.ref[0];
  const out: Obj = { name: first && first.type === 'var' ? first.name : '', ref: h.ref.map(term) };
  if (h.args) out.args = h.args.map(term);
  if (h.key) out.key = term(h.key);
  if (h.value) out.value = term(h.value);
  if (h.assign) out.assign = true;
  return out;
}

/** A ref written as its segments (["input", "x"]) in term JSON: a var head, string keys. */
function segmentsRef(segs: string[]): RegoValue[] {
  return segs.map((s, i) => (i === 0 ? t('var', s) : t('string', s)));
}

/** Annotations as OPA marshals them (Go field names, empty fields omitted). */
function annotationJson(a: Annotation): Obj {
  const out: Obj = { scope: a.scope };
  if (a.title) out.title = a.title;
  if (a.entrypoint) out.entrypoint = true;
  if (a.description) out.description = a.description;
  if (a.organizations?.length) out.organizations = [...a.organizations];
  if (a.relatedResources?.length) out.related_resources = a.relatedResources.map((r) => ({ ...r }));
  if (a.authors?.length) out.authors = a.authors.map((x) => ({ ...x }));
  if (a.schemas?.length) {
    out.schemas = a.schemas.map((s) => {
      const o: Obj = { path: segmentsRef(s.path) };
      if (s.schema) o.schema = segmentsRef(s.schema);
      if (s.definition !== undefined) o.definition = jsonValue(s.definition);
      return o;
    });
  }
  if (a.custom && Object.keys(a.custom).length) out.custom = jsonValue(a.custom);
  return out;
}

/** JSON values are Rego values as they are. */
function jsonValue(v: JsonValue): RegoValue {
  return v as RegoValue;
}

function rule(r: Rule): Obj {
  const out: Obj = { head: head(r.head), body: body(r.body) };
  if (r.annotations?.length) out.annotations = r.annotations.map(annotationJson);
  if (r.default) out.default = true;
  if (r.else) out.else = rule(r.else);
  return out;
}

function importJson(i: Import): Obj {
  return i.alias ? { path: term(i.path), alias: i.alias } : { path: term(i.path) };
}

export function moduleJson(m: Module): Obj {
  const out: Obj = {
    package: { path: [t('var', 'data'), ...m.package.path.map((p) => t('string', p))] },
    rules: m.rules.map(rule),
  };
  if (m.imports.length) out.imports = m.imports.map(importJson);
  if (m.annotations?.length) out.annotations = m.annotations.map(annotationJson);
  return out;
}

implementAll({
  'rego.metadata.chain': () => [],
  'rego.metadata.rule': () => ({}),
  'rego.parse_module': (args) => {
    const file = strArg(args, 0);
    const src = strArg(args, 1);
    try {
      return moduleJson(parseModule(src, file));
    } catch (e) {
      if (e instanceof RegoCompileError) throw new BuiltinError(e.problems.map(formatProblem).join('\n'));
      throw e;
    }
  },
});
