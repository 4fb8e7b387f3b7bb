// IR -> WebAssembly. Links the planned policy into the AssemblyScript value
// runtime (build/runtime.wasm): reads the runtime with binaryen, adds one
// wasm function per IR func and plan, defines the runtime's `hooker.eval_plan`
// import as the plan dispatcher, adds the `builtins`/`entrypoints` exports
// of OPA's ABI, lays the string table out after the runtime's static data
// and moves the heap start behind it.

import binaryen from 'binaryen';
import type { Block, Func, Operand, Plan, Policy, Stmt } from '../plan/ir.js';
import { NATIVE_BUILTINS, RUNTIME_FNS, type RuntimeFnName, SDK_IMPORTS } from './runtime-abi.js';
import { RegoCompileError } from '../errors.js';

type ExprRef = number;

/** Name under which a TypeScript builtin is declared to the SDK (see builtins/host.ts). */
export function hostBuiltinName(regoName: string): string {
  return `hooker:${regoName}`;
}

const MAX_HOST_ARITY = 4;
const PAGE = 65536;

interface StaticString { ptr: number; len: number }

class DataLayout {
  private chunks: Array<{ offset: number; bytes: Uint8Array }> = [];
  private interned = new Map<string, StaticString>();
  constructor(private cursor: number) {}

  /** Bytes of `text`, NUL-terminated so the same copy serves as a C string. */
  string(text: string): StaticString {
    const hit = this.interned.get(text);
    if (hit) return hit;
    const utf8 = new TextEncoder().encode(text);
    const bytes = new Uint8Array(utf8.length + 1);
    bytes.set(utf8);
    const s = { ptr: this.cursor, len: utf8.length };
    this.chunks.push({ offset: this.cursor, bytes });
    this.cursor += bytes.length;
    this.interned.set(text, s);
    return s;
  }

  private values = new Map<string, number>();

  /** A value laid out in static data (`bytes`, at an 8-aligned address), shared by every use of the same key. */
  private staticValue(key: string, bytes: Uint8Array): number {
    const hit = this.values.get(key);
    if (hit !== undefined) return hit;
    this.cursor = align8(this.cursor);
    const ptr = this.cursor;
    this.chunks.push({ offset: ptr, bytes });
    this.cursor += bytes.length;
    this.values.set(key, ptr);
    return ptr;
  }

  /** A constant string value ([tag 4][len][bytes ptr], the runtime's layout) over static bytes. */
  stringValue(text: string): number {
    const s = this.string(text);
    const b = new DataView(new ArrayBuffer(12));
    b.setInt32(0, 4, true);
    b.setUint32(4, s.len, true);
    b.setUint32(8, s.ptr, true);
    return this.staticValue(`s${text}`, new Uint8Array(b.buffer));
  }

  /** A constant integer value ([tag 3][kind 0: i64][i64][text ptr 0][text len 0]). */
  intValue(v: bigint): number {
    const b = new DataView(new ArrayBuffer(24));
    b.setInt32(0, 3, true);
    b.setInt32(4, 0, true);
    b.setBigInt64(8, BigInt.asIntN(64, v), true);
    return this.staticValue(`i${v}`, new Uint8Array(b.buffer));
  }

  get end(): number { return this.cursor; }

  segment(): { offset: number; data: Uint8Array } | undefined {
    if (this.chunks.length === 0) return undefined;
    const start = this.chunks[0]!.offset;
    const data = new Uint8Array(this.cursor - start);
    for (const c of this.chunks) data.set(c.bytes, c.offset - start);
    return { offset: start, data };
  }
}

const align8 = (n: number): number => (n + 7) & ~7;

interface DataSegment { offset: number | null; data: Uint8Array; passive: boolean }

/** binaryen.js has these methods but its typings lack them. */
function dataSegments(m: binaryen.Module): DataSegment[] {
  const mm = m as binaryen.Module & {
    getNumDataSegments(): number;
    getDataSegmentInfo(ref: number): { offset: number | null; data: ArrayBuffer; passive: boolean };
  };
  const out: DataSegment[] = [];
  for (let i = 0; i < mm.getNumDataSegments(); i++) {
    const info = mm.getDataSegmentInfo(mm.getDataSegmentByIndex(i));
    out.push({ offset: info.passive ? null : info.offset, data: new Uint8Array(info.data), passive: info.passive });
  }
  return out;
}

