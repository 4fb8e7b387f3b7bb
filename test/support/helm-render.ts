// Renders deploy/helm/hooker for the tests without the helm binary (neither
// Debian nor npm ships it). It implements the part of Go's text/template and
// of Helm's functions the chart uses, with Go's semantics: trim markers,
// if/else/with/range/define, pipelines and parentheses, truthiness, and
// include/default/quote/toYaml/nindent/indent/printf/sha256sum/eq/and/or/not.
// Anything else is an error, so a chart edit that needs more fails loudly
// here instead of rendering differently from Helm. A value that renders as
// Go's "<no value>" is an error too: in this chart it is always a typo.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'out'; pipe: Pipeline; where: string }
  | { kind: 'if' | 'with'; pipe: Pipeline; then: Node[]; else: Node[]; where: string }
  | { kind: 'range'; pipe: Pipeline; body: Node[]; where: string };
type Operand = { field: string[]; root: boolean } | { lit: unknown } | { fn: string } | { sub: Pipeline };
type Pipeline = Operand[][];

export interface RenderInput {
  chartDir: string;
  releaseName: string;
  namespace: string;
  /** Merged over values.yaml (objects deeply, everything else replaced), like `--set`/`-f`. */
  values?: Record<string, unknown>;
}

export interface Rendered {
  /** Output of each template file (without the `_` helpers). */
  files: Record<string, string>;
  /** Every YAML document of the output, parsed. */
  objects: Array<Record<string, any>>;
}

