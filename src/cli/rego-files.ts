// What build/eval/test share: OPA's file loading (src/rego/loader.ts), the
// flags that steer it (--ignore, -b) and custom builtins (--capabilities,
// --builtins), installed before anything is compiled.

import type { SourceModule } from '../rego/index.js';
import { loadPolicyFiles } from '../rego/loader.js';
import { useCustomBuiltins } from '../rego/builtins/custom.js';
import type { ParsedArgs } from './args.js';

/** Flags every Rego subcommand accepts (merged into each one's FlagSpec). */
export const LOADER_VALUES: Record<string, string> = {
  '--ignore': 'ignore',
  '--capabilities': 'capabilities',
  '--builtins': 'builtins',
};

export const LOADER_HELP = `  --ignore PATTERN         skip file and directory names matching PATTERN (shell glob), repeatable
  --capabilities FILE      OPA capabilities JSON declaring extra builtins
  --builtins MODULE.mjs    JS module implementing them (one exported function per builtin name)`;

export interface LoadedFiles {
  modules: SourceModule[];
  data: Record<string, unknown>;
}

export interface LoadRequest {
  paths: string[];
  /** Load `paths` as bundles (`-b` of test/build). */
  asBundles?: boolean;
  /** Extra bundle paths (`-b PATH` of eval). */
  bundles?: string[];
}

/** Installs the custom builtins the flags name, then loads the files (LoadError / CustomBuiltinError on problems). */
export async function loadRegoInputs(args: ParsedArgs, req: LoadRequest): Promise<LoadedFiles> {
  const capabilities = args.values.get('capabilities')?.at(-1);
  const module = args.values.get('builtins')?.at(-1);
  const loaded = await useCustomBuiltins({ capabilities, module });
  for (const name of loaded.shadowing) process.stderr.write(`warning: ${module}: ${name} is a builtin Hooker already has; the module's function is not used\n`);
  return loadPolicyFiles(req.paths, { ignore: args.values.get('ignore') ?? [], asBundles: req.asBundles }, req.bundles ?? []);
}
