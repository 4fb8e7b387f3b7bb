// A configuration problem as the user sees it: file:line, key path, reason.
// Every stage (YAML, schema, actions, Rego) reports through this one shape so
// `hooker validate`, start-up and /reload print the same text.

export type Severity = 'error' | 'warning';

export interface Problem {
  severity: Severity;
  file: string;
  /** 1-based line in `file`, when known. */
  line?: number;
  /** 1-based column of a Rego problem in its module's own text (the console's editor points at it). */
  column?: number;
  /** Key path such as routes[2].actions[0] ('' for the whole file). */
  path: string;
  message: string;
}

export type KeyPath = Array<string | number>;

export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

export function formatProblem(p: Problem): string {
  const where = p.line !== undefined ? `${p.file}:${p.line}` : p.file;
  const path = p.path ? ` ${p.path}:` : '';
  return `${where}: ${p.severity}:${path} ${p.message}`;
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

/** Thrown when a configuration cannot be used; carries every problem found. */
export class ConfigError extends Error {
  constructor(public readonly problems: Problem[]) {
    const errors = problems.filter((p) => p.severity === 'error');
    super(`configuration has ${errors.length} error(s):\n${errors.map(formatProblem).join('\n')}`);
    this.name = 'ConfigError';
  }
}
