// hooker build [-e entrypoint]... [--v0] [--plan] [-b] [--ignore P] [--capabilities F] [--builtins M] FILES|DIRS -o policy.wasm
// Data documents found are checked (placement, conflicts, bundle roots) like OPA's build does.

import { writeFileSync } from 'node:fs';
import { compile, plan } from '../rego/index.js';
import { printPolicy } from '../rego/plan/print.js';
import { LOADER_VALUES, loadRegoInputs } from './rego-files.js';
import { parseArgs, UsageError } from './args.js';

export async function runBuild(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    values: { '-e': 'entrypoint', '--entrypoint': 'entrypoint', '-o': 'output', '--output': 'output', ...LOADER_VALUES },
    booleans: { '--v0': 'v0', '--plan': 'plan', '-b': 'bundle', '--bundle': 'bundle' },
  });
  if (args.positionals.length === 0) throw new UsageError('usage: hooker build [-e entrypoint]... [--v0] [--plan] [-b] [--ignore PATTERN] [--capabilities FILE] [--builtins MODULE.mjs] FILES|DIRS -o policy.wasm');
  const { modules } = await loadRegoInputs(args, { paths: args.positionals, asBundles: args.booleans.has('bundle') });
  const entrypoints = args.values.get('entrypoint') ?? [];
  if (entrypoints.length === 0) throw new UsageError('at least one -e ENTRYPOINT is required (e.g. -e hooker/allow)');
  const regoVersion = args.booleans.has('v0') ? 'v0' : 'v1';
  if (args.booleans.has('plan')) {
    const { policy } = plan({ modules, entrypoints, regoVersion });
    process.stdout.write(printPolicy(policy));
    return 0;
  }
  const output = args.values.get('output')?.[0] ?? 'policy.wasm';
  const result = compile({ modules, entrypoints, regoVersion });
  for (const w of result.warnings) console.error(`warning: ${w}`);
  writeFileSync(output, result.wasm);
  console.error(`wrote ${output} (${result.wasm.byteLength} bytes, entrypoints: ${Object.keys(result.entrypoints).join(', ')})`);
  return 0;
}