interface LinkInfo {
  /** Export name -> internal function name. */
  exports: Map<string, string>;
  /** "module.base" -> internal function name of an import. */
  imports: Map<string, string>;
}

function readLinkInfo(m: binaryen.Module): LinkInfo {
  const exports = new Map<string, string>();
  for (let i = 0; i < m.getNumExports(); i++) {
    const info = binaryen.getExportInfo(m.getExportByIndex(i));
    if (info.kind === binaryen.ExternalFunction) exports.set(info.name, info.value);
  }
  const imports = new Map<string, string>();
  for (let i = 0; i < m.getNumFunctions(); i++) {
    const info = binaryen.getFunctionInfo(m.getFunctionByIndex(i));
    if (info.module) imports.set(`${info.module}.${info.base}`, info.name);
  }
  return { exports, imports };
}

function wasmType(t: 'i32' | 'i64' | 'f64' | 'none'): number {
  return t === 'i32' ? binaryen.i32 : t === 'i64' ? binaryen.i64 : t === 'f64' ? binaryen.f64 : binaryen.none;
}

/** One wasm function being generated from an IR func or plan. */
class FunctionBuilder {
  private localIndex = new Map<number, number>();
  private vars: number[] = [];
  private labels: string[] = [];
  private labelSeq = 0;

  constructor(
    private readonly em: Emitter,
    paramLocals: number[],
    private readonly resultSetParam: number | undefined,
  ) {
    paramLocals.forEach((l, i) => this.localIndex.set(l, i));
    this.nparams = paramLocals.length + (resultSetParam === undefined ? 0 : 1);
  }
  private readonly nparams: number;

  get varTypes(): number[] { return this.vars; }

  local(l: number): number {
    let idx = this.localIndex.get(l);
    if (idx === undefined) {
      idx = this.scratch();
      this.localIndex.set(l, idx);
    }
    return idx;
  }

  scratch(type: number = binaryen.i32): number {
    this.vars.push(type);
    return this.nparams + this.vars.length - 1;
  }

  get m(): binaryen.Module { return this.em.m; }

  get(l: number): ExprRef { return this.m.local.get(this.local(l), binaryen.i32); }
  set(l: number, v: ExprRef): ExprRef { return this.m.local.set(this.local(l), v); }

  operand(op: Operand): ExprRef {
    switch (op.type) {
      case 'local': return this.get(op.local);
      case 'bool': return this.em.rt('hooker_bool', [this.m.i32.const(op.value ? 1 : 0)]);
      // Constants are values in static data: immutable, like every value, so never copied per use.
      case 'string_index': return this.m.i32.const(this.em.constStringValue(op.index));
    }
  }

  private newLabel(): string { return `b${this.labelSeq++}`; }

  /** The label that a statement's failure breaks to. */
  private get failLabel(): string {
    const l = this.labels[this.labels.length - 1];
    if (l === undefined) throw new Error('statement outside of any block');
    return l;
  }

  private failIf(cond: ExprRef): ExprRef { return this.m.br(this.failLabel, cond); }
  private failIfZero(v: ExprRef): ExprRef { return this.failIf(this.m.i32.eqz(v)); }

  /** An IR block as a labelled wasm block. */
  block(b: Block, extra: ExprRef[] = []): ExprRef {
    const label = this.newLabel();
    this.labels.push(label);
    const body = b.stmts.map((s) => this.stmt(s));
    this.labels.pop();
    return this.m.block(label, [...body, ...extra], binaryen.none);
  }

  blocks(bs: Block[]): ExprRef[] { return bs.map((b) => this.block(b)); }

