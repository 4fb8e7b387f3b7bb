import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RouteConfig } from '../../src/config/types.js';
import { buildRouteProgram } from '../../src/routing/route-modules.js';
import { renamePackage, declaredPackage } from '../../src/routing/rego-version.js';

const route = (name: string, extra: Partial<RouteConfig>): RouteConfig =>
  ({ name, actions: [], inputFiles: [], serializeActions: false, plugins: {}, path: 'routes[0]', ...extra });

describe('route program generation', () => {
  it('renames a filter package keeping line numbers and skipping comments', () => {
    const src = '# package not.this\npackage postee\n\nallow { true }\n';
    const out = renamePackage(src, 'hooker.route_3');
    expect(out.renamed).toBe(true);
    expect(out.source.split('\n')).toEqual(['# package not.this', 'package hooker.route_3', '', 'allow { true }', '']);
    expect(declaredPackage(out.source)).toBe('hooker.route_3');
  });

  it('puts each route in its own package, accepts v0 filters and collects names in one entrypoint module', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hooker-filters-'));
    writeFileSync(join(dir, 'critical.rego'), 'package postee\n\nallow {\n  input.severity == "critical"\n}\n');
    writeFileSync(join(dir, 'v1.rego'), 'package hooker\n\nimport rego.v1\n\nallow if input.x == 1\n');
    const program = buildRouteProgram([
      route('all', {}),
      route('inline "quoted"', { input: 'input.a == 1\ninput.b == 2', inputLine: 5, path: 'routes[1]' }),
      route('files', { inputFiles: ['critical', 'v1.rego'], path: 'routes[2]' }),
    ], { cfgFile: 'cfg.yaml', filtersPath: dir });
    expect(program.problems).toEqual([]);
    const routes = program.modules.at(-1)!;
    expect(routes.source).toContain('matched contains "all" if { true }');
    expect(routes.source).toContain('matched contains "inline \\"quoted\\"" if { data.hooker.route_1.allow }');
    expect(routes.source).toContain('matched contains "files" if { data.hooker.route_2.allow }');
    const versions = Object.fromEntries(program.modules.map((m) => [m.file, m.regoVersion]));
    expect(versions[join(dir, 'critical.rego')]).toBe('v0');
    expect(versions[join(dir, 'v1.rego')]).toBe('v1');
    expect(program.modules.filter((m) => m.source.startsWith('package hooker.route_2'))).toHaveLength(2);
  });

  it('maps a Rego error of an inline input to the config line and route name', () => {
    const program = buildRouteProgram([route('broken', { input: 'input.a == "unterminated', inputLine: 7, path: 'routes[0]' })], { cfgFile: 'cfg.yaml', filtersPath: '/nonexistent' });
    expect(program.problems).toHaveLength(1);
    expect(program.problems[0]).toMatchObject({ file: 'cfg.yaml', path: 'routes[0].input', line: 7 });
    expect(program.problems[0]!.message).toContain('route "broken" input: rego_parse_error');
  });

  it('reports a missing filter file by key path', () => {
    const program = buildRouteProgram([route('r', { inputFiles: ['nope'] })], { cfgFile: 'cfg.yaml', filtersPath: '/nonexistent' });
    expect(program.problems[0]).toMatchObject({ path: 'routes[0].input-files[0]' });
    expect(program.problems[0]!.message).toContain('filter file "nope" not found');
  });
});
