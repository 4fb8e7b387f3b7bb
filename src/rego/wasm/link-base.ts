// The runtime prepared for linking. `npm run build:runtime`
// (scripts/build-runtime.mjs) turns the runtime's `hooker.eval_plan` import
// into a placeholder function whose body the emitter replaces with the plan
// dispatcher, adds every SDK import the policy code may call and the
// host-call trampolines, and writes the result to build/runtime-linkable.wasm.
// Preparing it at build time keeps binaryen (75 MiB, seconds to load) out of
// the server process entirely. This module reads that binary once per
// process; the emitter then appends policy functions to it section by
// section (see emit.ts), so no function index of the runtime ever moves and
// its code is copied as bytes.

import { ByteReader } from './bytes.js';
import { linkableRuntime } from './runtime.js';
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
    base = parseLinkBase(linkableRuntime(runtime));
    cache.set(runtime, base);
  }
  return base;
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
  // The preparation is written in scripts/build-runtime.mjs, apart from this
  // file: check here that it produced everything the emitter relies on.
  const stale = 'build/runtime-linkable.wasm does not match the compiler: run `npm run build:runtime`';
  const evalPlan = base.funcExports.get(EVAL_PLAN_EXPORT);
  if (evalPlan === undefined) throw new Error(`prepared runtime lacks its eval_plan placeholder (${stale})`);
  base.evalPlanFunc = evalPlan;
  for (let arity = 0; arity <= MAX_HOST_ARITY; arity++) {
    const f = base.funcExports.get(hostCallExport(arity));
    if (f === undefined) throw new Error(`prepared runtime lacks ${hostCallExport(arity)} (${stale})`);
    base.hostCallFuncs.push(f);
  }
  for (const name of SDK_IMPORTS) {
    if (name !== 'opa_println' && !base.funcImports.has(`env.${name}`)) throw new Error(`prepared runtime does not import env.${name} (${stale})`);
  }
  return base;
}
