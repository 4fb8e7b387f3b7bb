import { buildRuntime } from '../src/server/runtime.ts';
const t0 = performance.now();
const r = await buildRuntime({ cfgPath: process.argv[2]!, env: process.env, filtersPath: 'rego/filters' });
console.log('build ms', performance.now() - t0, r.problems);
