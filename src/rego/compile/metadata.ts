// `rego.metadata.rule()` and `rego.metadata.chain()` depend only on the
// annotations in scope of the calling rule, so, as OPA's compiler does, they
// are replaced at compile time by constants:
//  - rule():  the rule's own `rule`-scope annotations (the block closest to
//             the rule), or {} when it has none;
//  - chain(): [{path, annotations?}, ...] from the rule outwards: the rule
//             (always present, path = its rule set path), the `document`
//             annotations of that path, the `package` annotations of its
//             package, then `subpackages` annotations of the package and
//             each enclosing package, innermost first. Paths omit `data`.
// Else rules are rules without annotations of their own, as in OPA.

import type { Annotation, Body, Expr, JsonValue, Module, Rule, Term, With } from '../syntax/ast.js';
import { formatLocation, type Location } from '../syntax/ast.js';
import { annotationObject } from '../syntax/annotation-json.js';
import type { Problems } from './context.js';
import { dottedName, opRef } from './terms.js';
import type { RuleEntry } from './tree.js';

const CHAIN = 'rego.metadata.chain';
const RULE = 'rego.metadata.rule';

interface PathAnnotation { path: string[]; annotation: Annotation }

/** Package-, subpackages- and document-scoped annotations of the whole program, by path. */
export class MetadataScopes {
  private readonly documents = new Map<string, PathAnnotation>();
  private readonly packages = new Map<string, PathAnnotation>();
  private readonly subpackages = new Map<string, PathAnnotation>();

  constructor(modules: Module[], entries: RuleEntry[], problems: Problems) {
    for (const m of modules) {
      for (const a of m.package.annotations ?? []) {
        const table = a.scope === 'subpackages' ? this.subpackages : this.packages;
        this.add(table, a.scope, { path: m.package.path, annotation: a }, problems);
      }
    }
    for (const { rule, path } of entries) {
      for (const a of rule.annotations ?? []) {
        if (a.scope === 'document') this.add(this.documents, 'document', { path, annotation: a }, problems);
      }
    }
  }

  private add(table: Map<string, PathAnnotation>, scope: string, entry: PathAnnotation, problems: Problems): void {
    const key = JSON.stringify(entry.path);
    const seen = table.get(key);
    if (seen) {
      problems.add('rego_type_error', `${scope} annotation redeclared: ${formatLocation(seen.annotation.loc)}`, entry.annotation.loc);
      return;
    }
    table.set(key, entry);
  }

  /** `rego.metadata.rule()` for `rule`. */
  ruleValue(rule: Rule): JsonValue {
    const own = primaryRuleAnnotation(rule);
    return own ? annotationObject(own) : {};
  }

  /** `rego.metadata.chain()` for `rule`, whose rule set is at `path` in package `pkg`. */
  chainValue(rule: Rule, path: string[], pkg: string[]): JsonValue {
    const own = primaryRuleAnnotation(rule);
    const links: JsonValue[] = [own ? link(path, own) : { path: [...path] }];
    const doc = this.documents.get(JSON.stringify(path));
    if (doc) links.push(link(doc.path, doc.annotation));
    const p = this.packages.get(JSON.stringify(pkg));
    if (p) links.push(link(p.path, p.annotation));
    for (let n = pkg.length; n > 0; n--) {
      const sub = this.subpackages.get(JSON.stringify(pkg.slice(0, n)));
      if (sub) links.push(link(sub.path, sub.annotation));
    }
    return links;
  }
}

function link(path: string[], a: Annotation): JsonValue {
  return { path: [...path], annotations: annotationObject(a) };
}

/** The `rule`-scope block written closest to the rule. */
function primaryRuleAnnotation(rule: Rule): Annotation | undefined {
  const own = (rule.annotations ?? []).filter((a) => a.scope === 'rule');
  return own[own.length - 1];
}

/** Replaces the metadata calls in `rule` (head, body, nested bodies, else chain) by constants. */
export function rewriteMetadataCalls(rule: Rule, scopes: MetadataScopes, path: string[], pkg: string[]): void {
  if (!mentionsMetadata(rule)) return;
  for (let r: Rule | undefined = rule, first = true; r; r = r.else, first = false) {
    // Else rules carry no annotations of their own.
    const self: Rule = first ? r : { ...r, annotations: [] };
    const values = new LazyValues(() => scopes.chainValue(self, path, pkg), () => scopes.ruleValue(self));
    const h = r.head;
    if (h.key) h.key = rewriteTerm(h.key, values);
    if (h.value) h.value = rewriteTerm(h.value, values);
    r.body = rewriteBody(r.body, values);
  }
}

