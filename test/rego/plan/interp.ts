// A reference interpreter of the IR (ir.ts execution model) over the
// TypeScript builtins' value representation, so that planner tests check
// what plans *do* independently of the wasm emitter and runtime.

import '../../../src/rego/builtins/index.js';
import { lookupBuiltin } from '../../../src/rego/builtins/registry.js';
import { BuiltinError, RegoObject, RegoSet, type RegoValue } from '../../../src/rego/builtins/types.js';
import {
  equal, getMember, isObject, isPlainObject, objectEntries, objectSize, setHas, sortValues, sortedEntries,
} from '../../../src/rego/builtins/value.js';
import type { Block, Func, Operand, Policy, Stmt } from '../../../src/rego/plan/ir.js';

export class EvalAbort extends Error {}

/** Builtins the runtime implements natively (no TypeScript implementation to borrow). */
const FALLBACK_BUILTINS: Record<string, (args: RegoValue[]) => RegoValue | undefined> = {
  is_number: ([x]) => typeof x === 'number' || undefined,
  is_string: ([x]) => typeof x === 'string' || undefined,
  is_boolean: ([x]) => typeof x === 'boolean' || undefined,
  is_null: ([x]) => x === null || undefined,
  is_array: ([x]) => Array.isArray(x) || undefined,
  is_set: ([x]) => x instanceof RegoSet || undefined,
  is_object: ([x]) => (x !== undefined && isObject(x)) || undefined,
};

type Outcome = 'done' | 'early' | 'return' | { brk: number };
type StmtOutcome = 'ok' | 'fail' | 'return' | { brk: number };

type Frame = Map<number, RegoValue>;

function clone(v: RegoValue): RegoValue {
  if (Array.isArray(v)) return v.map(clone);
  if (v instanceof RegoSet) return new RegoSet(v.items.map(clone));
  if (v instanceof RegoObject) return new RegoObject(v.entries.map(([k, x]) => [clone(k), clone(x)]));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clone(x)]));
  return v;
}

function insert(obj: RegoValue, key: RegoValue, value: RegoValue): void {
  if (obj instanceof RegoObject) {
    const e = obj.entries.find(([k]) => equal(k, key));
    if (e) e[1] = value; else obj.entries.push([key, value]);
  } else if (isPlainObject(obj)) {
    if (typeof key === 'string') obj[key] = value;
    else throw new Error('interpreter: non-string object keys only in RegoObject');
  } else throw new Error('interpreter: insert into non-object');
}

function upsert(doc: RegoValue | undefined, path: string[], value: RegoValue): RegoValue {
  if (path.length === 0) return value;
  const base = doc !== undefined && isPlainObject(doc) ? { ...doc } : {};
  base[path[0]!] = upsert(base[path[0]!], path.slice(1), value);
  return base;
}

function merge(a: RegoValue, b: RegoValue): RegoValue | undefined {
  if (!isPlainObject(a) || !isPlainObject(b)) return undefined;
  const out: { [k: string]: RegoValue } = { ...b };
  for (const [k, v] of Object.entries(a)) {
    if (k in out) {
      if (isPlainObject(v) && isPlainObject(out[k]!)) {
        const m = merge(v, out[k]!);
        if (m === undefined) return undefined;
        out[k] = m;
      } else out[k] = v;
    } else out[k] = v;
  }
  return out;
}

function entries(v: RegoValue): Array<[RegoValue, RegoValue]> {
  if (Array.isArray(v)) return v.map((x, i) => [i, x]);
  if (v instanceof RegoSet) return sortValues([...v.items]).map((x) => [x, x]);
  if (isObject(v)) return sortedEntries(v);
  return [];
}

export class Interpreter {
  private readonly funcs = new Map<string, Func>();
  private results: RegoValue[] = [];

  constructor(private readonly policy: Policy) {
    for (const f of policy.funcs) this.funcs.set(f.name, f);
  }

