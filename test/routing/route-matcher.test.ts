import { describe, expect, it } from 'vitest';
import type { RouteConfig } from '../../src/config/types.js';
import { compileRoutes } from '../../src/routing/route-matcher.js';

const route = (name: string, extra: Partial<RouteConfig> = {}): RouteConfig =>
  ({ name, actions: [], inputFiles: [], serializeActions: false, plugins: {}, path: 'routes[0]', ...extra });

describe('compiled routes', () => {
  it('one entrypoint returns every matching route, in config order', async () => {
    const { matcher, problems } = await compileRoutes([
      route('everything'),
      route('trc2', { input: 'input.SigMetadata.ID == "TRC-2"' }),
      route('postee-v0', { input: 'contains(input.image, "alpine")\ninput.registry == "Docker Hub"' }),
    ], { cfgFile: 'cfg.yaml', filtersPath: 'rego/filters' });
    expect(problems).toEqual([]);
    expect(matcher!.match({ SigMetadata: { ID: 'TRC-2' } })).toEqual(['everything', 'trc2']);
    expect(matcher!.match({ image: 'alpine:3', registry: 'Docker Hub' })).toEqual(['everything', 'postee-v0']);
    expect(matcher!.match({ image: 'alpine:3', registry: 'other' })).toEqual(['everything']);
  });

  it('bundled filters work as input-files', async () => {
    const { matcher, problems } = await compileRoutes([route('crit', { inputFiles: ['trivy-critical'] })], { cfgFile: 'cfg.yaml', filtersPath: 'rego/filters' });
    expect(problems).toEqual([]);
    expect(matcher!.match({ Results: [{ Vulnerabilities: [{ Severity: 'CRITICAL' }] }] })).toEqual(['crit']);
    expect(matcher!.match({ Results: [{ Vulnerabilities: [{ Severity: 'LOW' }] }] })).toEqual([]);
  });

  it('reports a compile error with the route name', async () => {
    const { problems } = await compileRoutes([route('bad', { input: 'undefined_fn(input.x)', inputLine: 4 })], { cfgFile: 'cfg.yaml', filtersPath: 'rego/filters' });
    expect(problems[0]!.message).toContain('route "bad" input');
    expect(problems[0]!.file).toBe('cfg.yaml');
  });
});
