import { formatLocation, type Location } from './syntax/ast.js';

/** OPA's error codes, used verbatim so users can search OPA's docs for them. */
export type RegoErrorCode =
  | 'rego_parse_error'
  | 'rego_compile_error'
  | 'rego_type_error'
  | 'rego_unsafe_var_error'
  | 'rego_recursion_error'
  | 'eval_conflict_error'
  | 'eval_type_error'
  | 'eval_builtin_error';

export interface RegoProblem {
  code: RegoErrorCode;
  message: string;
  loc?: Location;
}

export function formatProblem(p: RegoProblem): string {
  return p.loc ? `${formatLocation(p.loc)}: ${p.code}: ${p.message}` : `${p.code}: ${p.message}`;
}

/** Thrown by parse/compile/plan/emit; lists every problem found, each with file:row:col. */
export class RegoCompileError extends Error {
  readonly problems: RegoProblem[];
  constructor(problems: RegoProblem[]) {
    const head = problems.length === 1 ? '1 error occurred' : `${problems.length} errors occurred`;
    super(`${head}:\n${problems.map(formatProblem).join('\n')}`);
    this.name = 'RegoCompileError';
    this.problems = problems;
  }
  get code(): RegoErrorCode {
    return this.problems[0]?.code ?? 'rego_compile_error';
  }
}

/**
 * Raised while evaluating a compiled policy (conflicts, builtin errors under
 * strict mode). The wasm aborts with "<code>: <message>"; `fromAbort`
 * recovers the code.
 */
export class RegoEvalError extends Error {
  readonly code: RegoErrorCode;
  /** "file:row" of the call that failed, when known. */
  readonly location?: string;
  constructor(code: RegoErrorCode, message: string, location?: string) {
    super(`${location ? `${location}: ` : ''}${code}: ${message}`);
    this.name = 'RegoEvalError';
    this.code = code;
    if (location) this.location = location;
  }
  /** Parses "[file:row: ]<code>: <message>" as the runtime aborts with it. */
  static fromAbort(text: string): RegoEvalError {
    const m = /^(?:(.+?:\d+): )?(eval_[a-z_]+|rego_[a-z_]+): ([\s\S]*)$/.exec(text);
    if (m) return new RegoEvalError(m[2] as RegoErrorCode, m[3]!, m[1]);
    return new RegoEvalError('eval_builtin_error', text);
  }
}

/** Problems loading policy files (OPA's loader): every one found, each naming its file. */
export class LoadError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? `1 error occurred during loading: ${problems[0]}` : `${problems.length} errors occurred during loading:\n${problems.join('\n')}`);
    this.name = 'LoadError';
  }
}

/** A capabilities file or builtins module that cannot be used; the message names the file. */
export class CustomBuiltinError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CustomBuiltinError';
  }
}
