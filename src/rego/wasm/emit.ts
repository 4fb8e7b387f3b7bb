// IR -> WebAssembly. Links the planned policy into the AssemblyScript value
// runtime (build/runtime.wasm) by writing WebAssembly's binary format
// directly: the runtime, prepared once per process (link-base.ts), is copied
// section by section with one wasm function per IR func and plan appended,
// the runtime's `hooker.eval_plan` placeholder defined as the plan
// dispatcher, the `builtins`/`entrypoints` exports of OPA's ABI added, the
// string table laid out after the runtime's static data and the heap start
// moved behind it. The generated functions are not optimised: V8's
// optimising tier does that work on this code (calls into the runtime,
// blocks and branches), and binaryen's passes cost ~90% of a large bundle's
// compile without making evaluation measurably faster (BENCHMARKS.md).

import type { Block, Func, Operand, Plan, Policy, Stmt } from '../plan/ir.js';
import { inputProjection, type ProjectionNode } from '../plan/input-projection.js';
import { NATIVE_BUILTINS, RUNTIME_FNS, TICK_BUILTIN, type RuntimeFnName } from './runtime-abi.js';
import { RegoCompileError } from '../errors.js';
import { ByteWriter } from './bytes.js';
import { LINK_EXPORT_PREFIX, linkBase, MAX_HOST_ARITY, type LinkBase } from './link-base.js';

/** Name under which a TypeScript builtin is declared to the SDK (see builtins/host.ts). */
export function hostBuiltinName(regoName: string): string {
  return `hooker:${regoName}`;
}

const PAGE = 65536;

// Opcodes used by the generated code.
const OP = {
  unreachable: 0x00, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, brIf: 0x0d, brTable: 0x0e,
  return: 0x0f, call: 0x10, drop: 0x1a, select: 0x1b, localGet: 0x20, localSet: 0x21, localTee: 0x22, globalGet: 0x23,
  globalSet: 0x24, i32Const: 0x41, i32Eqz: 0x45, i32Eq: 0x46, i32Ne: 0x47, i32GeS: 0x4e, i32Add: 0x6a, i32Sub: 0x6b,
} as const;
const VOID = 0x40;

/**
 * Iterations of policy loops between two checks of the evaluation's time
 * budget. The clock is read by the host (a call out of wasm, about a
 * microsecond), so only every FUEL-th iteration pays for it; an iteration
 * costs tens of nanoseconds at least, so checks come at least every few ms.
 */
export const FUEL = 10_000;

