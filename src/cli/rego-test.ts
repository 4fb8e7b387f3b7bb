// hooker test [--v0] [-b] [-r REGEX] [--ignore P] [--capabilities F] [--builtins M] PATHS:
// runs every `test_*` rule of the modules loaded (as `opa test` does: in any
// file; `todo_test_*` are reported skipped), with data placed as OPA's loader
// places it. Prints PASS/FAIL/ERROR per test, exits 1 on any failure.

import { compile, entrypointPath, loadPolicy, parseSources } from '../rego/index.js';
import { LOADER_HELP, LOADER_VALUES, loadRegoInputs } from './rego-files.js';
import { parseArgs, UsageError } from './args.js';

const USAGE = `usage: hooker test [options] PATHS
  --v0                     parse modules as Rego v0 (unless a bundle manifest says otherwise)
  -b, --bundle             load each path as a bundle (data.json/data.yaml files, .manifest roots)
  -r, --run REGEX          run only tests whose full name (data.pkg.test_x) matches REGEX
  -v, --verbose            (accepted for opa compatibility; every test is listed)
${LOADER_HELP}`;

export async function runTest(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    values: { '-r': 'run', '--run': 'run', ...LOADER_VALUES },
    booleans: { '--v0': 'v0', '-v': 'verbose', '--verbose': 'verbose', '-b': 'bundle', '--bundle': 'bundle', '-h': 'help', '--help': 'help' },
  });
  if (args.booleans.has('help')) { console.log(USAGE); return 0; }
  if (args.positionals.length === 0) throw new UsageError(USAGE);
  const regoVersion = args.booleans.has('v0') ? 'v0' : 'v1';
  const runPattern = args.values.get('run')?.at(-1);
  let run: RegExp | undefined;
  try {
    run = runPattern === undefined ? undefined : new RegExp(runPattern);
  } catch (e) {
    throw new UsageError(`--run: ${(e as Error).message}`);
  }
  const { modules, data } = await loadRegoInputs(args, { paths: args.positionals, asBundles: args.booleans.has('bundle') });
  const parsed = parseSources({ modules, regoVersion });
  const tests: string[] = [];
  const skipped: string[] = [];
  for (const m of parsed) {
    for (const r of m.rules) {
      const head = r.head.ref[0];
      if (head?.type !== 'var' || r.head.ref.length !== 1 || r.head.args) continue;
      const ep = [...m.package.path, head.name].join('/');
      const full = `data.${entrypointPath(ep).join('.')}`;
      if (run && !run.test(full)) continue;
      if (head.name.startsWith('test_') && !tests.includes(ep)) tests.push(ep);
      else if (head.name.startsWith('todo_test_') && !skipped.includes(full)) skipped.push(full);
    }
  }
  if (tests.length === 0 && skipped.length === 0) {
    console.log('no tests found');
    return 0;
  }
  const { wasm } = compile({ modules, entrypoints: tests, regoVersion });
  const policy = await loadPolicy(wasm);
  policy.setData(data);
  let failed = 0;
  let errors = 0;
  for (const t of tests) {
    const name = `data.${entrypointPath(t).join('.')}`;
    const started = process.hrtime.bigint();
    let verdict: string;
    try {
      const rs = policy.evaluate(undefined, t);
      const ok = rs.length > 0 && rs[0]!['result'] === true;
      verdict = ok ? 'PASS' : 'FAIL';
      if (!ok) failed++;
    } catch (e) {
      verdict = `ERROR: ${e instanceof Error ? e.message : String(e)}`;
      errors++;
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    console.log(`${name}: ${verdict} (${ms.toFixed(2)}ms)`);
  }
  for (const s of skipped) console.log(`${s}: SKIPPED`);
  console.log('-'.repeat(80));
  const passed = tests.length - failed - errors;
  const total = tests.length + skipped.length;
  if (passed > 0 || total === 0) console.log(`PASS: ${passed}/${total}`);
  if (failed > 0) console.log(`FAIL: ${failed}/${total}`);
  if (errors > 0) console.log(`ERROR: ${errors}/${total}`);
  if (skipped.length > 0) console.log(`SKIPPED: ${skipped.length}/${total}`);
  return failed + errors === 0 ? 0 : 1;
}