  run(plan: string, input: RegoValue | undefined, data: RegoValue): RegoValue[] {
    const p = this.policy.plans.find((x) => x.name === plan);
    if (!p) throw new Error(`no plan ${plan}`);
    this.results = [];
    const frame: Frame = new Map();
    if (input !== undefined) frame.set(0, input);
    frame.set(1, data);
    for (const b of p.blocks) this.block(b, frame);
    return this.results;
  }

  private op(o: Operand, f: Frame): RegoValue | undefined {
    switch (o.type) {
      case 'local': return f.get(o.local);
      case 'bool': return o.value;
      case 'string_index': return this.policy.static.strings[o.index]!;
    }
  }

  private must(o: Operand, f: Frame): RegoValue {
    const v = this.op(o, f);
    if (v === undefined) throw new Error(`interpreter: undefined operand ${JSON.stringify(o)}`);
    return v;
  }

  private block(b: Block, f: Frame): Outcome {
    for (const s of b.stmts) {
      const r = this.stmt(s, f);
      if (r === 'ok') continue;
      if (r === 'fail') return 'early';
      if (r === 'return') return 'return';
      return r.brk === 0 ? 'early' : { brk: r.brk - 1 };
    }
    return 'done';
  }

  private nested(r: Outcome): StmtOutcome | undefined {
    if (r === 'return') return 'return';
    if (typeof r === 'object') return r;
    return undefined;
  }

  private call(name: string, args: RegoValue[], f: Frame): RegoValue | undefined {
    const fn = this.funcs.get(name);
    if (fn) {
      const frame: Frame = new Map();
      const all = [f.get(0), f.get(1), ...args];
      fn.params.forEach((l, i) => { if (all[i] !== undefined) frame.set(l, all[i]!); });
      for (const b of fn.blocks) if (this.block(b, frame) === 'return') break;
      return frame.get(fn.result);
    }
    const fallback = FALLBACK_BUILTINS[name];
    if (fallback) return fallback(args);
    const decl = lookupBuiltin(name);
    if (!decl?.impl) throw new Error(`interpreter: no builtin ${name}`);
    try {
      return decl.impl(args.map(clone), { nowNs: 0n, cache: new Map() });
    } catch (e) {
      if (e instanceof BuiltinError) return undefined;
      throw e;
    }
  }

