import { describe, expect, it } from 'vitest';
import { combineMessages } from '../../src/templates/aggregate-messages.js';

describe('combineMessages (aggregation without an aggregation package)', () => {
  it('concatenates Slack block lists', () => {
    const m = combineMessages([{ title: 'A', body: '[{"type":"header"}]' }, { title: 'A', body: '[{"type":"divider"},{"type":"section"}]' }]);
    expect(m.title).toBe('A');
    expect(JSON.parse(m.body)).toEqual([{ type: 'header' }, { type: 'divider' }, { type: 'section' }]);
  });

  it('lists other JSON results and joins text with blank lines', () => {
    expect(JSON.parse(combineMessages([{ title: 'a', body: '{"n":1}' }, { title: 'b', body: '2' }]).body)).toEqual([{ n: 1 }, 2]);
    const text = combineMessages([{ title: 'a', body: '<p>1</p>' }, { title: 'b', body: '<p>2</p>', url: 'https://x' }]);
    expect(text).toEqual({ title: '2 messages: a; b', body: '<p>1</p>\n\n<p>2</p>', url: 'https://x' });
  });
});