  private stmt(s: Stmt): ExprRef {
    const m = this.m;
    const em = this.em;
    switch (s.type) {
      case 'ArrayAppend': return em.rt('hooker_array_append', [this.get(s.array), this.operand(s.value)]);
      case 'MakeNumberInt':
      case 'AssignInt': return this.set(s.target, m.i32.const(em.constInt(s.value)));
      case 'MakeNumberRef': {
        const str = em.constString(s.index);
        return this.set(s.target, em.rt('hooker_number_ref', [m.i32.const(str.ptr), m.i32.const(str.len)]));
      }
      case 'MakeNull': return this.set(s.target, em.rt('hooker_null', []));
      case 'MakeArray': return this.set(s.target, em.rt('hooker_array', [m.i32.const(s.capacity)]));
      case 'MakeObject': return this.set(s.target, em.rt('hooker_object', []));
      case 'MakeSet': return this.set(s.target, em.rt('hooker_set', []));
      case 'AssignVar': return this.set(s.target, this.operand(s.source));
      case 'AssignVarOnce': {
        const src = this.scratch();
        return m.block(null, [
          m.local.set(src, this.operand(s.source)),
          m.if(
            m.i32.eqz(this.get(s.target)),
            this.set(s.target, m.local.get(src, binaryen.i32)),
            m.if(
              m.i32.eqz(em.rt('hooker_equal', [this.get(s.target), m.local.get(src, binaryen.i32)])),
              em.abort('eval_conflict_error', s.message),
            ),
          ),
        ]);
      }
      case 'Block': return m.block(null, this.blocks(s.blocks));
      case 'Break': {
        const label = this.labels[this.labels.length - 1 - s.index];
        if (label === undefined) throw new Error(`break ${s.index} outside of its blocks`);
        return m.br(label);
      }
      case 'Call': return this.call(s.func, s.args, s.result, s.loc);
      case 'Dot': return m.block(null, [
        this.set(s.target, em.rt('hooker_dot', [this.operand(s.source), this.operand(s.key)])),
        this.failIfZero(this.get(s.target)),
      ]);
      case 'Equal': return this.failIfZero(em.rt('hooker_equal', [this.operand(s.a), this.operand(s.b)]));
      case 'NotEqual': return this.failIf(em.rt('hooker_equal', [this.operand(s.a), this.operand(s.b)]));
      case 'IsArray': return this.failIfNotType(s.source, 5);
      case 'IsObject': return this.failIfNotType(s.source, 6);
      case 'IsSet': return this.failIfNotType(s.source, 7);
      case 'IsDefined': return this.failIfZero(this.get(s.source));
      case 'IsUndefined': return this.failIf(m.i32.ne(this.get(s.source), m.i32.const(0)));
      case 'Len': return m.block(null, [
        this.set(s.target, em.rt('hooker_len', [this.operand(s.source)])),
        this.failIfZero(this.get(s.target)),
      ]);
      case 'Not': {
        const cond = this.scratch();
        const parent = this.failLabel;
        return m.block(null, [
          m.local.set(cond, m.i32.const(1)),
          this.block(s.block, [m.local.set(cond, m.i32.const(0))]),
          m.br(parent, m.i32.eqz(m.local.get(cond, binaryen.i32))),
        ]);
      }
      case 'ObjectInsert': return em.rt('hooker_object_insert', [this.get(s.object), this.operand(s.key), this.operand(s.value)]);
      case 'ObjectInsertOnce': return m.if(
        em.rt('hooker_object_insert_once', [this.get(s.object), this.operand(s.key), this.operand(s.value)]),
        em.abort('eval_conflict_error', s.message),
      );
      case 'ObjectMerge': return m.block(null, [
        this.set(s.target, em.rt('hooker_merge', [this.operand(s.a), this.operand(s.b)])),
        this.failIfZero(this.get(s.target)),
      ]);
      case 'ResetLocal': return this.set(s.target, m.i32.const(0));
      case 'ResultSetAdd': {
        if (this.resultSetParam === undefined) throw new Error('ResultSetAdd outside of a plan');
        return em.rt('hooker_set_add', [m.local.get(this.resultSetParam, binaryen.i32), this.get(s.value)]);
      }
      case 'ReturnLocal': return m.return(this.get(s.source));
      case 'Scan': return this.scan(s);
      case 'SetAdd': return em.rt('hooker_set_add', [this.get(s.set), this.operand(s.value)]);
      case 'With': return this.with(s);
      case 'Abort': return em.abort(s.code, s.message);
      case 'Nop': return m.nop();
    }
  }