class LazyValues {
  private chainV?: JsonValue;
  private ruleV?: JsonValue;
  constructor(private readonly makeChain: () => JsonValue, private readonly makeRule: () => JsonValue) {}
  chain(): JsonValue { return (this.chainV ??= this.makeChain()); }
  rule(): JsonValue { return (this.ruleV ??= this.makeRule()); }
}

/** Cheap pre-check (most rules never call these builtins): does the string "metadata" occur in the rule outside locations and annotations? */
function mentionsMetadata(rule: Rule): boolean {
  return holdsString(rule, 'metadata');
}

function holdsString(node: unknown, text: string): boolean {
  if (node === text) return true;
  if (typeof node !== 'object' || node === null) return false;
  if (Array.isArray(node)) {
    for (const x of node) if (holdsString(x, text)) return true;
    return false;
  }
  for (const k in node) {
    if (k === 'loc' || k === 'annotations') continue;
    if (holdsString((node as Record<string, unknown>)[k], text)) return true;
  }
  return false;
}

function metadataCall(operator: Term, values: LazyValues): JsonValue | undefined {
  if (operator.type !== 'ref') return undefined;
  const name = dottedName(operator);
  if (name === CHAIN) return values.chain();
  if (name === RULE) return values.rule();
  return undefined;
}

function rewriteBody(body: Body, values: LazyValues): Body {
  return body.map((e) => rewriteExpr(e, values));
}

function rewriteExpr(e: Expr, values: LazyValues): Expr {
  const withs: With[] = e.with.map((w) => ({ ...w, value: rewriteTerm(w.value, values) }));
  const k = e.kind;
  switch (k.type) {
    case 'term':
      return { ...e, kind: { type: 'term', term: rewriteTerm(k.term, values) }, with: withs };
    case 'call': {
      const value = k.args.length <= 1 ? metadataCall(k.operator, values) : undefined;
      if (value !== undefined) {
        const constant = jsonTerm(value, k.operator.loc);
        // `rego.metadata.chain(x)` binds its output: it becomes `x = <constant>`.
        const kind = k.args.length === 1
          ? { type: 'call' as const, operator: opRef('eq', k.operator.loc), args: [k.args[0]!, constant] }
          : { type: 'term' as const, term: constant };
        return { ...e, kind, with: withs };
      }
      return { ...e, kind: { ...k, args: k.args.map((a) => rewriteTerm(a, values)) }, with: withs };
    }
    case 'some':
      return { ...e, kind: { type: 'some', symbols: k.symbols.map((s) => rewriteTerm(s, values)) }, with: withs };
    case 'every':
      return {
        ...e,
        kind: { ...k, domain: rewriteTerm(k.domain, values), body: rewriteBody(k.body, values) },
        with: withs,
      };
  }
}

function rewriteTerm(t: Term, values: LazyValues): Term {
  switch (t.type) {
    case 'call': {
      const value = t.args.length === 0 ? metadataCall(t.operator, values) : undefined;
      if (value !== undefined) return jsonTerm(value, t.loc);
      return { ...t, args: t.args.map((a) => rewriteTerm(a, values)) };
    }
    case 'ref': return { ...t, terms: t.terms.map((x) => rewriteTerm(x, values)) };
    case 'array': case 'set': return { ...t, items: t.items.map((x) => rewriteTerm(x, values)) };
    case 'object': return { ...t, items: t.items.map(([a, b]) => [rewriteTerm(a, values), rewriteTerm(b, values)] as [Term, Term]) };
    case 'arraycomp': case 'setcomp': return { ...t, head: rewriteTerm(t.head, values), body: rewriteBody(t.body, values) };
    case 'objectcomp':
      return { ...t, key: rewriteTerm(t.key, values), value: rewriteTerm(t.value, values), body: rewriteBody(t.body, values) };
    case 'template': return { ...t, parts: t.parts.map((p) => (typeof p === 'string' ? p : rewriteTerm(p, values))) };
    default: return t;
  }
}

/** A JSON value as a constant term. */
export function jsonTerm(value: JsonValue, loc: Location): Term {
  if (value === null) return { type: 'null', loc };
  if (typeof value === 'boolean') return { type: 'boolean', value, loc };
  if (typeof value === 'number') return { type: 'number', value: JSON.stringify(value), loc };
  if (typeof value === 'string') return { type: 'string', value, loc };
  if (Array.isArray(value)) return { type: 'array', items: value.map((x) => jsonTerm(x, loc)), loc };
  return {
    type: 'object',
    items: Object.keys(value).sort().map((k) => [{ type: 'string', value: k, loc }, jsonTerm(value[k]!, loc)] as [Term, Term]),
    loc,
  };
}
