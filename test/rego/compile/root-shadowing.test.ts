// Rules named after the root documents, as OPA treats them: a Rego v1 module
// (or one importing rego.v1) may not declare them (OPA's CheckRegoV1 message,
// at the rule's line); a v0 module may, and then `data`/`input` in that
// package mean the rule (OPA looks the package's rules up before the roots),
// which is what Postee's incident-html.rego relies on (`data := ...;
// json.unmarshal(data)`): no recursion through the whole data document.
import { describe, expect, it } from 'vitest';
import { compileModules } from '../../../src/rego/compile/index.js';
import { RegoCompileError, formatProblem } from '../../../src/rego/errors.js';
import { parseModule } from '../../../src/rego/syntax/parser.js';
import { compileErrors } from './helpers.js';
import { compile as compileWasm, loadPolicy } from '../../../src/rego/index.js';

async function evalQuery(sources: string[], entrypoint: string, input: unknown): Promise<unknown> {
  const { wasm } = compileWasm({ modules: sources.map((source, i) => ({ file: `m${i}.rego`, source })), entrypoints: [entrypoint], regoVersion: 'v0' });
  const policy = await loadPolicy(wasm);
  return policy.evaluate(input)[0]?.['result'];
}

describe('rules that shadow data or input', () => {
  it('a v1 module: OPA\'s "rules must not shadow" error naming file and line', () => {
    expect(compileErrors('package a\n\ndata := 1\np := data\n')).toEqual([
      'm0.rego:3:1: rego_compile_error: rules must not shadow data (use a different rule name)',
    ]);
    expect(compileErrors('package a\n\np if true\ninput contains 1\n')).toEqual([
      'm0.rego:4:1: rego_compile_error: rules must not shadow input (use a different rule name)',
    ]);
    expect(compileErrors('package a\n\np if {\n  data := 1\n  data == 1\n}\n')[0]).toBe(
      'm0.rego:4:3: rego_compile_error: variables must not shadow data (use a different variable name)',
    );
  });

  it('a v0 module importing rego.v1 gets the same error', () => {
    const m = parseModule('package a\nimport rego.v1\n\ndata := 1\n', 'v0.rego', { regoVersion: 'v0' });
    try {
      compileModules([m], { entrypoints: [] });
      expect.unreachable();
    } catch (e) {
      expect((e as RegoCompileError).problems.map(formatProblem)).toEqual(['v0.rego:4:1: rego_compile_error: rules must not shadow data (use a different rule name)']);
    }
  });

  it('a v0 module: the rule shadows the root in its package only, as in OPA', async () => {
    const modules = [
      'package postee.incident\n\ndata := object.get(input, "data", "{}")\nparsed := json.unmarshal(data) { json.is_valid(data) } else := {}\ninput_seen := input\n',
      'package other\n\nseen := data.postee.incident.parsed\nall_keys := object.keys(data.postee.incident)\n',
    ];
    const input = { data: '{"malware":"eicar"}' };
    expect(await evalQuery(modules, 'data.postee.incident.parsed', input)).toEqual({ malware: 'eicar' });
    expect(await evalQuery(modules, 'data.other.seen', input)).toEqual({ malware: 'eicar' });
    // In the other package `data` is still the root document.
    expect(await evalQuery(modules, 'data.other.all_keys', input)).toEqual(['data', 'input_seen', 'parsed']);
  });
});
