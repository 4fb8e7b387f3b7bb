import { describe, expect, it } from 'vitest';
import { formatSelector, parseSelector, resolveSelector, selectorMatches, toLabelSelectorObject } from '../../src/actions/kubernetes/label-selector.js';
import { labelValueProblem, toLabelValue } from '../../src/actions/kubernetes/label-values.js';
import { canonicalImage, podRunsImage } from '../../src/actions/kubernetes/images.js';
import { matches as fakeMatches, parseSelector as fakeParse } from '../support/fake-apiserver/selector.js';

describe('label selectors with event references', () => {
  it('parses the full grammar and formats it back for the apiserver', () => {
    const text = 'app = web, tier==front,env!=dev, zone in (a, b), track notin (canary), gpu, !legacy, n > 3';
    expect(formatSelector(parseSelector(text))).toBe('app=web,tier=front,env!=dev,zone in (a,b),track notin (canary),gpu,!legacy,n>3');
    expect(parseSelector('')).toEqual([]);
  });

  it.each(['app in ()', 'app in (a', 'app=web,', ',app', 'a b', 'app==', 'bad key=x', 'app=web!', 'n > x', `k=${'v'.repeat(64)}`])(
    'rejects %s', (bad) => {
      if (bad === 'app==') { expect(parseSelector(bad)).toEqual([{ key: 'app', op: '=', values: [''] }]); return; }
      expect(() => parseSelector(bad)).toThrow();
    });

  it('resolves references value by value, including quoted keys with spaces', () => {
    const reqs = parseSelector('app=event.input.a, sig in (event.input.s["M ID"], TRC-9)');
    expect(formatSelector(resolveSelector(reqs, { a: 'web', s: { 'M ID': 'TRC-2' } }))).toBe('app=web,sig in (TRC-2,TRC-9)');
    expect(() => resolveSelector(reqs, { a: 'web' })).toThrow(/event\.input\.s does not exist/);
    expect(() => resolveSelector(reqs, { a: '', s: { 'M ID': 'x' } })).toThrow(/is empty/);
    expect(() => resolveSelector(reqs, { a: null, s: { 'M ID': 'x' } })).toThrow(/is null/);
    expect(() => resolveSelector(reqs, { a: 'a,b', s: { 'M ID': 'x' } })).toThrow(/invalid label value/);
  });

  it('matches like the apiserver (checked against the fake apiserver\'s independent parser)', () => {
    const sets: Array<Record<string, string>> = [{}, { app: 'web' }, { app: 'db', tier: 'x' }, { app: 'web', n: '5' }, { legacy: '' }];
    for (const sel of ['app=web', 'app!=web', 'app in (web,db)', 'app notin (web)', 'tier', '!legacy', 'n>3', 'n<3', 'app=web,!tier', 'legacy=']) {
      for (const labels of sets) expect(selectorMatches(parseSelector(sel), labels), `${sel} ${JSON.stringify(labels)}`).toBe(fakeMatches(fakeParse(sel), labels));
    }
  });

  it('converts to a NetworkPolicy pod selector', () => {
    expect(toLabelSelectorObject(parseSelector('app=web,env!=dev,zone in (b,a),gpu,!legacy'))).toEqual({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'env', operator: 'NotIn', values: ['dev'] }, { key: 'zone', operator: 'In', values: ['a', 'b'] },
        { key: 'gpu', operator: 'Exists' }, { key: 'legacy', operator: 'DoesNotExist' },
      ],
    });
    expect(() => toLabelSelectorObject(parseSelector('n>3'))).toThrow(/cannot be expressed/);
  });
});

describe('the label value rule', () => {
  it('keeps valid values and repairs the others', () => {
    expect(toLabelValue('CVE-2024-1234')).toBe('CVE-2024-1234');
    expect(toLabelValue('Persistence: Server Software')).toBe('Persistence--Server-Software');
    expect(toLabelValue('  /bin/sh  ')).toBe('bin-sh');
    expect(toLabelValue('???')).toBeUndefined();
    const long = 'x'.repeat(100);
    const made = toLabelValue(long)!;
    expect(made).toHaveLength(63);
    expect(labelValueProblem(made)).toBeUndefined();
    expect(toLabelValue('x'.repeat(99) + 'y')).not.toBe(made);
  });
});

describe('image matching', () => {
  it('compares canonical references', () => {
    expect(canonicalImage('nginx')).toBe('docker.io/library/nginx:latest');
    expect(canonicalImage('nginx:1.25')).toBe(canonicalImage('docker.io/library/nginx:1.25'));
    expect(canonicalImage('localhost:5000/a/b:1')).toBe('localhost:5000/a/b:1');
    const pod = { spec: { containers: [{ image: 'app:1' }], initContainers: [{ image: 'ghcr.io/x/init:2' }] }, status: { containerStatuses: [{ image: 'app:1', imageID: 'docker-pullable://app@sha256:abc' }] } };
    expect(podRunsImage(pod, 'docker.io/library/app:1')).toBe(true);
    expect(podRunsImage(pod, 'ghcr.io/x/init:2')).toBe(true);
    expect(podRunsImage(pod, 'app@sha256:abc')).toBe(true);
    expect(podRunsImage(pod, 'app:2')).toBe(false);
  });
});
