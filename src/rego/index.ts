// Public API of the Rego compiler: Rego source -> OPA-ABI WebAssembly.
// Pipeline: syntax (parse) -> compile (checks, rewrites) -> plan (IR) -> wasm (emit).

import { loadPolicy as loadSdkPolicy } from '@open-policy-agent/opa-wasm';
import type { Body, Module, RegoVersion } from './syntax/ast.js';
import { parseModule, parseQuery } from './syntax/parser.js';
import { compileModules } from './compile/index.js';
import { planProgram } from './plan/index.js';
import type { Policy } from './plan/ir.js';
import { emitWasm } from './wasm/emit.js';
import { runtimeWasm } from './wasm/runtime.js';
import { importedMemoryMinimum } from './wasm/memory-import.js';
import { createHostBuiltins } from './builtins/index.js';
import { RegoCompileError, RegoEvalError, type RegoProblem } from './errors.js';
import { EvalBudget, memoryPages, RegoLimitError, type EvalLimits } from './limits.js';
import { parseJson, stringifyJson } from '../json/lossless.js';

export { RegoCompileError, RegoEvalError, RegoLimitError, runtimeWasm };
export type { EvalLimits };
export type { RegoProblem };

export interface SourceModule {
  /** Shown in every error as file:row:col. */
  file: string;
  source: string;
  /** Overrides CompileOptions.regoVersion for this module. */
  regoVersion?: RegoVersion;
}

export interface CompileOptions {
  modules: SourceModule[];
  /** Entrypoints as paths below data, "pkg/rule" or "pkg.rule". */
  entrypoints: string[];
  /**
   * Ad-hoc queries planned as extra entrypoints named by `name`; each result
   * is the query's bindings. A query is Rego text or an already parsed body.
   */
  queries?: Array<{ name: string; query: string | Body }>;
  regoVersion?: RegoVersion;
}

export interface CompileResult {
  wasm: Uint8Array;
  /** Entrypoint name -> id, as the module's `entrypoints()` export reports. */
  entrypoints: Record<string, number>;
  warnings: string[];
}

export interface LoadOptions {
  /** OPA's strict-builtin-errors: builtin errors raise instead of making the call undefined. */
  strictBuiltinErrors?: boolean;
  /** Initial memory pages (64 KiB each). */
  memoryPages?: number;
  /** Bounds of each evaluation (memory, builtin results, time); unbounded when absent. */
  limits?: EvalLimits;
}

export interface RegoPolicy {
  readonly entrypoints: Record<string, number>;
  setData(data: unknown): void;
  /** Result set as the SDK returns it: [{result: value}] for entrypoints, binding objects for queries; [] when undefined. */
  evaluate(input: unknown, entrypoint?: string | number): Array<Record<string, unknown>>;
  /**
   * The same result set as its JSON text, unparsed (big integers written
   * exactly): for callers that see the same few results again and again
   * (the route matcher) and keep what they parsed by text.
   */
  evaluateText(input: unknown, entrypoint?: string | number): string;
}

/** Splits "pkg/rule", "pkg.rule" or "data.pkg.rule" into path segments below data. */
export function entrypointPath(ep: string): string[] {
  const parts = ep.includes('/') ? ep.split('/') : ep.split('.');
  if (parts[0] === 'data') parts.shift();
  return parts.filter((p) => p !== '');
}

export function parseSources(opts: Pick<CompileOptions, 'modules' | 'regoVersion'>): Module[] {
  const problems: RegoProblem[] = [];
  const modules: Module[] = [];
  for (const m of opts.modules) {
    try {
      modules.push(parseModule(m.source, m.file, { regoVersion: m.regoVersion ?? opts.regoVersion ?? 'v1' }));
    } catch (e) {
      if (e instanceof RegoCompileError) problems.push(...e.problems);
      else throw e;
    }
  }
  if (problems.length) throw new RegoCompileError(problems);
  return modules;
}

