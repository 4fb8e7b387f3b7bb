// Per-topic table and the closing line `conformance: N passed, M failed`.

export interface TopicTally { topic: string; passed: number; failed: number }

export function tally(rows: Array<{ topic: string; pass: boolean }>): TopicTally[] {
  const byTopic = new Map<string, TopicTally>();
  for (const r of rows) {
    const t = byTopic.get(r.topic) ?? { topic: r.topic, passed: 0, failed: 0 };
    if (r.pass) t.passed++;
    else t.failed++;
    byTopic.set(r.topic, t);
  }
  return [...byTopic.values()].sort((a, b) => a.topic.localeCompare(b.topic));
}

export function formatTable(topics: TopicTally[]): string {
  const width = Math.max(5, ...topics.map((t) => t.topic.length));
  const lines = [`${'topic'.padEnd(width)}  passed  failed    rate`];
  for (const t of topics) {
    const total = t.passed + t.failed;
    const rate = total ? ((100 * t.passed) / total).toFixed(1) : '0.0';
    lines.push(`${t.topic.padEnd(width)}  ${String(t.passed).padStart(6)}  ${String(t.failed).padStart(6)}  ${rate.padStart(5)}%`);
  }
  return lines.join('\n');
}

export function closingLine(topics: TopicTally[]): string {
  const passed = topics.reduce((n, t) => n + t.passed, 0);
  const failed = topics.reduce((n, t) => n + t.failed, 0);
  return `conformance: ${passed} passed, ${failed} failed`;
}

/** Passed cases per topic: the floor that test/rego/conformance.test.ts enforces. */
export function floorOf(topics: TopicTally[]): Record<string, number> {
  const floor: Record<string, number> = {};
  for (const t of topics) if (t.passed > 0) floor[t.topic] = t.passed;
  return floor;
}
