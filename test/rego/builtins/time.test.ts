import { describe, expect, it } from 'vitest';
import { call, errorOf } from './helpers.js';

describe('time', () => {
  it('parses Go layouts', () => {
    expect(call('time.parse_ns', '2006-01-02T15:04:05Z07:00', '2017-06-02T19:00:00-07:00')).toBe(1496455200000000000);
    expect(call('time.parse_ns', "01/02 03:04:05PM '06 -0700", "06/02 07:00:00PM '17 -0700")).toBe(1496455200000000000);
    expect(call('time.parse_ns', 'RFC822Z', '02 Jun 17 19:00 -0700')).toBe(1496455200000000000);
    expect(call('time.parse_rfc3339_ns', '1970-01-01T00:00:00-00:00')).toBe(0);
    expect(call('time.parse_rfc3339_ns', '1970-01-01T00:00:01.5Z')).toBe(1500000000);
    expect(errorOf('time.parse_rfc3339_ns', '2262-04-11T23:47:16.854775808-00:00')).toBe(
      'time.parse_rfc3339_ns: time outside of valid range',
    );
  });

  it('parses durations', () => {
    expect(call('time.parse_duration_ns', '100ms')).toBe(100000000);
    expect(call('time.parse_duration_ns', '1h30m')).toBe(5400e9);
    expect(call('time.parse_duration_ns', '-1.5s')).toBe(-1.5e9);
    expect(errorOf('time.parse_duration_ns', 'x')).toBe('time.parse_duration_ns: time: invalid duration "x"');
  });

  it('computes calendar fields in time zones', () => {
    expect(call('time.date', 1517814000 * 1e9)).toEqual([2018, 2, 5]);
    expect(call('time.date', [1517814000 * 1e9, 'America/Los_Angeles'])).toEqual([2018, 2, 4]);
    expect(call('time.date', 1582977600 * 1e9)).toEqual([2020, 2, 29]);
    expect(call('time.clock', [1517832000 * 1e9, 'America/New_York'])).toEqual([7, 0, 0]);
    expect(call('time.weekday', 1517832000000000000)).toBe('Monday');
    expect(call('time.weekday', 1518350400000000000)).toBe('Sunday');
    expect(errorOf('time.weekday', 1582977600 * 1e12)).toBe('time.weekday: timestamp too big');
  });

  it('formats with layouts and zones', () => {
    const ns = 1670006453141000000;
    expect(call('time.format', ns)).toBe('2022-12-02T18:40:53.141Z');
    expect(call('time.format', [ns, 'Asia/Kolkata'])).toBe('2022-12-03T00:10:53.141+05:30');
    expect(call('time.format', [ns, 'Asia/Kolkata', 'Mon Jan 02 15:04:05 -0700 2006'])).toBe('Sat Dec 03 00:10:53 +0530 2022');
    expect(call('time.format', [ns, 'Asia/Kolkata', 'RFC1123Z'])).toBe('Sat, 03 Dec 2022 00:10:53 +0530');
  });

  it('adds dates and diffs', () => {
    expect(call('time.add_date', 1585852421593912000, 3, 9, 12)).toBe(1705257221593912000);
    expect(errorOf('time.add_date', 0, 2262, 1, 1)).toBe('time.add_date: time outside of valid range');
    const a = Date.UTC(2020, 0, 31, 10) * 1e6;
    const b = Date.UTC(2021, 2, 1, 9, 30) * 1e6;
    expect(call('time.diff', b, a)).toEqual([1, 1, 0, 23, 30, 0]);
  });
});