const I32 = 0x7f;

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

  /** Raw bytes at an 8-aligned address. */
  block(bytes: Uint8Array): number {
    this.cursor = align8(this.cursor);
    const ptr = this.cursor;
    this.chunks.push({ offset: ptr, bytes });
    this.cursor += bytes.length;
    return ptr;
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



/** One wasm function body being written from an IR func or plan. */
class FunctionBuilder {
  readonly code = new ByteWriter(256);
  private localIndex = new Map<number, number>();
  private nvars = 0;
  /** Control depth (open block/loop/if) at which each IR block's label was opened. */
  private labels: number[] = [];
  private depth = 0;
  private readonly nparams: number;

  constructor(
    private readonly em: Emitter,
    paramLocals: number[],
    private readonly resultSetParam: number | undefined,
  ) {
    paramLocals.forEach((l, i) => this.localIndex.set(l, i));
    this.nparams = paramLocals.length + (resultSetParam === undefined ? 0 : 1);
  }

  local(l: number): number {
    let idx = this.localIndex.get(l);
    if (idx === undefined) {
      idx = this.scratch();
      this.localIndex.set(l, idx);
    }
    return idx;
  }

  scratch(): number {
    return this.nparams + this.nvars++;
  }

  // ---- instruction writers
  op(o: number): void { this.code.u8(o); }
  const(v: number): void { this.code.u8(OP.i32Const); this.code.i32(v); }
  lget(idx: number): void { this.code.u8(OP.localGet); this.code.u32(idx); }
  lset(idx: number): void { this.code.u8(OP.localSet); this.code.u32(idx); }
  ltee(idx: number): void { this.code.u8(OP.localTee); this.code.u32(idx); }
  call(fn: number): void { this.code.u8(OP.call); this.code.u32(fn); }
  rt(name: RuntimeFnName): void { this.call(this.em.rtIndex(name)); }
  open(o: number, type: number = VOID): void { this.code.u8(o); this.code.u8(type); this.depth++; }
  else(): void { this.code.u8(OP.else); }
  end(): void { this.code.u8(OP.end); this.depth--; }
  /** Branch (or conditional branch) to the label opened at control depth `target`. */
  br(target: number, conditional = false): void {
    this.code.u8(conditional ? OP.brIf : OP.br);
    this.code.u32(this.depth - 1 - target);
  }
  get(l: number): void { this.lget(this.local(l)); }
  set(l: number): void { this.lset(this.local(l)); }

  operand(op: Operand): void {
    switch (op.type) {
      case 'local': this.get(op.local); return;
      case 'bool': this.const(op.value ? 1 : 0); this.rt('hooker_bool'); return;
      // Constants are values in static data: immutable, like every value, so never copied per use.
      case 'string_index': this.const(this.em.constStringValue(op.index)); return;
    }
  }

  /** The label that a statement's failure breaks to. */
  private get failLabel(): number {
    const l = this.labels[this.labels.length - 1];
    if (l === undefined) throw new Error('statement outside of any block');
    return l;
  }

  /** Consumes an i32 on the stack: fails when it is non-zero. */
  private failIf(): void { this.br(this.failLabel, true); }
  /** Consumes an i32 on the stack: fails when it is zero. */
  private failIfZero(): void { this.op(OP.i32Eqz); this.failIf(); }

  /** An IR block as a labelled wasm block; `after` writes code run when the block reaches its end. */
  block(b: Block, after?: () => void): void {
    this.labels.push(this.depth);
    this.open(OP.block);
    for (const s of b.stmts) this.stmt(s);
    after?.();
    this.end();
    this.labels.pop();
  }

  blocks(bs: Block[]): void { for (const b of bs) this.block(b); }

  private stmt(s: Stmt): void {
    const em = this.em;
    switch (s.type) {
      case 'ArrayAppend': this.get(s.array); this.operand(s.value); this.rt('hooker_array_append'); return;
      case 'MakeNumberInt':
      case 'AssignInt': this.const(em.constInt(s.value)); this.set(s.target); return;
      case 'MakeNumberRef': {
        const str = em.constString(s.index);
        this.const(str.ptr); this.const(str.len); this.rt('hooker_number_ref'); this.set(s.target);
        return;
      }
      case 'MakeNull': this.rt('hooker_null'); this.set(s.target); return;
      case 'MakeArray': this.const(s.capacity); this.rt('hooker_array'); this.set(s.target); return;
      case 'MakeObject': this.rt('hooker_object'); this.set(s.target); return;
      case 'MakeSet': this.rt('hooker_set'); this.set(s.target); return;
      case 'AssignVar': this.operand(s.source); this.set(s.target); return;
      case 'AssignVarOnce': {
        const src = this.scratch();
        this.operand(s.source); this.lset(src);
        this.get(s.target); this.op(OP.i32Eqz);
        this.open(OP.if);
        this.lget(src); this.set(s.target);
        this.else();
        this.get(s.target); this.lget(src); this.rt('hooker_equal'); this.op(OP.i32Eqz);
        this.open(OP.if);
        this.abort('eval_conflict_error', s.message);
        this.end();
        this.end();
        return;
      }
      case 'Block': this.blocks(s.blocks); return;
      case 'Break': {
        const label = this.labels[this.labels.length - 1 - s.index];
        if (label === undefined) throw new Error(`break ${s.index} outside of its blocks`);
        this.br(label);
        return;
      }
      case 'Call': this.callStmt(s.func, s.args, s.result, s.loc); return;
      case 'Dot':
        this.operand(s.source); this.operand(s.key); this.rt('hooker_dot'); this.ltee(this.local(s.target));
        this.failIfZero();
        return;
      case 'Equal': this.operand(s.a); this.operand(s.b); this.rt('hooker_equal'); this.failIfZero(); return;
      case 'NotEqual': this.operand(s.a); this.operand(s.b); this.rt('hooker_equal'); this.failIf(); return;
      case 'IsArray': this.failIfNotType(s.source, 5); return;
      case 'IsObject': this.failIfNotType(s.source, 6); return;
      case 'IsSet': this.failIfNotType(s.source, 7); return;
      case 'IsDefined': this.get(s.source); this.failIfZero(); return;
      case 'IsUndefined': this.get(s.source); this.failIf(); return;
      case 'Len':
        this.operand(s.source); this.rt('hooker_len'); this.ltee(this.local(s.target));
        this.failIfZero();
        return;
      case 'Not': {
        const cond = this.scratch();
        const parent = this.failLabel;
        this.const(1); this.lset(cond);
        this.block(s.block, () => { this.const(0); this.lset(cond); });
        this.lget(cond); this.op(OP.i32Eqz); this.br(parent, true);
        return;
      }
      case 'ObjectInsert':
        this.get(s.object); this.operand(s.key); this.operand(s.value); this.rt('hooker_object_insert');
        return;
      case 'ObjectInsertOnce':
        this.get(s.object); this.operand(s.key); this.operand(s.value); this.rt('hooker_object_insert_once');
        this.open(OP.if);
        this.abort('eval_conflict_error', s.message);
        this.end();
        return;
      case 'ObjectMerge':
        this.operand(s.a); this.operand(s.b); this.rt('hooker_merge'); this.ltee(this.local(s.target));
        this.failIfZero();
        return;
      case 'ResetLocal': this.const(0); this.set(s.target); return;
      case 'ResultSetAdd':
        if (this.resultSetParam === undefined) throw new Error('ResultSetAdd outside of a plan');
        this.lget(this.resultSetParam); this.get(s.value); this.rt('hooker_set_add');
        return;
      case 'ReturnLocal': this.get(s.source); this.op(OP.return); return;
      case 'Scan': this.scan(s); return;
      case 'SetAdd': this.get(s.set); this.operand(s.value); this.rt('hooker_set_add'); return;
      case 'With': this.with(s); return;
      case 'Abort': this.abort(s.code, s.message); return;
      case 'Nop': return;
    }
  }

  abort(code: string, message: string): void {
    this.const(this.em.constText(`${code}: ${message}`).ptr);
    this.call(this.em.importIndex('opa_abort'));
    this.op(OP.unreachable);
  }

  private failIfNotType(op: Operand, tag: number): void {
    this.operand(op); this.rt('hooker_type'); this.const(tag); this.op(OP.i32Ne); this.failIf();
  }

  private callStmt(func: string, args: Operand[], result: number, loc?: { file: string; row: number }): void {
    const em = this.em;
    const planned = em.funcIndex(func);
    if (planned !== undefined) {
      this.get(0); this.get(1);
      for (const a of args) this.operand(a);
      this.call(planned);
    } else {
      // Errors of a builtin name the call's location, as OPA's do (runtime errors.ts).
      if (loc) em.setCallsite(this, em.constText(`${loc.file}:${loc.row}`).ptr);
      const native = em.nativeIndex(func);
      if (native !== undefined) {
        for (const a of args) this.operand(a);
        this.call(native);
      } else {
        // While the host builtin runs, JSON crossing the boundary is tagged so that sets survive (builtins/types.ts).
        const host = em.hostBuiltin(func);
        this.rt('hooker_builtin_enter');
        this.const(host.id);
        for (const a of args) this.operand(a);
        this.call(em.hostCallFunc(args.length));
        if (host.returnsSet) this.rt('hooker_to_set');
      }
    }
    this.ltee(this.local(result));
    this.failIfZero();
  }

  private scan(s: Extract<Stmt, { type: 'Scan' }>): void {
    const n = this.scratch();
    const i = this.scratch();
    this.get(s.source); this.op(OP.i32Eqz);
    this.open(OP.if, I32);
    this.const(-1);
    this.else();
    this.get(s.source); this.rt('hooker_coll_size');
    this.end();
    this.lset(n);
    this.const(0); this.lset(i);
    const done = this.depth;
    this.open(OP.block);
    const loop = this.depth;
    this.open(OP.loop);
    this.lget(i); this.lget(n); this.op(OP.i32GeS); this.br(done, true);
    this.em.burnFuel(this);
    this.get(s.source); this.lget(i); this.rt('hooker_coll_key'); this.set(s.key);
    this.get(s.source); this.lget(i); this.rt('hooker_coll_value'); this.set(s.value);
    this.lget(i); this.const(1); this.op(OP.i32Add); this.lset(i);
    this.block(s.block);
    this.br(loop);
    this.end();
    this.end();
  }

  private with(s: Extract<Stmt, { type: 'With' }>): void {
    const save = this.scratch();
    const undef = this.scratch();
    const parent = this.failLabel;
    this.get(s.local); this.lset(save);
    if (s.path.length === 0) {
      this.operand(s.value); this.set(s.local);
    } else {
      const path = this.scratch();
      this.const(s.path.length); this.rt('hooker_array'); this.lset(path);
      for (const idx of s.path) {
        this.lget(path); this.const(this.em.constStringValue(idx)); this.rt('hooker_array_append');
      }
      this.get(s.local); this.lget(path); this.operand(s.value); this.rt('hooker_upsert'); this.set(s.local);
    }
    this.const(1); this.lset(undef);
    this.block(s.block, () => { this.const(0); this.lset(undef); });
    this.lget(save); this.set(s.local);
    this.lget(undef); this.br(parent, true);
  }

  /** The function's code entry: locals, then the written instructions and the final `end`. */
  finish(out: ByteWriter): void {
    const head = new ByteWriter(16);
    if (this.nvars > 0) { head.u32(1); head.u32(this.nvars); head.u8(I32); } else head.u32(0);
    out.u32(head.length + this.code.length + 1);
    out.bytes(head.view());
    out.bytes(this.code.view());
    out.u8(OP.end);
  }
}

class Emitter {
  private readonly base: LinkBase;
  private readonly data: DataLayout;
  private readonly funcIndexes = new Map<string, number>();
  private readonly hostIds = new Map<string, { id: number; returnsSet: boolean }>();
  private readonly problems: string[] = [];
  /** Types added to the runtime's, as "params:results" keys (hex valtypes). */
  private readonly typeKeys: string[];
  private readonly newTypes: Uint8Array[] = [];
  /** Type index of each appended function, and its code entry. */
  private readonly newFuncTypes: number[] = [];
  private readonly code = new ByteWriter(1 << 16);
  private readonly callsiteGlobal: number | undefined;
  /** Memo slot of each func taking only input and data (rules without arguments). */
  private readonly memoSlots = new Map<string, number>();
  /** The fuel counter (a global appended to the runtime's) and the function refilling it. */
  private readonly fuelGlobal: number;
  private readonly tickFunc: number;
  private readonly tickId: number;
  /** Runtime globals (by index) whose i32 initial value the policy sets, besides the heap start. */
  private readonly globalInits = new Map<number, number>();

  constructor(private readonly policy: Policy, runtime: Uint8Array) {
    this.base = linkBase(runtime);
    this.typeKeys = [...this.base.typeKeys];
    this.data = new DataLayout(align8(Math.max(this.runtimeDataEnd(), this.heapStartInit())));
    this.callsiteGlobal = this.base.globalExports.get('hooker_callsite');
    let next = this.base.numFuncs;
    const tick = next++;
    for (const f of policy.funcs) {
      this.funcIndexes.set(f.name, next++);
      if (f.params.length === 2) this.memoSlots.set(f.name, this.memoSlots.size);
    }
    for (const b of policy.static.builtins) {
      if (this.nativeIndex(b.name) !== undefined) continue;
      if (b.arity > MAX_HOST_ARITY) {
        this.problems.push(`builtin ${b.name} takes ${b.arity} arguments; at most ${MAX_HOST_ARITY} can be passed to a host builtin`);
      }
      this.hostIds.set(b.name, { id: this.hostIds.size, returnsSet: b.returnsSet === true });
    }
    this.tickId = this.hostIds.size;
    this.tickFunc = tick;
    this.fuelGlobal = this.base.numGlobalImports + this.base.globalEntries.length;
  }

  /**
   * At each loop iteration: when the fuel is out, call the tick function
   * (which asks the host whether the evaluation is past its deadline and
   * refills the fuel); then burn one. A loop that never calls a host builtin
   * is stopped by its time budget this way (limits.ts).
   */
  burnFuel(fb: FunctionBuilder): void {
    fb.op(OP.globalGet); fb.code.u32(this.fuelGlobal);
    fb.op(OP.i32Eqz);
    fb.open(OP.if);
    fb.call(this.tickFunc);
    fb.end();
    fb.op(OP.globalGet); fb.code.u32(this.fuelGlobal);
    fb.const(1); fb.op(OP.i32Sub);
    fb.op(OP.globalSet); fb.code.u32(this.fuelGlobal);
  }

  /** tick() = { fuel = FUEL; opa_builtin0(tickId, 0) }: the host throws when the deadline has passed. */
  private addTick(): void {
    const fb = new FunctionBuilder(this, [], undefined);
    fb.const(FUEL); fb.op(OP.globalSet); fb.code.u32(this.fuelGlobal);
    fb.const(this.tickId); fb.const(0); fb.call(this.importIndex('opa_builtin0')); fb.op(OP.drop);
    this.addFunction(0, false, fb);
  }

  private runtimeDataEnd(): number {
    let end = 0;
    for (const seg of this.base.dataEntries) {
      if (seg.offset !== null) end = Math.max(end, seg.offset + seg.size);
    }
    return end;
  }

  private heapStartGlobal(): number {
    const g = this.base.globalExports.get('hooker_heap_start');
    if (g === undefined) throw new Error('runtime does not export the hooker_heap_start global');
    return g;
  }

  /** The i32.const initial value of the runtime's hooker_heap_start. */
  private heapStartInit(): number {
    const entry = this.base.globalEntries[this.heapStartGlobal() - this.base.numGlobalImports]!;
    if (entry[2] !== OP.i32Const) return 0;
    let result = 0;
    let shift = 0;
    for (let i = 3; ; i++) {
      const b = entry[i]!;
      result |= (b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) === 0) return shift < 32 && (b & 0x40) ? result | (-1 << shift) : result;
    }
  }

  funcIndex(irName: string): number | undefined { return this.funcIndexes.get(irName); }

  nativeIndex(name: string): number | undefined {
    const exp = NATIVE_BUILTINS[name];
    return exp ? this.base.funcExports.get(exp) : undefined;
  }

  rtIndex(name: RuntimeFnName): number {
    const idx = this.base.funcExports.get(name);
    if (idx === undefined) throw new Error(`runtime does not export ${name}: build/runtime.wasm is older than the compiler, run \`npm run build:runtime\``);
    return idx;
  }

  importIndex(base: 'opa_abort' | 'opa_builtin0' | 'opa_json_parse'): number {
    const idx = base === 'opa_json_parse' ? this.base.funcExports.get(base) : this.base.funcImports.get(`env.${base}`);
    if (idx === undefined) throw new Error(`runtime lacks ${base}`);
    return idx;
  }

  hostBuiltin(name: string): { id: number; returnsSet: boolean } {
    const host = this.hostIds.get(name);
    if (host === undefined) throw new Error(`builtin ${name} is called but not declared in the policy`);
    return host;
  }

  hostCallFunc(arity: number): number {
    const f = this.base.hostCallFuncs[arity];
    // Reported once for the whole policy by the constructor; any index keeps writing going.
    return f ?? this.base.hostCallFuncs[0]!;
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

  /** Sets the runtime's hooker_callsite global (nothing with a runtime that lacks it). */
  setCallsite(fb: FunctionBuilder, ptr: number): void {
    if (this.callsiteGlobal === undefined) return;
    fb.const(ptr);
    fb.op(OP.globalSet);
    fb.code.u32(this.callsiteGlobal);
  }

  private typeIndex(params: number, result: boolean): number {
    const key = `${'7f'.repeat(params)}:${result ? '7f' : ''}`;
    let idx = this.typeKeys.indexOf(key);
    if (idx < 0) {
      const w = new ByteWriter(16);
      w.u8(0x60);
      w.u32(params);
      for (let i = 0; i < params; i++) w.u8(I32);
      if (result) { w.u32(1); w.u8(I32); } else w.u32(0);
      this.newTypes.push(w.view());
      this.typeKeys.push(key);
      idx = this.typeKeys.length - 1;
    }
    return idx;
  }

  private addFunction(params: number, result: boolean, fb: FunctionBuilder): void {
    this.newFuncTypes.push(this.typeIndex(params, result));
    fb.finish(this.code);
  }

  private addFunc(f: Func): void {
    const fb = new FunctionBuilder(this, f.params, undefined);
    const slot = this.memoSlots.get(f.name);
    if (slot === undefined) {
      fb.blocks(f.blocks);
      fb.get(f.result);
    } else {
      // As OPA's wasm: the value is computed once per evaluation (per input
      // and data pair, which keeps values computed under `with` apart; runtime memo.ts).
      // hooker_memo_get is 0 when not computed yet, 1 when computed and undefined.
      const hit = fb.scratch();
      fb.const(slot); fb.get(0); fb.get(1); fb.rt('hooker_memo_get'); fb.ltee(hit);
      fb.open(OP.if);
      fb.lget(hit); fb.const(0); fb.lget(hit); fb.const(1); fb.op(OP.i32Ne); fb.op(OP.select); fb.op(OP.return);
      fb.end();
      fb.blocks(f.blocks);
      fb.const(slot); fb.const(this.memoSlots.size); fb.get(0); fb.get(1); fb.get(f.result); fb.rt('hooker_memo_put');
      fb.get(f.result);
    }
    this.addFunction(f.params.length, true, fb);
  }

  private addPlan(p: Plan): void {
    // Locals 0 and 1 are input and data; the result set is the third param.
    const fb = new FunctionBuilder(this, [0, 1], 2);
    fb.blocks(p.blocks);
    this.addFunction(3, false, fb);
  }

  /** The body of the runtime's eval_plan placeholder: a br_table over the plans. */
  private dispatcher(firstPlan: number, count: number): Uint8Array {
    const fb = new FunctionBuilder(this, [0, 1, 2, 3], undefined);
    // Blocks B_count (default) ... B_0, innermost B_0; case i's call follows B_i's end.
    for (let i = 0; i <= count; i++) fb.open(OP.block);
    fb.lget(0);
    fb.code.u8(OP.brTable);
    fb.code.u32(count);
    for (let i = 0; i < count; i++) fb.code.u32(i);
    fb.code.u32(count);
    for (let i = 0; i < count; i++) {
      fb.end();
      fb.lget(1); fb.lget(2); fb.lget(3); fb.call(firstPlan + i); fb.op(OP.return);
    }
    fb.end();
    const out = new ByteWriter(fb.code.length + 16);
    fb.finish(out);
    return out.view();
  }

  /** An exported function returning a value parsed from constant JSON (OPA's `builtins` and `entrypoints`). */
  private addJsonFunction(json: unknown): void {
    const s = this.data.string(JSON.stringify(json));
    const fb = new FunctionBuilder(this, [], undefined);
    fb.const(s.ptr); fb.const(s.len); fb.call(this.importIndex('opa_json_parse'));
    this.addFunction(0, true, fb);
  }

  /**
   * The input projection as the runtime reads it (json.ts, parseJsonProjected):
   * [count] then [key ptr][key len][child] per key, child 0 for a value needed whole.
   */
  private projectionData(n: ProjectionNode): number {
    const entries = [...n.children].map(([key, c]) => ({ key: this.data.string(key), child: c.whole ? 0 : this.projectionData(c) }));
    const b = new DataView(new ArrayBuffer(4 + entries.length * 12));
    b.setUint32(0, entries.length, true);
    entries.forEach((e, i) => {
      b.setUint32(4 + i * 12, e.key.ptr, true);
      b.setUint32(8 + i * 12, e.key.len, true);
      b.setUint32(12 + i * 12, e.child, true);
    });
    return this.data.block(new Uint8Array(b.buffer));
  }

  emit(): Uint8Array {
    const base = this.base;
    const projection = inputProjection(this.policy);
    // A runtime without the global parses the whole input.
    if (projection && base.globalExports.has('hooker_input_projection')) {
      this.globalInits.set(base.globalExports.get('hooker_input_projection')!, this.projectionData(projection));
    }
    this.addTick();
    this.policy.funcs.forEach((f) => this.addFunc(f));
    const firstPlan = base.numFuncs + this.newFuncTypes.length;
    this.policy.plans.forEach((p) => this.addPlan(p));
    const builtins: Record<string, number> = {};
    for (const [name, { id }] of this.hostIds) builtins[hostBuiltinName(name)] = id;
    builtins[hostBuiltinName(TICK_BUILTIN)] = this.tickId;
    const abiFirst = base.numFuncs + this.newFuncTypes.length;
    this.addJsonFunction(builtins);
    const entrypoints: Record<string, number> = {};
    this.policy.plans.forEach((p, i) => { entrypoints[p.name] = i; });
    this.addJsonFunction(entrypoints);
    if (this.problems.length) throw new RegoCompileError(this.problems.map((message) => ({ code: 'rego_compile_error', message })));
    const dispatcher = this.dispatcher(firstPlan, this.policy.plans.length);
    return this.assemble(dispatcher, [['builtins', abiFirst], ['entrypoints', abiFirst + 1]]);
  }

  /** The runtime's sections with the policy's types, functions, exports, data and heap start. */
  private assemble(dispatcher: Uint8Array, abiExports: Array<[string, number]>): Uint8Array {
    const base = this.base;
    const out = new ByteWriter(base.sections.reduce((n, s) => n + s.body.length, 0) + this.code.length + (1 << 16));
    out.bytes(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
    const ours = this.data.segment();
    const heapStart = align8(this.data.end);
    const pages = Math.max(1, Math.ceil(heapStart / PAGE));
    const vec = (entries: Uint8Array[], extra: Uint8Array[] = []): ByteWriter => {
      const w = new ByteWriter(64);
      w.u32(entries.length + extra.length);
      for (const e of entries) w.bytes(e);
      for (const e of extra) w.bytes(e);
      return w;
    };
    for (const s of base.sections) {
      switch (s.id) {
        case 0: break; // custom sections (names) describe the runtime alone
        case 1: out.section(1, vec(base.typeEntries, this.newTypes)); break;
        case 2: {
          const entries = base.importEntries.map((e) => {
            if (e.kind !== 2) return e.raw;
            // The memory must hold the static data: minimum raised, no maximum (the SDK's memory is growable).
            const w = new ByteWriter(32);
            w.name(e.module); w.name(e.field); w.u8(2); w.u8(0); w.u32(pages);
            return w.view();
          });
          out.section(2, vec(entries));
          break;
        }
        case 3: {
          const w = new ByteWriter(base.funcTypes.length + this.newFuncTypes.length * 2 + 8);
          w.u32(base.funcTypes.length + this.newFuncTypes.length);
          for (const t of base.funcTypes) w.u32(t);
          for (const t of this.newFuncTypes) w.u32(t);
          out.section(3, w);
          break;
        }
        case 6: {
          const inits = new Map([...this.globalInits].map(([g, v]) => [g - base.numGlobalImports, v]));
          inits.set(this.heapStartGlobal() - base.numGlobalImports, heapStart);
          const entries = base.globalEntries.map((e, i) => {
            const init = inits.get(i);
            if (init === undefined) return e;
            const w = new ByteWriter(16);
            w.u8(I32); w.u8(1); w.u8(OP.i32Const); w.i32(init); w.u8(OP.end);
            return w.view();
          });
          const fuel = new ByteWriter(16);
          fuel.u8(I32); fuel.u8(1); fuel.u8(OP.i32Const); fuel.i32(FUEL); fuel.u8(OP.end);
          out.section(6, vec(entries, [fuel.view()]));
          break;
        }
        case 7: {
          const w = new ByteWriter(1024);
          const kept = base.exports.filter((e) => !e.name.startsWith(LINK_EXPORT_PREFIX));
          w.u32(kept.length + abiExports.length);
          for (const e of kept) { w.name(e.name); w.u8(e.kind); w.u32(e.index); }
          for (const [name, index] of abiExports) { w.name(name); w.u8(0); w.u32(index); }
          out.section(7, w);
          break;
        }
        case 12: {
          const w = new ByteWriter(8);
          w.u32(base.dataEntries.length + (ours ? 1 : 0));
          out.section(12, w);
          break;
        }
        case 10: {
          const w = new ByteWriter(this.code.length + s.body.length + dispatcher.length + 16);
          w.u32(base.codeBodies.length + this.newFuncTypes.length);
          const evalPlan = base.evalPlanFunc - base.funcImports.size;
          base.codeBodies.forEach((b, i) => {
            if (i === evalPlan) { w.bytes(dispatcher); return; }
            w.u32(b.length);
            w.bytes(b);
          });
          w.bytes(this.code.view());
          out.section(10, w);
          break;
        }
        case 11: {
          const extra: Uint8Array[] = [];
          if (ours) {
            const w = new ByteWriter(ours.data.length + 16);
            w.u8(0); w.u8(OP.i32Const); w.i32(ours.offset); w.u8(OP.end); w.u32(ours.data.length); w.bytes(ours.data);
            extra.push(w.view());
          }
          out.section(11, vec(base.dataEntries.map((d) => d.raw), extra));
          break;
        }
        default: out.section(s.id, s.body);
      }
    }
    if (ours && !base.sections.some((s) => s.id === 11)) {
      throw new Error('the runtime has no data section to add the policy\'s constants to');
    }
    return out.view().slice();
  }
}

/** Links `policy` into the runtime module and returns the final wasm bytes. */
export function emitWasm(policy: Policy, runtime: Uint8Array): Uint8Array {
  return new Emitter(policy, runtime).emit();
}
