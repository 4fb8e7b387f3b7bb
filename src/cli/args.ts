// Minimal argv parsing shared by the subcommands: repeated flags collect
// into arrays, `--flag=value` and `--flag value` both work, unknown flags
// are errors that name the flag.

export interface FlagSpec {
  /** Long names (and one-letter aliases) that take a value. */
  values?: Record<string, string>;
  /** Boolean flags. */
  booleans?: Record<string, string>;
}

export interface ParsedArgs {
  values: Map<string, string[]>;
  booleans: Set<string>;
  positionals: string[];
}

export class UsageError extends Error {}

export function parseArgs(argv: string[], spec: FlagSpec): ParsedArgs {
  const values = new Map<string, string[]>();
  const booleans = new Set<string>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') { positionals.push(...argv.slice(i + 1)); break; }
    if (!arg.startsWith('-') || arg === '-') { positionals.push(arg); continue; }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const valueName = spec.values?.[flag];
    const boolName = spec.booleans?.[flag];
    if (valueName) {
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`${flag} needs a value`);
      values.set(valueName, [...(values.get(valueName) ?? []), value]);
    } else if (boolName) {
      booleans.add(boolName);
    } else {
      throw new UsageError(`unknown flag ${flag}`);
    }
  }
  return { values, booleans, positionals };
}