  private failIfNotType(op: Operand, tag: number): ExprRef {
    const m = this.m;
    return this.failIf(m.i32.ne(this.em.rt('hooker_type', [this.operand(op)]), m.i32.const(tag)));
  }

  private call(func: string, args: Operand[], result: number, loc?: { file: string; row: number }): ExprRef {
    const m = this.m;
    const em = this.em;
    const argExprs = args.map((a) => this.operand(a));
    const planned = em.funcName(func);
    // Errors of a builtin name the call's location, as OPA's do (runtime errors.ts).
    const site = !planned && loc ? [em.setCallsite(em.constText(`${loc.file}:${loc.row}`).ptr)] : [];
    let callExpr: ExprRef;
    if (planned) {
      callExpr = m.call(planned, [this.get(0), this.get(1), ...argExprs], binaryen.i32);
    } else {
      const native = NATIVE_BUILTINS[func];
      const nativeInternal = native ? em.link.exports.get(native) : undefined;
      callExpr = nativeInternal ? m.call(nativeInternal, argExprs, binaryen.i32) : em.hostCall(func, argExprs);
    }
    return m.block(null, [...site, this.set(result, callExpr), this.failIfZero(this.get(result))]);
  }

  private scan(s: Extract<Stmt, { type: 'Scan' }>): ExprRef {
    const m = this.m;
    const em = this.em;
    const n = this.scratch();
    const i = this.scratch();
    const done = this.newLabel();
    const loop = this.newLabel();
    const src = () => this.get(s.source);
    const iGet = () => m.local.get(i, binaryen.i32);
    return m.block(null, [
      m.local.set(n, m.if(m.i32.eqz(src()), m.i32.const(-1), em.rt('hooker_coll_size', [src()]))),
      m.local.set(i, m.i32.const(0)),
      m.block(done, [
        m.loop(loop, m.block(null, [
          m.br(done, m.i32.ge_s(iGet(), m.local.get(n, binaryen.i32))),
          this.set(s.key, em.rt('hooker_coll_key', [src(), iGet()])),
          this.set(s.value, em.rt('hooker_coll_value', [src(), iGet()])),
          m.local.set(i, m.i32.add(iGet(), m.i32.const(1))),
          this.block(s.block),
          m.br(loop),
        ])),
      ]),
    ]);
  }

  private with(s: Extract<Stmt, { type: 'With' }>): ExprRef {
    const m = this.m;
    const em = this.em;
    const save = this.scratch();
    const undef = this.scratch();
    const parent = this.failLabel;
    let replace: ExprRef;
    if (s.path.length === 0) {
      replace = this.set(s.local, this.operand(s.value));
    } else {
      const path = this.scratch();
      const build: ExprRef[] = [m.local.set(path, em.rt('hooker_array', [m.i32.const(s.path.length)]))];
      for (const idx of s.path) {
        build.push(em.rt('hooker_array_append', [m.local.get(path, binaryen.i32), m.i32.const(em.constStringValue(idx))]));
      }
      replace = m.block(null, [
        ...build,
        this.set(s.local, em.rt('hooker_upsert', [this.get(s.local), m.local.get(path, binaryen.i32), this.operand(s.value)])),
      ]);
    }
    return m.block(null, [
      m.local.set(save, this.get(s.local)),
      replace,
      m.local.set(undef, m.i32.const(1)),
      this.block(s.block, [m.local.set(undef, m.i32.const(0))]),
      this.set(s.local, m.local.get(save, binaryen.i32)),
      m.br(parent, m.local.get(undef, binaryen.i32)),
    ]);
  }
}

class Emitter {
  readonly m: binaryen.Module;
  readonly link: LinkInfo;
  private readonly data: DataLayout;
  private readonly funcNames = new Map<string, string>();
  private readonly hostIds = new Map<string, number>();
  private readonly problems: string[] = [];

