// Public API of the Rego compiler: Rego source -> OPA-ABI WebAssembly.
// Pipeline: syntax (parse) -> compile (checks, rewrites) -> plan (IR) -> wasm (emit).
// (Being assembled; the signatures below are the contract other modules code against.)

import type { RegoVersion } from './syntax/ast.js';

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
  /** Ad-hoc queries planned as extra entrypoints named by `name`; each result is the query's bindings. */
  queries?: Array<{ name: string; query: string }>;
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
}

export interface RegoPolicy {
  readonly entrypoints: Record<string, number>;
  setData(data: unknown): void;
  /** Result set as the SDK returns it: [{result: value}] for entrypoints, binding objects for queries; [] when undefined. */
  evaluate(input: unknown, entrypoint?: string | number): Array<Record<string, unknown>>;
}
