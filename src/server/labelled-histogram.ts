// A Prometheus histogram with one label, for values observed per delivery
// (hooker_delivery_seconds by action). prom-client's Histogram turns the
// labels object of every observation into a sorted hash string after
// checking it, and its Counter does the same per increment: at 9,000
// deliveries/s those two calls per delivery were ~2-3 % of the event
// loop's time (issue 12, BENCHMARKS.md "session 17: loop"). Here an
// observation is a map lookup by the label's value and a bucket count; the
// registry reads it as it reads prom-client's own histograms (get() and
// getForPromString() give the same values and labels in the same order), so
// /metrics and the console's overview are unchanged.

import type { Registry } from 'prom-client';

interface Entry { value: string; counts: number[]; sum: number; count: number }

interface ExportedValue { labels: Record<string, string | number>; sharedLabels?: Record<string, string>; value: number; metricName: string; exemplar?: null }

export class LabelledHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly entries = new Map<string, Entry>();

  constructor(
    readonly name: string, readonly help: string, private readonly labelName: string, private readonly buckets: readonly number[], registers: Registry[],
  ) {
    // The registry keeps any object with prom-client's metric interface (get, reset, name).
    for (const r of registers) r.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  observe(labelValue: string, value: number): void {
    let e = this.entries.get(labelValue);
    if (!e) { e = { value: labelValue, counts: this.buckets.map(() => 0), sum: 0, count: 0 }; this.entries.set(labelValue, e); }
    const b = this.buckets;
    for (let i = 0; i < b.length; i++) if (value <= b[i]!) { e.counts[i]!++; break; }
    e.sum += value;
    e.count++;
  }

  reset(): void {
    this.entries.clear();
  }

  /** What the text exposition reads (as prom-client's Histogram.getForPromString: the label as a shared label, after `le`). */
  async getForPromString(): Promise<{ name: string; help: string; type: string; values: ExportedValue[]; aggregator: string }> {
    const values: ExportedValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const e of this.entries.values()) {
      const shared = { [this.labelName]: e.value };
      let acc = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        acc += e.counts[i]!;
        values.push({ labels: { le: this.buckets[i]! }, sharedLabels: shared, value: acc, metricName: bucket, exemplar: null });
      }
      values.push({ labels: { le: '+Inf' }, sharedLabels: shared, value: e.count, metricName: bucket, exemplar: null });
      values.push({ labels: {}, sharedLabels: shared, value: e.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: shared, value: e.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** What the JSON export reads (as prom-client's Histogram.get: the shared label merged into each value's labels). */
  async get(): Promise<{ name: string; help: string; type: string; values: ExportedValue[]; aggregator: string }> {
    const data = await this.getForPromString();
    data.values = data.values.map(({ sharedLabels, labels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } }));
    return data;
  }
}