  constructor(private readonly policy: Policy, runtime: Uint8Array) {
    this.m = binaryen.readBinary(runtime);
    // What the runtime was built with, plus what Node 20 supports that the optimizer may use.
    const f = binaryen.Features as unknown as Record<string, number>;
    this.m.setFeatures(this.m.getFeatures() | f['MutableGlobals']! | f['SignExt']! | f['BulkMemory']! | f['BulkMemoryOpt']!
      | f['NontrappingFPToInt']! | f['SIMD128']!);
    this.link = readLinkInfo(this.m);
    this.data = new DataLayout(align8(Math.max(this.runtimeDataEnd(), this.heapStartInit())));
    for (const f of policy.funcs) {
      this.funcNames.set(f.name, `rego:${f.name}`);
      if (f.params.length === 2) this.memoSlots.set(f.name, this.memoSlots.size);
    }
    for (const b of policy.static.builtins) {
      if (this.nativeInternal(b.name)) continue;
      if (b.arity > MAX_HOST_ARITY) {
        this.problems.push(`builtin ${b.name} takes ${b.arity} arguments; at most ${MAX_HOST_ARITY} can be passed to a host builtin`);
      }
      this.hostIds.set(b.name, this.hostIds.size);
    }
  }

  private runtimeDataEnd(): number {
    let end = 0;
    for (const seg of dataSegments(this.m)) {
      if (seg.offset !== null) end = Math.max(end, seg.offset + seg.data.byteLength);
    }
    return end;
  }

  private heapStartGlobal(): { name: string; init: number } {
    for (let i = 0; i < this.m.getNumExports(); i++) {
      const info = binaryen.getExportInfo(this.m.getExportByIndex(i));
      if (info.kind === binaryen.ExternalGlobal && info.name === 'hooker_heap_start') {
        const g = binaryen.getGlobalInfo(this.m.getGlobal(info.value));
        const init = binaryen.getExpressionInfo(g.init) as { value?: number };
        return { name: info.value, init: typeof init.value === 'number' ? init.value : 0 };
      }
    }
    throw new Error('runtime does not export the hooker_heap_start global');
  }

  private heapStartInit(): number { return this.heapStartGlobal().init; }

  private nativeInternal(name: string): string | undefined {
    const exp = NATIVE_BUILTINS[name];
    return exp ? this.link.exports.get(exp) : undefined;
  }

  funcName(irName: string): string | undefined { return this.funcNames.get(irName); }

  rt(name: RuntimeFnName, args: ExprRef[]): ExprRef {
    const internal = this.link.exports.get(name);
    if (!internal) throw new Error(`runtime does not export ${name}: build/runtime.wasm is older than the compiler, run \`npm run build:runtime\``);
    return this.m.call(internal, args, wasmType(RUNTIME_FNS[name].result));
  }

  constString(index: number): StaticString {
    const s = this.policy.static.strings[index];
    if (s === undefined) throw new Error(`string index ${index} out of range`);
    return this.data.string(s);
  }

  constStringValue(index: number): number {
    const s = this.policy.static.strings[index];
    if (s === undefined) throw new Error(`string index ${index} out of range`);
    return this.data.stringValue(s);
  }

  constInt(v: bigint): number { return this.data.intValue(v); }

  /** A NUL-terminated constant text in the policy's static data. */
  constText(text: string): StaticString { return this.data.string(text); }

  private callsiteGlobal: string | null | undefined;

  /** Sets the runtime's hooker_callsite global (a no-op with a runtime that lacks it). */
  setCallsite(ptr: number): ExprRef {
    if (this.callsiteGlobal === undefined) {
      this.callsiteGlobal = null;
      for (let i = 0; i < this.m.getNumExports(); i++) {
        const info = binaryen.getExportInfo(this.m.getExportByIndex(i));
        if (info.kind === binaryen.ExternalGlobal && info.name === 'hooker_callsite') this.callsiteGlobal = info.value;
      }
    }
    return this.callsiteGlobal ? this.m.global.set(this.callsiteGlobal, this.m.i32.const(ptr)) : this.m.nop();
  }

  abort(code: string, message: string): ExprRef {
    const s = this.data.string(`${code}: ${message}`);
    return this.m.block(null, [
      this.m.call(this.sdkImport('opa_abort', 1, false), [this.m.i32.const(s.ptr)], binaryen.none),
      this.m.unreachable(),
    ]);
  }

