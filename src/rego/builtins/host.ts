// The custom builtins handed to the SDK's loadPolicy: one wrapper per
// TypeScript-implemented builtin, keyed "hooker:<name>" (the wasm declares
// them under that name so the SDK's own JS builtins never shadow ours).

import { RegoEvalError } from '../errors.js';
import { RegoLimitError, type EvalBudget } from '../limits.js';
import { TICK_BUILTIN } from '../wasm/runtime-abi.js';
import { checkArgs } from './operands.js';
import { allBuiltins } from './registry.js';
import { BuiltinError, type BuiltinContext, type BuiltinDecl, type RegoValue } from './types.js';
import { decode, encode } from './value.js';

export const HOST_PREFIX = 'hooker:';

export interface HostBuiltinOptions {
  /** Builtin errors abort evaluation (OPA's strict-builtin-errors) instead of making the call undefined. */
  strict: boolean;
  /** Where `print` output goes (default: stderr). */
  print?: (line: string) => void;
  /** Clock for time.now_ns, in nanoseconds (tests pin it). */
  now?: () => bigint;
  /** Limits of one evaluation (time, result sizes); none when absent. */
  budget?: EvalBudget;
}

export interface HostBuiltins {
  builtins: Record<string, (...args: unknown[]) => unknown>;
  /** Tells the wrappers where to read the location of the call in progress ("file:row"). */
  setCallsiteReader(read: () => string | undefined): void;
  /** Starts a new evaluation: fixes time.now_ns and clears the per-evaluation cache. */
  beginEvaluation(): void;
}

export type PrintContext = BuiltinContext & { print?: (line: string) => void };

function wallClockNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

export function createHostBuiltins(opts: HostBuiltinOptions): HostBuiltins {
  const now = opts.now ?? wallClockNs;
  let ctx: PrintContext | undefined;
  const context = (): PrintContext => (ctx ??= { nowNs: now(), cache: new Map(), print: opts.print, ...(opts.budget ? { budget: opts.budget } : {}) });

  let callsite: () => string | undefined = () => undefined;
  const builtins: Record<string, (...args: unknown[]) => unknown> = {};
  for (const decl of allBuiltins()) {
    if (!decl.impl) continue;
    builtins[HOST_PREFIX + decl.name] = wrap(decl, opts.strict, context, () => callsite(), opts.budget);
  }
  // Called from policy loops every few thousand iterations, so that a loop
  // calling no builtin still stops at the evaluation's deadline.
  builtins[HOST_PREFIX + TICK_BUILTIN] = () => {
    opts.budget?.checkTime();
    return undefined;
  };
  return {
    builtins,
    setCallsiteReader(read) {
      callsite = read;
    },
    beginEvaluation() {
      ctx = undefined;
      opts.budget?.start();
    },
  };
}

function wrap(decl: BuiltinDecl, strict: boolean, context: () => BuiltinContext, callsite: () => string | undefined, budget?: EvalBudget): (...args: unknown[]) => unknown {
  const impl = decl.impl!;
  return (...raw: unknown[]) => {
    try {
      budget?.checkTime();
      const args: RegoValue[] = raw.map((r) => decode(r, decl.exactNumbers === true));
      checkArgs(decl.args, args, decl.variadic);
      const out = impl(args, context());
      if (out === undefined) return undefined;
      const text = wireJson(encode(out));
      budget?.checkResultBytes(text.length, decl.name);
      return textBytes(text);
    } catch (e) {
      // A limit stops the evaluation whatever strict says: "undefined" would
      // let a policy go on and retry the same allocation.
      if (e instanceof RegoLimitError) throw new RegoLimitError(e.limit, `${decl.name}: ${e.message.replace(/^.*?evaluation limit exceeded \([a-z_]+\): /, '')}`, callsite());
      if (budget && e instanceof RangeError) throw new RegoLimitError('result_size', `${decl.name}: ${e.message}`, callsite());
      if (!strict && !decl.alwaysRaises) return undefined;
      throw toEvalError(decl.name, e, callsite());
    }
  };
}

export function toEvalError(name: string, e: unknown, location?: string): RegoEvalError {
  if (e instanceof RegoEvalError) return e;
  if (e instanceof BuiltinError) return new RegoEvalError(e.code, `${name}: ${e.message}`, location);
  const message = e instanceof Error ? e.message : String(e);
  return new RegoEvalError('eval_builtin_error', `${name}: ${message}`, location);
}

/**
 * The result as JSON text for the SDK (which passes an ArrayBuffer through
 * unchanged): unlike JSON.stringify, integral numbers beyond 2^53 keep their
 * exact value (10 * 2^60 is written 11529215046068469760, not 11529215046068470000).
 */
function textBytes(text: string): ArrayBuffer {
  const bytes = new TextEncoder().encode(text);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

function wireJson(value: unknown): string {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && Math.abs(value) >= 2 ** 53) return BigInt(value).toString();
    return JSON.stringify(value);
  }
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return `[${value.map(wireJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${wireJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
