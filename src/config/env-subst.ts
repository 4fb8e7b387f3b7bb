// `$NAME` / `${NAME}` values in cfg.yaml come from the environment, as in
// Postee. Only whole values are substituted: scripts and Rego keep their own
// `$` text, so those keys are never touched.

export const VERBATIM_KEYS = new Set(['exec-script', 'body-content', 'input', 'body']);

const WHOLE = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))$/;

export interface EnvReference {
  name: string;
  /** From `${NAME:-default}`: used when NAME is unset or empty. */
  fallback?: string;
}

/** The variable a value names, or undefined when the value is not `$NAME`/`${NAME}`/`${NAME:-default}`. */
export function envReference(value: unknown): EnvReference | undefined {
  if (typeof value !== 'string') return undefined;
  const m = WHOLE.exec(value.trim());
  if (!m) return undefined;
  return m[3] !== undefined ? { name: m[3] } : { name: m[1]!, fallback: m[2] };
}