  /** Internal name of an SDK import, added when the runtime did not need it itself. */
  private sdkImport(base: (typeof SDK_IMPORTS)[number], nparams: number, returns: boolean): string {
    const key = `env.${base}`;
    let name = this.link.imports.get(key);
    if (!name) {
      name = `import:${base}`;
      this.m.addFunctionImport(name, 'env', base, binaryen.createType(new Array(nparams).fill(binaryen.i32)), returns ? binaryen.i32 : binaryen.none);
      this.link.imports.set(key, name);
    }
    return name;
  }

  hostCall(name: string, args: ExprRef[]): ExprRef {
    const id = this.hostIds.get(name);
    if (id === undefined) throw new Error(`builtin ${name} is called but not declared in the policy`);
    const m = this.m;
    const decl = this.policy.static.builtins.find((b) => b.name === name);
    // While the host builtin runs, JSON crossing the boundary is tagged so that sets survive (builtins/types.ts).
    let call = m.block(null, [
      this.rt('hooker_builtin_enter', []),
      m.call(this.ensureHostTrampoline(args.length), [m.i32.const(id), ...args], binaryen.i32),
    ], binaryen.i32);
    if (decl?.returnsSet) call = this.rt('hooker_to_set', [call]);
    return call;
  }

  private trampolines = new Map<number, string>();

  /** hooker_host_callN(id, args...) = { r = opa_builtinN(id, 0, args...); hooker_builtin_exit(); r } */
  private ensureHostTrampoline(arity: number): string {
    let name = this.trampolines.get(arity);
    if (name) return name;
    name = `hooker_host_call${arity}`;
    const m = this.m;
    const imp = this.sdkImport(`opa_builtin${arity}` as (typeof SDK_IMPORTS)[number], arity + 2, true);
    const params = new Array(arity + 1).fill(binaryen.i32);
    const resultLocal = arity + 1;
    m.addFunction(name, binaryen.createType(params), binaryen.i32, [binaryen.i32], m.block(null, [
      m.local.set(resultLocal, m.call(imp, [
        m.local.get(0, binaryen.i32), m.i32.const(0),
        ...Array.from({ length: arity }, (_, k) => m.local.get(k + 1, binaryen.i32)),
      ], binaryen.i32)),
      this.rt('hooker_builtin_exit', []),
      m.local.get(resultLocal, binaryen.i32),
    ], binaryen.i32));
    this.trampolines.set(arity, name);
    return name;
  }

  /** Memo slot of each func taking only input and data (rules without arguments). */
  private readonly memoSlots = new Map<string, number>();

  private addFunc(f: Func): void {
    const m = this.m;
    const fb = new FunctionBuilder(this, f.params, undefined);
    const slot = this.memoSlots.get(f.name);
    let body: ExprRef;
    if (slot === undefined) {
      body = m.block(null, [...fb.blocks(f.blocks), m.return(fb.get(f.result))], binaryen.none);
    } else {
      // As OPA's wasm: the value is computed once per evaluation (per input
      // and data pair, which keeps values computed under `with` apart; runtime memo.ts).
      const hit = fb.scratch();
      const docs = [fb.get(0), fb.get(1)];
      const hitGet = () => m.local.get(hit, binaryen.i32);
      body = m.block(null, [
        m.local.set(hit, this.rt('hooker_memo_get', [m.i32.const(slot), ...docs])),
        m.if(hitGet(), m.return(m.select(m.i32.ne(hitGet(), m.i32.const(1)), hitGet(), m.i32.const(0)))),
        ...fb.blocks(f.blocks),
        this.rt('hooker_memo_put', [m.i32.const(slot), m.i32.const(this.memoSlots.size), fb.get(0), fb.get(1), fb.get(f.result)]),
        m.return(fb.get(f.result)),
      ], binaryen.none);
    }
    const params = binaryen.createType(new Array(f.params.length).fill(binaryen.i32));
    this.m.addFunction(this.funcNames.get(f.name)!, params, binaryen.i32, fb.varTypes, body);
  }

  private addPlan(p: Plan, index: number): string {
    // Locals 0 and 1 are input and data; the result set is the third param.
    const fb = new FunctionBuilder(this, [0, 1], 2);
    const body = this.m.block(null, fb.blocks(p.blocks), binaryen.none);
    const name = `plan:${index}:${p.name}`;
    this.m.addFunction(name, binaryen.createType([binaryen.i32, binaryen.i32, binaryen.i32]), binaryen.none, fb.varTypes, body);
    return name;
  }

