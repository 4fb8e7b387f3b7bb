// hooker_delivery_seconds and hooker_deliveries_total are fed per delivery
// without prom-client's per-call label handling (labelled-histogram.ts,
// ServerMetrics.countDelivery): what /metrics and the console read must be
// what prom-client's own metrics fed the same observations give.
import { describe, expect, it } from 'vitest';
import { Counter, Histogram, Registry } from 'prom-client';
import { LabelledHistogram } from '../../src/server/labelled-histogram.js';
import { ServerMetrics } from '../../src/server/metrics.js';

const BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60];
const ACTIONS = ['ship', 'page-oncall', 'a "quoted" \\ action', 'ünïcode\nline'];

function observations(n: number, seed: number): Array<[string, number]> {
  let s = seed;
  const rand = () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648; };
  return Array.from({ length: n }, () => {
    const action = ACTIONS[Math.floor(rand() * ACTIONS.length)]!;
    // Values on the bounds, between them, above the last one, and zero.
    const r = rand();
    const value = r < 0.2 ? BUCKETS[Math.floor(rand() * BUCKETS.length)]! : r < 0.25 ? 0 : r < 0.3 ? 61 + rand() * 100 : rand() * rand() * 70;
    return [action, value];
  });
}

describe('LabelledHistogram', () => {
  it('reads in /metrics and as JSON exactly as prom-client\'s Histogram fed the same values', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const ours = new Registry();
      const theirs = new Registry();
      const h = new LabelledHistogram('hooker_delivery_seconds', 'Time from enqueue to the end of a delivery', 'action', BUCKETS, [ours]);
      const p = new Histogram({ name: 'hooker_delivery_seconds', help: 'Time from enqueue to the end of a delivery', labelNames: ['action'], buckets: BUCKETS, registers: [theirs] });
      const obs = observations(seed * 200, seed);
      for (const [action, value] of obs) { h.observe(action, value); p.observe({ action }, value); }
      expect(await ours.metrics()).toEqual(await theirs.metrics());
      expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
      ours.resetMetrics();
      theirs.resetMetrics();
      expect(await ours.metrics()).toEqual(await theirs.metrics());
    }
  });
});

describe('ServerMetrics.countDelivery', () => {
  it('adds every attempt to hooker_deliveries_total when it is read, as one increment per attempt would', async () => {
    const m = new ServerMetrics();
    const theirs = new Registry();
    const c = new Counter({ name: 'hooker_deliveries_total', help: 'x', labelNames: ['action', 'outcome'], registers: [theirs] });
    const lines = (text: string) => text.split('\n').filter((l) => l.startsWith('hooker_deliveries_total{')).sort();
    const outcomes = ['success', 'retry', 'dead'] as const;
    for (const seed of [7, 8]) {
      for (const [i, [action]] of observations(300, seed).entries()) {
        const outcome = outcomes[i % 7 === 0 ? 2 : i % 3 === 0 ? 1 : 0]!;
        m.countDelivery(action, outcome);
        c.inc({ action, outcome });
      }
      // Read twice: a collection adds what was counted since the last one, once.
      expect(lines(await m.registry.metrics())).toEqual(lines(await theirs.metrics()));
      expect(lines(await m.registry.metrics())).toEqual(lines(await theirs.metrics()));
    }
    const json = (await m.registry.getMetricsAsJSON()).find((x) => x.name === 'hooker_deliveries_total')!;
    expect(json.values.reduce((n, v) => n + Number(v.value), 0)).toBe(600);
  });
});