  private stmt(s: Stmt, f: Frame): StmtOutcome {
    const set = (l: number, v: RegoValue | undefined): StmtOutcome => {
      if (v === undefined) { f.delete(l); return 'fail'; }
      f.set(l, v);
      return 'ok';
    };
    switch (s.type) {
      case 'ArrayAppend': (f.get(s.array) as RegoValue[]).push(this.must(s.value, f)); return 'ok';
      case 'MakeNumberInt': case 'AssignInt': f.set(s.target, Number(s.value)); return 'ok';
      case 'MakeNumberRef': f.set(s.target, Number(this.policy.static.strings[s.index])); return 'ok';
      case 'MakeNull': f.set(s.target, null); return 'ok';
      case 'MakeArray': f.set(s.target, []); return 'ok';
      case 'MakeObject': f.set(s.target, {}); return 'ok';
      case 'MakeSet': f.set(s.target, new RegoSet([])); return 'ok';
      case 'AssignVar': { const v = this.op(s.source, f); if (v === undefined) f.delete(s.target); else f.set(s.target, v); return 'ok'; }
      case 'AssignVarOnce': {
        const v = this.must(s.source, f);
        const cur = f.get(s.target);
        if (cur === undefined) f.set(s.target, v);
        else if (!equal(cur, v)) throw new EvalAbort(`eval_conflict_error: ${s.message}`);
        return 'ok';
      }
      case 'Block': {
        for (const b of s.blocks) { const r = this.nested(this.block(b, f)); if (r) return r; }
        return 'ok';
      }
      case 'Break': return { brk: s.index };
      case 'Call': {
        const args = s.args.map((a) => this.must(a, f));
        return set(s.result, this.call(s.func, args, f));
      }
      case 'Dot': {
        const src = this.op(s.source, f);
        const key = this.op(s.key, f);
        return set(s.target, src === undefined || key === undefined ? undefined : getMember(src, key));
      }
      case 'Equal': return equal(this.must(s.a, f), this.must(s.b, f)) ? 'ok' : 'fail';
      case 'NotEqual': return equal(this.must(s.a, f), this.must(s.b, f)) ? 'fail' : 'ok';
      case 'IsArray': return Array.isArray(this.op(s.source, f)) ? 'ok' : 'fail';
      case 'IsObject': { const v = this.op(s.source, f); return v !== undefined && isObject(v) ? 'ok' : 'fail'; }
      case 'IsSet': return this.op(s.source, f) instanceof RegoSet ? 'ok' : 'fail';
      case 'IsDefined': return f.has(s.source) ? 'ok' : 'fail';
      case 'IsUndefined': return f.has(s.source) ? 'fail' : 'ok';
      case 'Len': {
        const v = this.must(s.source, f);
        if (typeof v === 'string') return set(s.target, [...v].length);
        if (Array.isArray(v)) return set(s.target, v.length);
        if (v instanceof RegoSet) return set(s.target, v.items.length);
        if (isObject(v)) return set(s.target, objectSize(v));
        return 'fail';
      }
      case 'Not': {
        const r = this.block(s.block, f);
        if (r === 'done') return 'fail';
        if (r === 'early') return 'ok';
        return this.nested(r)!;
      }
      case 'ObjectInsert': insert(f.get(s.object)!, this.must(s.key, f), this.must(s.value, f)); return 'ok';
      case 'ObjectInsertOnce': {
        const obj = f.get(s.object)!;
        const key = this.must(s.key, f);
        const value = this.must(s.value, f);
        const cur = isObject(obj) ? getMember(obj, key) : undefined;
        if (cur !== undefined && !equal(cur, value)) throw new EvalAbort(`eval_conflict_error: ${s.message}`);
        insert(obj, key, value);
        return 'ok';
      }
      case 'ObjectMerge': return set(s.target, merge(this.must(s.a, f), this.must(s.b, f)));
      case 'ResetLocal': f.delete(s.target); return 'ok';
      case 'ResultSetAdd': {
        const v = f.get(s.value)!;
        if (!this.results.some((r) => equal(r, v))) this.results.push(clone(v));
        return 'ok';
      }
      case 'ReturnLocal': return 'return';
      case 'Scan': {
        const src = f.get(s.source);
        if (src === undefined) return 'ok';
        for (const [k, v] of entries(src)) {
          f.set(s.key, k);
          f.set(s.value, v);
          const r = this.nested(this.block(s.block, f));
          if (r) return r;
        }
        return 'ok';
      }
      case 'SetAdd': {
        const st = f.get(s.set) as RegoSet;
        const v = this.must(s.value, f);
        if (!setHas(st, v)) st.items.push(v);
        return 'ok';
      }
      case 'With': {
        const orig = f.get(s.local);
        const path = s.path.map((i) => this.policy.static.strings[i]!);
        f.set(s.local, upsert(orig, path, this.must(s.value, f)));
        const r = this.block(s.block, f);
        if (orig === undefined) f.delete(s.local); else f.set(s.local, orig);
        if (r === 'done') return 'ok';
        if (r === 'early') return 'fail';
        return this.nested(r)!;
      }
      case 'Abort': throw new EvalAbort(`${s.code}: ${s.message}`);
      case 'Nop': return 'ok';
    }
  }
}

/** Rego values as plain JSON for assertions (sets become sorted arrays). */
export function toJson(v: RegoValue): unknown {
  if (Array.isArray(v)) return v.map(toJson);
  if (v instanceof RegoSet) return sortValues([...v.items]).map(toJson);
  if (v instanceof RegoObject) return objectEntries(v).map(([k, x]) => [toJson(k), toJson(x)]);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]));
  return v;
}
