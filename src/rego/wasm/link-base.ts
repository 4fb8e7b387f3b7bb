// The runtime prepared for linking, once per process: binaryen turns the
// runtime's `hooker.eval_plan` import into a placeholder function whose body
// the emitter replaces with the plan dispatcher, adds every SDK import the
// policy code may call and the host-call trampolines, and writes the result.
// The emitter then appends policy functions to that binary section by
// section (see emit.ts), so no function index of the runtime ever moves and
// its code is copied as bytes.

import binaryen from 'binaryen';
import { ByteReader } from './bytes.js';
import { SDK_IMPORTS } from './runtime-abi.js';

export const MAX_HOST_ARITY = 4;
/** Exports of the prepared runtime used only for linking, removed from the final module. */
export const LINK_EXPORT_PREFIX = '__hooker_link_';
const EVAL_PLAN_EXPORT = `${LINK_EXPORT_PREFIX}eval_plan`;
const hostCallExport = (arity: number) => `${LINK_EXPORT_PREFIX}host_call${arity}`;

export interface Section { id: number; body: Uint8Array }

/** What the emitter needs to know about the prepared runtime's binary. */
export interface LinkBase {
  sections: Section[];
  /** Function types as "params:results" keys (valtype bytes as hex), in type index order. */
  typeKeys: string[];
  /** Raw encoded type entries, in order. */
  typeEntries: Uint8Array[];
  /** Raw import entries; the memory import's limits are rewritten. */
  importEntries: Array<{ module: string; field: string; kind: number; raw: Uint8Array }>;
  funcImports: Map<string, number>;
  numFuncs: number;
  /** Type index of each defined function (in function index order after the imports). */
  funcTypes: number[];
  /** Raw global entries and the exported name of each global index (when exported). */
  globalEntries: Uint8Array[];
  numGlobalImports: number;
  exports: Array<{ name: string; kind: number; index: number }>;
  funcExports: Map<string, number>;
  globalExports: Map<string, number>;
  /** Raw code bodies (each with its size prefix stripped) of the defined functions. */
  codeBodies: Uint8Array[];
  /** Raw data segment entries. */
  dataEntries: Array<{ raw: Uint8Array; offset: number | null; size: number }>;
  evalPlanFunc: number;
  hostCallFuncs: number[];
}

const cache = new WeakMap<Uint8Array, LinkBase>();

export function linkBase(runtime: Uint8Array): LinkBase {
  let base = cache.get(runtime);
  if (!base) {
    base = parseLinkBase(prepare(runtime));
    cache.set(runtime, base);
  }
  return base;
}

function prepare(runtime: Uint8Array): Uint8Array {
  const m = binaryen.readBinary(runtime);
  try {
    // What the runtime was built with, plus what Node 20 supports.
    const f = binaryen.Features as unknown as Record<string, number>;
    m.setFeatures(m.getFeatures() | f['MutableGlobals']! | f['SignExt']! | f['BulkMemory']! | f['BulkMemoryOpt']!
      | f['NontrappingFPToInt']! | f['SIMD128']!);
    const imports = new Map<string, string>();
    for (let i = 0; i < m.getNumFunctions(); i++) {
      const info = binaryen.getFunctionInfo(m.getFunctionByIndex(i));
      if (info.module) imports.set(`${info.module}.${info.base}`, info.name);
    }
    const evalPlan = imports.get('hooker.eval_plan');
    if (!evalPlan) throw new Error('runtime does not import hooker.eval_plan');
    m.removeFunction(evalPlan);
    const i32 = binaryen.i32;
    m.addFunction(evalPlan, binaryen.createType([i32, i32, i32, i32]), binaryen.none, [], m.unreachable());
    m.addFunctionExport(evalPlan, EVAL_PLAN_EXPORT);
    // Every SDK import present, so that linking never adds an import (which would move function indexes).
    const sdkImport = (base: string, nparams: number, returns: boolean): string => {
      let name = imports.get(`env.${base}`);
      if (!name) {
        name = `import:${base}`;
        m.addFunctionImport(name, 'env', base, binaryen.createType(new Array(nparams).fill(i32)), returns ? i32 : binaryen.none);
        imports.set(`env.${base}`, name);
      }
      return name;
    };
    for (const base of SDK_IMPORTS) {
      if (base === 'opa_println') continue;
      if (base === 'opa_abort') sdkImport(base, 1, false);
      else sdkImport(base, Number(base.slice('opa_builtin'.length)) + 2, true);
    }
    const exports = new Map<string, string>();
    for (let i = 0; i < m.getNumExports(); i++) {
      const info = binaryen.getExportInfo(m.getExportByIndex(i));
      if (info.kind === binaryen.ExternalFunction) exports.set(info.name, info.value);
    }
    const rt = (name: string): string => {
      const internal = exports.get(name);
      if (!internal) throw new Error(`runtime does not export ${name}: build/runtime.wasm is older than the compiler, run \`npm run build:runtime\``);
      return internal;
    };
    // hooker_host_callN(id, args...) = { r = opa_builtinN(id, 0, args...); hooker_builtin_exit(); r }
    for (let arity = 0; arity <= MAX_HOST_ARITY; arity++) {
      const name = `hooker_host_call${arity}`;
      const imp = sdkImport(`opa_builtin${arity}`, arity + 2, true);
      const resultLocal = arity + 1;
      m.addFunction(name, binaryen.createType(new Array(arity + 1).fill(i32)), i32, [i32], m.block(null, [
        m.local.set(resultLocal, m.call(imp, [
          m.local.get(0, i32), m.i32.const(0),
          ...Array.from({ length: arity }, (_, k) => m.local.get(k + 1, i32)),
        ], i32)),
        m.call(rt('hooker_builtin_exit'), [], binaryen.none),
        m.local.get(resultLocal, i32),
      ], i32));
      m.addFunctionExport(name, hostCallExport(arity));
    }
    binaryen.setDebugInfo(false);
    return m.emitBinary();
  } finally {
    m.dispose();
  }
}

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** Skips a constant expression (global initialisers, segment offsets); returns an i32.const value when it is one. */
function constExpr(r: ByteReader): number | null {
  let value: number | null = null;
  for (;;) {
    const op = r.u8();
    switch (op) {
      case 0x0b: return value;
      case 0x41: value = r.sleb(); break; // i32.const
      case 0x42: r.sleb(); value = null; break; // i64.const
      case 0x43: r.skip(4); value = null; break;
      case 0x44: r.skip(8); value = null; break;
      case 0x23: r.u32(); value = null; break; // global.get
      case 0xd0: r.u8(); value = null; break; // ref.null
      case 0xd2: r.u32(); value = null; break; // ref.func
      case 0xfd: r.u32(); r.skip(16); value = null; break; // v128.const
      case 0x6a: case 0x6b: case 0x6c: case 0x7c: case 0x7d: case 0x7e: value = null; break; // extended const
      default: throw new Error(`unsupported constant expression opcode 0x${op.toString(16)}`);
    }
  }
}