  /** Defines the runtime's `hooker.eval_plan` import as a switch over the plans. */
  private addDispatcher(planFns: string[]): void {
    const m = this.m;
    const importName = this.link.imports.get('hooker.eval_plan');
    if (!importName) throw new Error('runtime does not import hooker.eval_plan');
    m.removeFunction(importName);
    const get = (i: number) => m.local.get(i, binaryen.i32);
    let body: ExprRef = m.nop();
    for (let i = planFns.length - 1; i >= 0; i--) {
      body = m.if(m.i32.eq(get(0), m.i32.const(i)), m.call(planFns[i]!, [get(1), get(2), get(3)], binaryen.none), body);
    }
    m.addFunction(importName, binaryen.createType([binaryen.i32, binaryen.i32, binaryen.i32, binaryen.i32]), binaryen.none, [], body);
  }

  /** An exported function returning a value parsed from constant JSON (OPA's `builtins` and `entrypoints`). */
  private addJsonExport(exportName: string, json: unknown): void {
    const m = this.m;
    const s = this.data.string(JSON.stringify(json));
    const parse = this.link.exports.get('opa_json_parse');
    if (!parse) throw new Error('runtime does not export opa_json_parse');
    const name = `abi:${exportName}`;
    m.addFunction(name, binaryen.none, binaryen.i32, [], m.call(parse, [m.i32.const(s.ptr), m.i32.const(s.len)], binaryen.i32));
    m.addFunctionExport(name, exportName);
  }

  private finishMemory(): void {
    const m = this.m;
    const segments = dataSegments(m);
    const ours = this.data.segment();
    if (ours) segments.push({ ...ours, passive: false });
    const heapStart = align8(this.data.end);
    const pages = Math.max(1, Math.ceil(heapStart / PAGE));
    const memInfo = m.getMemoryInfo();
    // binaryen names an imported memory `mimport$0` when the name section does not
    // (the runtime build keeps no memory names); setMemory must reuse that name or
    // the runtime's memory instructions would point at a memory that no longer exists.
    const memName = 'mimport$0';
    // -1: no maximum, so the module links against the SDK's growable memory.
    m.setMemory(pages, -1, null, segments.map((s) => ({
      offset: m.i32.const(s.offset ?? 0), data: s.data, passive: s.passive,
    })), false, false, memName);
    m.addMemoryImport(memName, memInfo.module ?? 'env', memInfo.base ?? 'memory');

    const g = this.heapStartGlobal();
    m.removeGlobal(g.name);
    m.addGlobal(g.name, binaryen.i32, true, m.i32.const(heapStart));
  }

  emit(): Uint8Array {
    const planFns: string[] = [];
    this.policy.funcs.forEach((f) => this.addFunc(f));
    this.policy.plans.forEach((p, i) => planFns.push(this.addPlan(p, i)));
    this.addDispatcher(planFns);
    const builtins: Record<string, number> = {};
    for (const [name, id] of this.hostIds) builtins[hostBuiltinName(name)] = id;
    this.addJsonExport('builtins', builtins);
    const entrypoints: Record<string, number> = {};
    this.policy.plans.forEach((p, i) => { entrypoints[p.name] = i; });
    this.addJsonExport('entrypoints', entrypoints);
    if (this.problems.length) throw new RegoCompileError(this.problems.map((message) => ({ code: 'rego_compile_error', message })));
    this.finishMemory();
    // No binaryen validate() here: WebAssembly.Module validates the output anyway, for less.
    // No binaryen optimisation of the generated functions either: it was about 90% of
    // the large bundle's emit time, and V8's optimising tier does the same work on
    // this code (calls into the runtime, blocks and branches), so evaluation was not
    // measurably slower without it (BENCHMARKS.md).
    const out = this.m.emitBinary();
    this.m.dispose();
    return out;
  }
}

/** Links `policy` into the runtime module and returns the final wasm bytes. */
export function emitWasm(policy: Policy, runtime: Uint8Array): Uint8Array {
  return new Emitter(policy, runtime).emit();
}
