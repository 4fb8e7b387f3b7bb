// internal.template_string (Rego template strings, see the compile stage's
// guarantee 6) and strings.render_template (a Go text/template subset:
// {{.a.b}}, {{$v}}, {{if}}/{{else}}/{{end}}, {{range [$i,] [$v :=] x}}).

import { implementAll } from './define.js';
import { arrArg, objArg, strArg } from './operands.js';
import { BuiltinError, RegoSet, type RegoValue } from './types.js';
import { formatBare, formatNumber, getMember, isObject, objectEntries, setItems, sortedEntries } from './value.js';

const UNDEFINED_TEXT = '<undefined>';

function templateString(parts: RegoValue[]): string {
  return parts
    .map((p) => {
      if (typeof p === 'string') return p;
      if (p instanceof RegoSet) {
        const items = setItems(p);
        return items.length === 0 ? UNDEFINED_TEXT : formatBare(items[0]!);
      }
      return formatBare(p);
    })
    .join('');
}

// ---------------------------------------------------------------- text/template subset

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'print'; expr: string }
  | { kind: 'if'; expr: string; then: Node[]; else: Node[] }
  | { kind: 'range'; keyVar?: string; valVar?: string; expr: string; body: Node[]; else: Node[] };

function parseTemplate(src: string): Node[] {
  const tokens: Array<{ text?: string; action?: string }> = [];
  let i = 0;
  while (i < src.length) {
    const a = src.indexOf('{{', i);
    if (a < 0) {
      tokens.push({ text: src.slice(i) });
      break;
    }
    if (a > i) tokens.push({ text: src.slice(i, a) });
    const b = src.indexOf('}}', a);
    if (b < 0) throw new BuiltinError('template: unclosed action');
    let action = src.slice(a + 2, b);
    if (action.startsWith('-')) {
      action = action.slice(1);
      const last = tokens[tokens.length - 1];
      if (last?.text !== undefined) last.text = last.text.trimEnd();
    }
    let next = b + 2;
    if (action.endsWith('-')) {
      action = action.slice(0, -1);
      while (next < src.length && /\s/.test(src[next]!)) next++;
    }
    tokens.push({ action: action.trim() });
    i = next;
  }
  let pos = 0;
  const block = (): [Node[], string] => {
    const nodes: Node[] = [];
    while (pos < tokens.length) {
      const t = tokens[pos++]!;
      if (t.text !== undefined) {
        nodes.push({ kind: 'text', text: t.text });
        continue;
      }
      const act = t.action!;
      if (act === 'end' || act === 'else') return [nodes, act];
      if (act.startsWith('/*')) continue;
      const m = /^(if|range)\s+(.*)$/.exec(act);
      if (!m) {
        nodes.push({ kind: 'print', expr: act });
        continue;
      }
      const [thenNodes, stop] = block();
      let elseNodes: Node[] = [];
      if (stop === 'else') [elseNodes] = block();
      if (m[1] === 'if') nodes.push({ kind: 'if', expr: m[2]!, then: thenNodes, else: elseNodes });
      else {
        const r = /^(?:(\$\w+)\s*(?:,\s*(\$\w+))?\s*:=\s*)?(.+)$/.exec(m[2]!)!;
        const [keyVar, valVar] = r[2] ? [r[1], r[2]] : [undefined, r[1]];
        nodes.push({ kind: 'range', keyVar, valVar, expr: r[3]!, body: thenNodes, else: elseNodes });
      }
    }
    return [nodes, ''];
  };
  return block()[0];
}

type Scope = { dot: RegoValue | undefined; vars: Map<string, RegoValue> };

function evalExpr(expr: string, scope: Scope): RegoValue | undefined {
  const e = expr.trim();
  if (/^-?\d+(\.\d+)?$/.test(e)) return Number(e);
  if (/^".*"$/.test(e)) return JSON.parse(e) as string;
  if (e === 'true' || e === 'false') return e === 'true';
  const m = /^(\$\w*|\.)?((?:\.\w+)*)$/.exec(e === '.' ? '.' : e);
  if (!m) throw new BuiltinError(`template: unsupported expression ${JSON.stringify(expr)}`);
  let cur: RegoValue | undefined = m[1]?.startsWith('$') ? scope.vars.get(m[1]) : scope.dot;
  for (const field of (m[2] ?? '').split('.').filter(Boolean)) {
    if (cur === undefined) return undefined;
    cur = getMember(cur, field);
  }
  return cur;
}

function truthy(v: RegoValue | undefined): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof RegoSet) return v.items.length > 0;
  if (isObject(v)) return objectEntries(v).length > 0;
  return true;
}

/** Go's %v of the JSON-decoded value. */
function goPrint(v: RegoValue): string {
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.map(goPrint).join(' ')}]`;
  if (v instanceof RegoSet) return `[${setItems(v).map(goPrint).join(' ')}]`;
  return `map[${sortedEntries(v)
    .map(([k, x]) => `${goPrint(k)}:${goPrint(x)}`)
    .join(' ')}]`;
}

function render(nodes: Node[], scope: Scope): string {
  let out = '';
  for (const n of nodes) {
    switch (n.kind) {
      case 'text':
        out += n.text;
        break;
      case 'print': {
        const v = evalExpr(n.expr, scope);
        out += v === undefined ? UNDEFINED_TEXT : goPrint(v);
        break;
      }
      case 'if':
        out += render(truthy(evalExpr(n.expr, scope)) ? n.then : n.else, scope);
        break;
      case 'range': {
        const coll = evalExpr(n.expr, scope);
        const pairs: Array<[RegoValue, RegoValue]> = Array.isArray(coll)
          ? coll.map((x, i) => [i, x])
          : coll instanceof RegoSet
            ? setItems(coll).map((x, i) => [i, x])
            : coll !== undefined && isObject(coll)
              ? sortedEntries(coll)
              : [];
        if (pairs.length === 0) out += render(n.else, scope);
        for (const [k, v] of pairs) {
          const vars = new Map(scope.vars);
          if (n.keyVar) vars.set(n.keyVar, k);
          if (n.valVar) vars.set(n.valVar, v);
          out += render(n.body, { dot: v, vars });
        }
        break;
      }
    }
  }
  return out;
}

implementAll({
  'internal.template_string': (args) => templateString(arrArg(args, 0)),
  'strings.render_template': (args) => {
    const src = strArg(args, 0);
    const vars = objArg(args, 1);
    return render(parseTemplate(src), { dot: vars, vars: new Map([['$', vars]]) });
  },
});