function parseLinkBase(bytes: Uint8Array): LinkBase {
  const base: LinkBase = {
    sections: [], typeKeys: [], typeEntries: [], importEntries: [], funcImports: new Map(), numFuncs: 0,
    funcTypes: [], globalEntries: [], numGlobalImports: 0, exports: [], funcExports: new Map(), globalExports: new Map(),
    codeBodies: [], dataEntries: [], evalPlanFunc: -1, hostCallFuncs: [],
  };
  const top = new ByteReader(bytes, 8);
  let numFuncImports = 0;
  while (!top.done) {
    const id = top.u8();
    const size = top.u32();
    const start = top.i;
    const end = start + size;
    const r = new ByteReader(bytes, start, end);
    base.sections.push({ id, body: bytes.subarray(start, end) });
    switch (id) {
      case 1: { // types
        for (let n = r.u32(); n > 0; n--) {
          const from = r.i;
          if (r.u8() !== 0x60) throw new Error('the runtime uses a type form the linker does not handle');
          // Value types are one byte each in the runtime (numbers and v128).
          const pc = r.u32(); const params = r.slice(r.i, r.i + pc); r.skip(pc);
          const rc = r.u32(); const results = r.slice(r.i, r.i + rc); r.skip(rc);
          base.typeEntries.push(r.slice(from));
          base.typeKeys.push(`${hex(params)}:${hex(results)}`);
        }
        break;
      }
      case 2: { // imports
        for (let n = r.u32(); n > 0; n--) {
          const from = r.i;
          const module = r.name();
          const field = r.name();
          const kind = r.u8();
          if (kind === 0) { r.u32(); base.funcImports.set(`${module}.${field}`, numFuncImports++); }
          else if (kind === 1) { r.u8(); const flags = r.u32(); r.u32(); if (flags & 1) r.u32(); }
          else if (kind === 2) { const flags = r.u32(); r.u32(); if (flags & 1) r.u32(); }
          else if (kind === 3) { r.u8(); r.u8(); base.numGlobalImports++; }
          else throw new Error(`unknown import kind ${kind}`);
          base.importEntries.push({ module, field, kind, raw: r.slice(from) });
        }
        break;
      }
      case 3: for (let n = r.u32(); n > 0; n--) base.funcTypes.push(r.u32()); break;
      case 6: { // globals
        for (let n = r.u32(); n > 0; n--) {
          const from = r.i;
          r.u8(); r.u8();
          constExpr(r);
          base.globalEntries.push(r.slice(from));
        }
        break;
      }
      case 7: { // exports
        for (let n = r.u32(); n > 0; n--) {
          const name = r.name();
          const kind = r.u8();
          const index = r.u32();
          base.exports.push({ name, kind, index });
          if (kind === 0) base.funcExports.set(name, index);
          if (kind === 3) base.globalExports.set(name, index);
        }
        break;
      }
      case 10: { // code
        for (let n = r.u32(); n > 0; n--) {
          const len = r.u32();
          base.codeBodies.push(r.slice(r.i, r.i + len));
          r.skip(len);
        }
        break;
      }
      case 11: { // data
        for (let n = r.u32(); n > 0; n--) {
          const from = r.i;
          const flags = r.u32();
          let offset: number | null = null;
          if (flags === 0) offset = constExpr(r);
          else if (flags === 2) { r.u32(); offset = constExpr(r); }
          const size = r.u32();
          r.skip(size);
          base.dataEntries.push({ raw: r.slice(from), offset: flags === 1 ? null : offset, size });
        }
        break;
      }
      default: break;
    }
    top.i = end;
  }
  base.numFuncs = numFuncImports + base.funcTypes.length;
  const evalPlan = base.funcExports.get(EVAL_PLAN_EXPORT);
  if (evalPlan === undefined) throw new Error('prepared runtime lacks its eval_plan placeholder');
  base.evalPlanFunc = evalPlan;
  for (let arity = 0; arity <= MAX_HOST_ARITY; arity++) base.hostCallFuncs.push(base.funcExports.get(hostCallExport(arity))!);
  return base;
}
