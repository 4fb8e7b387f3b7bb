// What one evaluation may cost. A policy (or the event it reads) can ask for
// a billion-element range or a string doubled forty times; without limits
// V8 aborts the whole process ("invalid size", heap exhaustion) for every
// tenant. With them the evaluation fails with a RegoLimitError and the
// caller decides (the router marks the route failed for that event).
//
// What is bounded, and how:
//  - wasm memory: the policy's WebAssembly.Memory has a maximum; the
//    runtime's allocator aborts "out of memory" when it cannot grow, and an
//    input too large to copy in fails the same way;
//  - host builtins (TypeScript): ranges and other results are refused before
//    they are built when they would exceed `maxElements`, and any result
//    over `maxResultBytes` of JSON is refused;
//  - time: checked against a deadline set when the evaluation starts, at
//    every host builtin call and, for loops that run inside wasm without
//    calling one, every few thousand loop iterations (a fuel counter in the
//    generated code, wasm/emit.ts, calls out to the host when it runs out).

import { RegoEvalError } from './errors.js';

export interface EvalLimits {
  /** Maximum size of the policy's wasm memory, in bytes (rounded up to 64 KiB pages). */
  memoryBytes: number;
  /** Most elements a host builtin may produce (numbers.range, split, ...). */
  maxElements: number;
  /** Most bytes (as JSON) a host builtin result may have. */
  maxResultBytes: number;
  /** Deadline of one evaluation, checked at host builtin calls and every few thousand loop iterations. */
  timeMs: number;
}

export const DEFAULT_EVAL_LIMITS: EvalLimits = {
  memoryBytes: 256 * 1024 * 1024,
  maxElements: 1_000_000,
  maxResultBytes: 32 * 1024 * 1024,
  timeMs: 5_000,
};

export type LimitKind = 'memory' | 'elements' | 'result_size' | 'time';

/** An evaluation stopped by a limit; never made "undefined" like other builtin errors. */
export class RegoLimitError extends RegoEvalError {
  constructor(readonly limit: LimitKind, message: string, location?: string) {
    super('eval_builtin_error', `evaluation limit exceeded (${limit}): ${message}`, location);
    this.name = 'RegoLimitError';
  }
}

const PAGE = 64 * 1024;

export function memoryPages(limits: EvalLimits): number {
  return Math.max(1, Math.ceil(limits.memoryBytes / PAGE));
}

/** The per-evaluation guard handed to host builtins. */
export class EvalBudget {
  private deadline = Infinity;
  constructor(readonly limits: EvalLimits) {}

  start(now = performance.now()): void {
    this.deadline = now + this.limits.timeMs;
  }

  checkTime(): void {
    if (performance.now() > this.deadline) throw new RegoLimitError('time', `the evaluation ran longer than ${this.limits.timeMs} ms`);
  }

  /** Before building a collection of `n` elements. */
  checkElements(n: number, what: string): void {
    if (n > this.limits.maxElements) throw new RegoLimitError('elements', `${what} would produce ${n} elements, the limit is ${this.limits.maxElements}`);
  }

  checkResultBytes(n: number, what: string): void {
    if (n > this.limits.maxResultBytes) throw new RegoLimitError('result_size', `${what} produced ${n} bytes, the limit is ${this.limits.maxResultBytes}`);
  }
}

/**
 * Limits from the environment: HOOKER_EVAL_MAX_MEMORY (bytes, or with
 * KB/MB/GB), HOOKER_EVAL_MAX_ELEMENTS, HOOKER_EVAL_MAX_RESULT (bytes),
 * HOOKER_EVAL_TIMEOUT (ms, or a duration like 2s). Bad values fall back to
 * the default.
 */
export function evalLimitsFromEnv(env: NodeJS.ProcessEnv): EvalLimits {
  const bytes = (v: string | undefined, d: number) => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?\s*$/i.exec(v ?? '');
    if (!m) return d;
    const unit = (m[2] ?? 'b').toLowerCase();
    const mult = unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 ** 2 : unit.startsWith('g') ? 1024 ** 3 : 1;
    const n = Math.floor(Number(m[1]) * mult);
    return n > 0 ? n : d;
  };
  const ms = (v: string | undefined, d: number) => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/i.exec(v ?? '');
    if (!m) return d;
    const unit = (m[2] ?? 'ms').toLowerCase();
    const n = Number(m[1]) * (unit === 's' ? 1000 : unit === 'm' ? 60_000 : 1);
    return n > 0 ? n : d;
  };
  const int = (v: string | undefined, d: number) => (v && /^\s*\d+\s*$/.test(v) && Number(v) > 0 ? Number(v) : d);
  const d = DEFAULT_EVAL_LIMITS;
  // Like every HOOKER_* variable, also read as POSTEE_*.
  const v = (name: string) => env[`HOOKER_${name}`] ?? env[`POSTEE_${name}`];
  return {
    memoryBytes: bytes(v('EVAL_MAX_MEMORY'), d.memoryBytes),
    maxElements: int(v('EVAL_MAX_ELEMENTS'), d.maxElements),
    maxResultBytes: bytes(v('EVAL_MAX_RESULT'), d.maxResultBytes),
    timeMs: ms(v('EVAL_TIMEOUT'), d.timeMs),
  };
}
