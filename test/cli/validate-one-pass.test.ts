// `hooker validate` as a user runs it (the built CLI, its own process): a file
// with seven mistakes gets all seven in one run, each at its line of the
// user's cfg.yaml, and Rego errors of an inline `input:` point at the input's
// line in cfg.yaml (never at the generated wrapper module's lines).
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runHooker } from '../e2e/hooker-process.js';

const dir = mkdtempSync(join(tmpdir(), 'hooker-validate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

// Line numbers matter: each mistake is marked with its line.
const SEVEN = `routes:
  - name: vulns
    input: input.severity ==
    actions: [hook]
    template: raw
  - name: vulns
    actions: [pager]
    template: raw
    plugins:
      aggregate-message-timeout: 5 parsecs
  - name: nightly
    actions: [hook]
    template: nightly-report
templates:
  - name: raw
    rego-package: hooker.rawmessage.json
  - name: broken
    body: |
      package custom.broken
      result := sprintf("%s", [input.x]
actions:
  - name: hook
    type: webhok
    enable: true
    url: http://127.0.0.1:9/x
`;

describe('hooker validate', () => {
  it('reports every mistake of a file in one run, each at its line', async () => {
    const cfg = write('seven.yaml', SEVEN);
    const r = await runHooker(['validate', cfg]);
    expect(r.code).toBe(1);
    const errors = r.out.split('\n').filter((l) => l.includes(': error: ')).map((l) => l.slice(cfg.length + 1));
    const expected: Array<[number, RegExp]> = [
      [3, /routes\[0\]\.input: route "vulns" input: rego_parse_error: .*\(at the end of the input\)/],
      [6, /routes\[1\]: route name "vulns" is used twice \(first at routes\[0\]\)/],
      [7, /routes\[1\]\.actions\[0\]: route "vulns" names action "pager", which is not defined in actions/],
      [10, /routes\[1\]\.plugins\.aggregate-message-timeout: bad duration "5 parsecs"/],
      [13, /routes\[2\]\.template: route "nightly" names template "nightly-report", which is not defined in templates/],
      [20, /templates\[1\]: template "broken": rego_parse_error: /],
      [23, /actions\[0\]\.type: action "hook": unknown action type "webhok" \(known types: .*webhook/],
    ];
    expect(errors.length, r.out).toBe(expected.length);
    for (const [line, message] of expected) {
      expect(errors.some((e) => e.startsWith(`${line}: error: `) && message.test(e)), `line ${line} ${message}\n${r.out}`).toBe(true);
    }
    expect(r.out).toMatch(/invalid \(7 error\(s\)\)/);
    // Nothing points into a generated module.
    expect(r.out).not.toMatch(/Rego line|hooker\.route_|#routes/);
  }, 120_000);

  it("inline input errors give the line (and column) in the user's cfg.yaml", async () => {
    const cfg = write('inputs.yaml', `routes:
  - name: multi
    input: |
      input.kind == "VulnerabilityReport"
      nosuchfn(input.report)
    actions: [hook]
    template: raw
  - name: single
    input: contains(input.image, y)
    actions: [hook]
    template: raw
templates:
  - name: raw
    rego-package: hooker.rawmessage.json
actions:
  - name: hook
    type: webhook
    enable: true
    url: http://127.0.0.1:9/x
`);
    const r = await runHooker(['validate', cfg]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`${cfg}:5: error: routes[0].input: route "multi" input: rego_type_error: undefined function nosuchfn (column 1 of the input)`);
    expect(r.out).toContain(`${cfg}:9: error: routes[1].input: route "single" input: rego_unsafe_var_error: var y is unsafe (column 23 of the input)`);
    expect(r.out).toMatch(/invalid \(2 error\(s\)\)/);
  }, 120_000);
});
