// `hooker validate [cfg.yaml]`: the same checks as start-up and reload
// (schema, references, action settings, Rego compilation of routes and
// templates); prints every problem and exits 1 when any is an error.

import { parseArgs } from './args.js';
import { readServerSettings } from '../config/env.js';
import { formatProblem, hasErrors } from '../config/problems.js';
import { buildRuntime, closeActions } from '../server/runtime.js';

export async function runValidate(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { booleans: { '--quiet': 'quiet', '-q': 'quiet' } });
  const settings = readServerSettings(process.env, { cfgPath: 'config/cfg.yaml' });
  const cfgPath = args.positionals[0] ?? settings.cfgPath;
  const built = await buildRuntime({ cfgPath, env: process.env, filtersPath: settings.filtersPath, templatesPath: settings.templatesPath });
  if (built.runtime) await closeActions(built.runtime.actions.values());
  const shown = args.booleans.has('quiet') ? built.problems.filter((p) => p.severity === 'error') : built.problems;
  for (const p of shown) process.stderr.write(formatProblem(p) + '\n');
  if (hasErrors(built.problems)) {
    process.stderr.write(`${cfgPath}: invalid (${built.problems.filter((p) => p.severity === 'error').length} error(s))\n`);
    return 1;
  }
  process.stdout.write(`${cfgPath}: ok (${built.runtime!.routes.size} routes, ${built.runtime!.templates.size} templates, ${built.runtime!.actions.size} enabled actions)\n`);
  return 0;
}