/** Source -> IR (what `hooker build --plan` prints). */
export function plan(opts: CompileOptions): { policy: Policy; warnings: string[] } {
  const modules = parseSources(opts);
  const queries = (opts.queries ?? []).map((q) => ({
    name: q.name,
    body: typeof q.query === 'string' ? parseQuery(q.query, `query:${q.name}`, { regoVersion: opts.regoVersion ?? 'v1' }) : q.query,
  }));
  const program = compileModules(modules, { entrypoints: opts.entrypoints.map(entrypointPath), queries, owned: true });
  return { policy: planProgram(program), warnings: program.warnings };
}

export function compile(opts: CompileOptions): CompileResult {
  const { policy, warnings } = plan(opts);
  const wasm = emitWasm(policy, runtimeWasm());
  const entrypoints: Record<string, number> = {};
  policy.plans.forEach((p, i) => { entrypoints[p.name] = i; });
  return { wasm, entrypoints, warnings };
}

interface SdkPolicy {
  entrypoints: Record<string, number>;
  wasmInstance: WebAssembly.Instance;
  mem: WebAssembly.Memory;
  /** The loaded data document and the heap start after it (fields of the SDK's LoadedPolicy). */
  dataAddr: number;
  dataHeapPtr: number;
  setData(data: unknown): void;
}

type OpaEval = (reserved: number, entrypoint: number, data: number, inputPtr: number, inputLen: number, heapPtr: number, format: number) => number;

const PAGE = 65536;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * One evaluation through the ABI's one-shot opa_eval, as the SDK's evaluate
 * does, minus its per-call costs: the input's JSON text is written straight
 * into the heap (an ArrayBuffer or a byte view such as a Buffer given by the
 * caller already is JSON text, as UTF-8;
 * other values, falsy ones included, are serialised here), and the result
 * text is found and decoded without a byte loop or a new decoder.
 */
function evaluateOnce(sdk: SdkPolicy, opaEval: OpaEval, input: unknown, entrypoint: number): string {
  const inputAddr = sdk.dataHeapPtr;
  let inputLen = 0;
  if (input !== undefined) {
    const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : input instanceof Uint8Array ? input : undefined;
    const text = bytes ? undefined : stringifyJson(input);
    if (text === undefined && !bytes) throw new TypeError(`input of type ${typeof input} has no JSON text`);
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    const room = bytes ? bytes.byteLength : text!.length * 3;
    const missing = inputAddr + room - sdk.mem.buffer.byteLength;
    if (missing > 0) sdk.mem.grow(Math.ceil(missing / PAGE));
    const heap = new Uint8Array(sdk.mem.buffer);
    if (bytes) {
      heap.set(bytes, inputAddr);
      inputLen = bytes.byteLength;
    } else {
      inputLen = encoder.encodeInto(text!, heap.subarray(inputAddr)).written;
    }
  }
  const out = opaEval(0, entrypoint, sdk.dataAddr, inputAddr, inputLen, inputAddr + inputLen, 0);
  const heap = new Uint8Array(sdk.mem.buffer);
  return decoder.decode(heap.subarray(out, heap.indexOf(0, out)));
}

/** The SDK throws strings (opa_abort) and plain objects (missing builtins); give callers Errors. */
function asEvalError(e: unknown): unknown {
  if (typeof e === 'string') return RegoEvalError.fromAbort(e);
  if (e !== null && typeof e === 'object' && !(e instanceof Error) && typeof (e as { message?: unknown }).message === 'string') {
    return RegoEvalError.fromAbort((e as { message: string }).message);
  }
  return e;
}

/** The runtime's allocator could not grow memory, or the SDK could not copy the input in. */
function isOutOfMemory(e: unknown): boolean {
  if (e instanceof RegoLimitError) return false;
  if (e instanceof RangeError) return /memory/i.test(e.message);
  return e instanceof Error && /out of memory/i.test(e.message);
}

