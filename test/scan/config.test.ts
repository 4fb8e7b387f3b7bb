import { parse } from 'yaml';
import { describe, expect, it, vi } from 'vitest';
import { parseScanConfig } from '../../src/scan/config.js';
import { nextCronTime, parseCron } from '../../src/scan/cron.js';
import { Scheduler } from '../../src/scan/schedules.js';
import { parseYamlSource } from '../../src/config/yaml-source.js';

const GOOD = `
scanners:
  trivy:
    runner: docker
    image: aquasec/trivy:0.50.0
    args: [image, --format, json, --quiet, "{image}"]
    registry-auth-file: /etc/hooker/dockerconfig.json
    format: trivy
    timeout: 5m
  cinc:
    runner: kubernetes-exec
    command: [cinc-auditor, exec, "{profile}", -t, "k8s-container://{namespace}/{pod}/{container}", --reporter, json]
    token-expiration: 10m
  remote:
    runner: http
    url: https://hooker.other.example/
    scanner: trivy
profiles:
  linux: dev-sec/linux-baseline
thresholds:
  prod: {compliance: {min: 95}, failed: {critical: {max: 0}}, critical: {max: 0}}
schedules:
  nightly: {cron: "0 2 * * *", event: {image: registry.example/app:stable}}
  hourly: {every: 1h}
scan-api:
  concurrency: 4
  tokens:
    - {token: 0123456789abcdef0123, scopes: [scans:read, scans:write]}
`;

describe('scan config sections', () => {
  it('parses scanners, profiles, thresholds and schedules', () => {
    const { config, problems } = parseScanConfig(parse(GOOD), { file: 'cfg.yaml' });
    expect(problems).toEqual([]);
    expect(config.scanners.get('trivy')).toMatchObject({ runner: 'docker', format: 'trivy', timeoutMs: 300_000, pull: 'if-not-present', registryAuthFile: '/etc/hooker/dockerconfig.json' });
    expect(config.scanners.get('cinc')).toMatchObject({ runner: 'kubernetes-exec', tokenExpirationSeconds: 600 });
    expect(config.scanners.get('remote')).toMatchObject({ runner: 'http', remoteScanner: 'trivy' });
    expect(config.profiles.get('linux')).toEqual({ name: 'linux', ref: 'dev-sec/linux-baseline' });
    expect(config.thresholds.get('prod')!.threshold.vulnerabilities.critical).toEqual({ max: 0 });
    expect(config.schedules.map((s) => [s.name, s.everyMs, s.cron?.text])).toEqual([['nightly', undefined, '0 2 * * *'], ['hourly', 3_600_000, undefined]]);
    expect(config.api).toEqual({ concurrency: 4, tokens: [{ token: '0123456789abcdef0123', scopes: ['scans:read', 'scans:write'] }] });
  });

  it('reports problems with key paths and lines', () => {
    const text = `
scanners:
  a: {runner: podman}
  b: {runner: docker}
  c: {runner: kubernetes-exec, command: [x], token-expiration: 60s}
  d: {runner: http, url: ftp://x, scanner: y, colour: red}
thresholds:
  t: {failed: {severe: {max: 1}}}
schedules:
  s: {cron: "61 * * * *"}
  u: {}
scan-api:
  tokens: [{token: short, scopes: [scans:read]}, {token: 0123456789abcdef0123, scopes: [admin]}]
`;
    const { source } = parseYamlSource('cfg.yaml', text);
    const { config, problems } = parseScanConfig(parse(text), { file: 'cfg.yaml', source });
    const got = problems.map((p) => [p.severity, p.path, p.line]);
    expect(got).toEqual(expect.arrayContaining([
      ['error', 'scanners.a.runner', 3],
      ['error', 'scanners.b.image', 4],
      ['error', 'scanners.c.token-expiration', 5],
      ['error', 'scanners.d.url', 6],
      ['warning', 'scanners.d.colour', 6],
      ['error', 'thresholds.t.failed.severe', 8],
      ['error', 'schedules.s.cron', 10],
      ['error', 'schedules.u', 11],
      ['error', 'scan-api.tokens[0]', 13],
      ['error', 'scan-api.tokens[1].scopes', 13],
    ]));
    expect([...config.scanners.keys()]).toEqual([]);
  });
});

describe('cron and schedules', () => {
  it('computes the next matching minute in UTC', () => {
    const c = parseCron('30 2 * * 1-5');
    if ('error' in c) throw new Error(c.error);
    const sat = Date.UTC(2024, 5, 1, 12, 0); // Saturday 1 June 2024
    expect(new Date(nextCronTime(c, sat)!).toISOString()).toBe('2024-06-03T02:30:00.000Z');
    expect(parseCron('*/15 * * * *')).toMatchObject({ fields: [new Set([0, 15, 30, 45]), expect.anything(), expect.anything(), expect.anything(), expect.anything()] });
    expect(parseCron('* * *')).toEqual({ error: expect.stringContaining('five fields') });
  });

  it('emits scan.scheduled events with the schedule payload', async () => {
    vi.useFakeTimers({ now: Date.UTC(2024, 0, 1, 0, 0) });
    try {
      const events: unknown[] = [];
      const { config } = parseScanConfig(parse('schedules:\n  fast: {every: 10s, event: {image: app:1}}\n  cron: {cron: "1 0 * * *"}'), { file: 'cfg.yaml' });
      const s = new Scheduler(config.schedules, async (e) => { events.push(e); });
      s.start();
      await vi.advanceTimersByTimeAsync(25_000);
      expect(events).toEqual([
        expect.objectContaining({ type: 'scan.scheduled', schedule: 'fast', image: 'app:1', scheduled_at: '2024-01-01T00:00:10.000Z' }),
        expect.objectContaining({ schedule: 'fast', scheduled_at: '2024-01-01T00:00:20.000Z' }),
      ]);
      await vi.advanceTimersByTimeAsync(40_000);
      expect(events.filter((e) => (e as { schedule: string }).schedule === 'cron')).toEqual([expect.objectContaining({ scheduled_at: '2024-01-01T00:01:00.000Z' })]);
      s.stop();
      await vi.advanceTimersByTimeAsync(60_000);
      expect(events).toHaveLength(7);
    } finally {
      vi.useRealTimers();
    }
  });
});