export function renderChart(input: RenderInput): Rendered {
  const chart = YAML.parse(readFileSync(join(input.chartDir, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
  const values = merge(YAML.parse(readFileSync(join(input.chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>, input.values ?? {});
  const root = {
    Values: values,
    Release: { Name: input.releaseName, Namespace: input.namespace, Service: 'Helm' },
    Chart: { Name: chart['name'], Version: chart['version'], AppVersion: chart['appVersion'] },
  };
  const dir = join(input.chartDir, 'templates');
  const defines = new Map<string, Node[]>();
  const parsed = new Map<string, Node[]>();
  for (const f of readdirSync(dir).sort()) {
    if (!/\.(yaml|tpl)$/.test(f)) continue;
    parsed.set(f, parse(readFileSync(join(dir, f), 'utf8'), f, defines));
  }
  const files: Record<string, string> = {};
  const objects: Array<Record<string, any>> = [];
  for (const [f, nodes] of parsed) {
    if (f.startsWith('_')) continue;
    const out = exec(nodes, root, root, defines);
    files[f] = out;
    for (const doc of YAML.parseAllDocuments(out)) {
      if (doc.errors.length) throw new Error(`${f}: rendered YAML is invalid: ${doc.errors[0]!.message}\n${out}`);
      const obj = doc.toJSON() as Record<string, any> | null;
      if (obj) objects.push(obj);
    }
  }
  return { files, objects };
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isMap(b) && isMap(v) ? merge(b, v) : v;
  }
  return out;
}
const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---- parsing ---------------------------------------------------------------

function parse(src: string, file: string, defines: Map<string, Node[]>): Node[] {
  const re = /\{\{(-\s)?([\s\S]*?)(\s-)?\}\}/g;
  const tokens: Array<{ text: string } | { action: string; where: string }> = [];
  let last = 0;
  let trimNext = false;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    let text = src.slice(last, m.index);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (m[1]) text = text.replace(/\s+$/, '');
    tokens.push({ text });
    const line = src.slice(0, m.index).split('\n').length;
    const action = m[2]!.trim();
    if (!action.startsWith('/*')) tokens.push({ action, where: `${file}:${line}` });
    trimNext = !!m[3];
    last = re.lastIndex;
  }
  let tail = src.slice(last);
  if (trimNext) tail = tail.replace(/^\s+/, '');
  tokens.push({ text: tail });

  let i = 0;
  const block = (stopAt: string[]): { nodes: Node[]; stop: string; where: string } => {
    const nodes: Node[] = [];
    while (i < tokens.length) {
      const t = tokens[i++]!;
      if ('text' in t) { if (t.text) nodes.push({ kind: 'text', text: t.text }); continue; }
      const [word, rest] = splitWord(t.action);
      if (stopAt.includes(word)) return { nodes, stop: t.action, where: t.where };
      if (word === 'if' || word === 'with') nodes.push(conditional(word, rest, t.where));
      else if (word === 'range') {
        const body = block(['end']);
        if (body.stop !== 'end') throw new Error(`${t.where}: range ... else is not supported`);
        nodes.push({ kind: 'range', pipe: parsePipeline(rest, t.where), body: body.nodes, where: t.where });
      } else if (word === 'define') {
        const name = JSON.parse(rest) as string;
        defines.set(name, block(['end']).nodes);
      } else if (['end', 'else', 'template', 'block', 'break', 'continue'].includes(word)) {
        throw new Error(`${t.where}: "${t.action}" is not supported here`);
      } else nodes.push({ kind: 'out', pipe: parsePipeline(t.action, t.where), where: t.where });
    }
    if (stopAt.length) throw new Error(`${file}: missing {{ end }}`);
    return { nodes, stop: '', where: file };
  };
  const conditional = (kind: 'if' | 'with', rest: string, where: string): Node => {
    const thenPart = block(['end', 'else']);
    let elsePart: Node[] = [];
    if (thenPart.stop !== 'end') {
      const [, afterElse] = splitWord(thenPart.stop);
      if (afterElse.startsWith('if ')) elsePart = [conditional('if', afterElse.slice(3), thenPart.where)];
      else if (afterElse) throw new Error(`${thenPart.where}: "${thenPart.stop}" is not supported`);
      else {
        const e = block(['end']);
        elsePart = e.nodes;
      }
    }
    return { kind, pipe: parsePipeline(rest, where), then: thenPart.nodes, else: elsePart, where };
  };
  return block([]).nodes;
}

function splitWord(action: string): [string, string] {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(action);
  return m ? [m[1]!, m[2]!.trim()] : ['', ''];
}

function lex(src: string, where: string): string[] {
  const out: string[] = [];
  const re = /\s*("(?:[^"\\]|\\.)*"|`[^`]*`|\(|\)|\||[^\s()|]+)/gy;
  let end = 0;
  for (let m = re.exec(src); m; m = re.exec(src)) { out.push(m[1]!); end = re.lastIndex; }
  if (src.slice(end).trim()) throw new Error(`${where}: cannot read "${src}"`);
  return out;
}

function parsePipeline(src: string, where: string): Pipeline {
  const toks = lex(src, where);
  let i = 0;
  const pipeline = (): Pipeline => {
    const cmds: Operand[][] = [[]];
    while (i < toks.length) {
      const t = toks[i++]!;
      if (t === ')') return cmds;
      if (t === '|') { cmds.push([]); continue; }
      cmds.at(-1)!.push(t === '(' ? { sub: pipeline() } : operand(t, where));
    }
    return cmds;
  };
  const p = pipeline();
  if (i < toks.length || p.some((c) => c.length === 0)) throw new Error(`${where}: cannot read "${src}"`);
  return p;
}

function operand(t: string, where: string): Operand {
  if (t.startsWith('"')) return { lit: JSON.parse(t) };
  if (t.startsWith('`')) return { lit: t.slice(1, -1) };
  if (/^-?\d+(\.\d+)?$/.test(t)) return { lit: Number(t) };
  if (t === 'true' || t === 'false') return { lit: t === 'true' };
  if (t === 'nil') return { lit: undefined };
  if (t === '.') return { field: [], root: false };
  if (t.startsWith('.')) return { field: t.slice(1).split('.'), root: false };
  if (t === '$') return { field: [], root: true };
  if (t.startsWith('$.')) return { field: t.slice(2).split('.'), root: true };
  if (/^[A-Za-z_]\w*$/.test(t)) return { fn: t };
  throw new Error(`${where}: "${t}" is not supported`);
}

// ---- execution -------------------------------------------------------------

function truth(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isMap(v)) return Object.keys(v).length > 0;
  return true;
}

function exec(nodes: Node[], dot: unknown, root: unknown, defines: Map<string, Node[]>): string {
  let out = '';
  for (const n of nodes) {
    switch (n.kind) {
      case 'text': out += n.text; break;
      case 'out': out += print(evalPipe(n.pipe, dot, root, defines, n.where), n.where); break;
      case 'if': {
        const v = evalPipe(n.pipe, dot, root, defines, n.where);
        out += exec(truth(v) ? n.then : n.else, dot, root, defines);
        break;
      }
      case 'with': {
        const v = evalPipe(n.pipe, dot, root, defines, n.where);
        out += truth(v) ? exec(n.then, v, root, defines) : exec(n.else, dot, root, defines);
        break;
      }
      case 'range': {
        const v = evalPipe(n.pipe, dot, root, defines, n.where);
        const items = Array.isArray(v) ? v : isMap(v) ? Object.keys(v).sort().map((k) => v[k]) : v === undefined || v === null ? [] : undefined;
        if (!items) throw new Error(`${n.where}: range over ${typeof v}`);
        for (const item of items) out += exec(n.body, item, root, defines);
        break;
      }
    }
  }
  return out;
}

function print(v: unknown, where: string): string {
  if (v === undefined || v === null) throw new Error(`${where}: renders <no value>`);
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new Error(`${where}: prints a ${Array.isArray(v) ? 'list' : 'map'} (use toYaml)`);
}

function evalPipe(pipe: Pipeline, dot: unknown, root: unknown, defines: Map<string, Node[]>, where: string): unknown {
  let piped: { v: unknown } | undefined;
  for (const cmd of pipe) {
    const [head, ...rest] = cmd;
    const arg = (o: Operand): unknown => {
      if ('lit' in o) return o.lit;
      if ('sub' in o) return evalPipe(o.sub, dot, root, defines, where);
      if ('fn' in o) return call(o.fn, [], where, defines, root);
      let v: unknown = o.root ? root : dot;
      for (const [k, key] of o.field.entries()) {
        if (!isMap(v)) throw new Error(`${where}: nil pointer evaluating .${o.field.slice(0, k + 1).join('.')}`);
        v = v[key];
      }
      return v;
    };
    if ('fn' in head!) {
      const args = rest.map(arg);
      if (piped) args.push(piped.v);
      piped = { v: call(head.fn, args, where, defines, root) };
    } else {
      if (rest.length || piped) throw new Error(`${where}: cannot give arguments to a value`);
      piped = { v: arg(head!) };
    }
  }
  return piped!.v;
}

function call(fn: string, args: unknown[], where: string, defines: Map<string, Node[]>, root: unknown): unknown {
  const str = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'string' ? v : print(v, where));
  const pad = (n: unknown, s: unknown) => { const p = ' '.repeat(Number(n)); return p + str(s).replace(/\n/g, `\n${p}`); };
  switch (fn) {
    case 'include': {
      const body = defines.get(String(args[0]));
      if (!body) throw new Error(`${where}: no template "${String(args[0])}"`);
      return exec(body, args[1], root, defines);
    }
    case 'default': return args.length === 2 && truth(args[1]) ? args[1] : args[0];
    case 'quote': return args.map((a) => JSON.stringify(str(a))).join(' ');
    case 'toYaml': return args[0] === undefined || args[0] === null ? '' : YAML.stringify(args[0]).replace(/\n$/, '');
    case 'indent': return pad(args[0], args[1]);
    case 'nindent': return '\n' + pad(args[0], args[1]);
    case 'sha256sum': return createHash('sha256').update(str(args[0])).digest('hex');
    case 'printf': {
      let k = 1;
      return String(args[0]).replace(/%[sdv%]/g, (m) => (m === '%%' ? '%' : str(args[k++])));
    }
    case 'eq': return args.slice(1).some((a) => a === args[0]);
    case 'not': return !truth(args[0]);
    case 'and': { for (const a of args) if (!truth(a)) return a; return args.at(-1); }
    case 'or': { for (const a of args) if (truth(a)) return a; return args.at(-1); }
    default: throw new Error(`${where}: function "${fn}" is not supported by the test renderer`);
  }
}