/**
 * Runs `start` (the SDK's loadPolicy) with the global `Response` standing for
 * a class nothing is an instance of. The SDK first asks `wasm instanceof
 * Response` (for a streamed fetch, never the case here), and Node defines
 * that global lazily: reading it loads Node's whole fetch implementation
 * (its bundled undici, 15–30 ms of the server's start to /ping, issue 12),
 * which nothing else of the server needs. The check runs synchronously,
 * before the SDK's first await, so the global is put back as soon as `start`
 * returns; where it is no longer lazy (already loaded, or replaced), nothing
 * is changed.
 */
function withoutLazyResponse<T>(start: () => T): T {
  const lazy = Object.getOwnPropertyDescriptor(globalThis, 'Response');
  if (!lazy?.configurable || typeof lazy.get !== 'function') return start();
  Object.defineProperty(globalThis, 'Response', { value: class NotAResponse {}, configurable: true, writable: true });
  try {
    return start();
  } finally {
    Object.defineProperty(globalThis, 'Response', lazy);
  }
}

/** Loads a compiled policy in the OPA SDK together with Hooker's TypeScript builtins. */
export async function loadPolicy(wasm: Uint8Array, opts: LoadOptions = {}): Promise<RegoPolicy> {
  const strict = opts.strictBuiltinErrors ?? false;
  const budget = opts.limits ? new EvalBudget(opts.limits) : undefined;
  const host = createHostBuiltins({ strict, ...(budget ? { budget } : {}) });
  const pages = Math.max(opts.memoryPages ?? 0, importedMemoryMinimum(wasm), 5);
  // The memory's maximum is what bounds everything the runtime allocates.
  const maximum = opts.limits ? Math.max(memoryPages(opts.limits), pages) : undefined;
  const sdk = (await withoutLazyResponse(() => loadSdkPolicy(wasm, { initial: pages, ...(maximum ? { maximum } : {}) }, host.builtins))) as unknown as SdkPolicy;
  const opaEval = sdk.wasmInstance.exports['opa_eval'] as OpaEval;
  const setStrict = sdk.wasmInstance.exports['hooker_set_strict'] as ((v: number) => void) | undefined;
  setStrict?.(strict ? 1 : 0);
  const callsite = sdk.wasmInstance.exports['hooker_callsite'] as WebAssembly.Global | undefined;
  host.setCallsiteReader(() => {
    const ptr = callsite?.value as number | undefined;
    if (!ptr) return undefined;
    const bytes = new Uint8Array(sdk.mem.buffer);
    let end = ptr;
    while (bytes[end] !== 0 && end < bytes.length) end++;
    return new TextDecoder().decode(bytes.subarray(ptr, end));
  });
  const evaluateText = (input: unknown, entrypoint: string | number = 0): string => {
    let id: number;
    if (typeof entrypoint === 'number') id = entrypoint;
    else if (Object.prototype.hasOwnProperty.call(sdk.entrypoints, entrypoint)) id = sdk.entrypoints[entrypoint]!;
    else throw asEvalError(`entrypoint ${entrypoint} is not valid in this instance`);
    host.beginEvaluation();
    try {
      return evaluateOnce(sdk, opaEval, input, id);
    } catch (e) {
      const err = asEvalError(e);
      if (maximum !== undefined && isOutOfMemory(err)) {
        throw new RegoLimitError('memory', `the evaluation needs more than ${maximum * 64} KiB of wasm memory (${(err as Error).message})`);
      }
      throw err;
    }
  };
  return {
    entrypoints: sdk.entrypoints,
    setData(data: unknown) {
      try { sdk.setData(data); } catch (e) { throw asEvalError(e); }
    },
    evaluate(input: unknown, entrypoint: string | number = 0) {
      // The runtime writes big integers exactly: parseJson keeps them (a template may return the event's evt.time).
      return parseJson(evaluateText(input, entrypoint)) as Array<Record<string, unknown>>;
    },
    evaluateText,
  };
}
