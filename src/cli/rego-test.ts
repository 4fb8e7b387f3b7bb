// hooker test [--v0] DIRS: runs every `test_*` rule of the *_test.rego
// files, prints PASS/FAIL per test like `opa test`, exits 1 on any failure.

import { compile, entrypointPath, loadPolicy, parseSources } from '../rego/index.js';
import { loadRegoFiles } from './rego-files.js';
import { parseArgs, UsageError } from './args.js';

export async function runTest(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { booleans: { '--v0': 'v0', '-v': 'verbose', '--verbose': 'verbose' } });
  if (args.positionals.length === 0) throw new UsageError('usage: hooker test [--v0] DIRS');
  const regoVersion = args.booleans.has('v0') ? 'v0' : 'v1';
  const { modules, data } = loadRegoFiles(args.positionals);
  const parsed = parseSources({ modules, regoVersion });
  const tests: string[] = [];
  parsed.forEach((m, i) => {
    if (!modules[i]!.file.endsWith('_test.rego')) return;
    for (const r of m.rules) {
      const head = r.head.ref[0];
      if (head?.type === 'var' && head.name.startsWith('test_') && r.head.ref.length === 1 && !r.head.args) {
        const ep = [...m.package.path, head.name].join('/');
        if (!tests.includes(ep)) tests.push(ep);
      }
    }
  });
  if (tests.length === 0) {
    console.log('no tests found');
    return 0;
  }
  const { wasm } = compile({ modules, entrypoints: tests, regoVersion });
  const policy = await loadPolicy(wasm);
  policy.setData(data);
  let failed = 0;
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
      failed++;
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    console.log(`${name}: ${verdict} (${ms.toFixed(2)}ms)`);
  }
  console.log('-'.repeat(80));
  if (failed === 0) console.log(`PASS: ${tests.length}/${tests.length}`);
  else {
    console.log(`PASS: ${tests.length - failed}/${tests.length}`);
    console.log(`FAIL: ${failed}/${tests.length}`);
  }
  return failed === 0 ? 0 : 1;
}
