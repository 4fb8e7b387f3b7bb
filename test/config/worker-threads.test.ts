// One rule for both worker threads (src/config/worker-threads.ts): an explicit
// HOOKER_SQLITE_THREAD / HOOKER_HTTP_THREAD wins, `auto` turns a thread on
// with 2 cores or more and off with one, and the settings carry the choice.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readServerSettings } from '../../src/config/env.js';
import { cgroupCpuQuota, DEFAULT_SWITCH, describeWorkerThreads, threadSwitch, usableCores, workerThreads } from '../../src/config/worker-threads.js';

const dirs: string[] = [];
const temp = () => { const d = mkdtempSync(join(tmpdir(), 'hooker-threads-')); dirs.push(d); return d; };
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

describe('worker threads: the auto choice', () => {
  it('auto is off on 1 core and on with 2 or more', () => {
    expect(workerThreads({ sqlite: 'auto', http: 'auto' }, 1)).toMatchObject({ sqlite: false, http: false, cores: 1 });
    expect(workerThreads({ sqlite: 'auto', http: 'auto' }, 2)).toMatchObject({ sqlite: true, http: true, cores: 2 });
    expect(workerThreads({ sqlite: 'AUTO', http: ' auto ' }, 8)).toMatchObject({ sqlite: true, http: true });
    // A quota of 1.5 CPUs is not 2 cores.
    expect(workerThreads({ sqlite: 'auto', http: 'auto' }, 1.5)).toMatchObject({ sqlite: false, http: false });
  });

  it('explicit values win over the core count, each variable for its own thread', () => {
    expect(workerThreads({ sqlite: '0', http: '0' }, 16)).toMatchObject({ sqlite: false, http: false, sqliteSwitch: 'off', httpSwitch: 'off' });
    expect(workerThreads({ sqlite: '1', http: '1' }, 1)).toMatchObject({ sqlite: true, http: true, sqliteSwitch: 'on', httpSwitch: 'on' });
    expect(workerThreads({ sqlite: '1', http: '0' }, 1)).toMatchObject({ sqlite: true, http: false });
    expect(workerThreads({ sqlite: 'off', http: 'auto' }, 2)).toMatchObject({ sqlite: false, http: true });
    for (const on of ['1', 'true', 'yes', 'on', 'ON', ' True ']) expect(threadSwitch(on, 'X')).toBe('on');
    for (const off of ['0', 'false', 'no', 'off', 'OFF']) expect(threadSwitch(off, 'X')).toBe('off');
  });

  it('unset or empty means the default switch', () => {
    expect(threadSwitch(undefined, 'X')).toBe(DEFAULT_SWITCH);
    expect(threadSwitch('', 'X')).toBe(DEFAULT_SWITCH);
    expect(workerThreads({}, 1)).toMatchObject({ sqliteSwitch: DEFAULT_SWITCH, httpSwitch: DEFAULT_SWITCH });
  });

  it('by default (unset) both threads run with 2 cores or more and neither on 1 core', () => {
    expect(DEFAULT_SWITCH).toBe('auto');
    const serverDir = temp();
    expect(readServerSettings({}, { cfgPath: 'x', serverDir, cores: 2 }).workerThreads).toMatchObject({ sqlite: true, http: true, sqliteSwitch: 'auto', httpSwitch: 'auto' });
    expect(readServerSettings({}, { cfgPath: 'x', serverDir, cores: 1 }).workerThreads).toMatchObject({ sqlite: false, http: false });
    expect(readServerSettings({ HOOKER_SQLITE_THREAD: '', HOOKER_HTTP_THREAD: '' }, { cfgPath: 'x', serverDir, cores: 4 }).workerThreads).toMatchObject({ sqlite: true, http: true });
    // The opt-out, one thread at a time.
    expect(readServerSettings({ HOOKER_HTTP_THREAD: '0' }, { cfgPath: 'x', serverDir, cores: 2 }).workerThreads).toMatchObject({ sqlite: true, http: false });
  });

  it('anything else is an error naming the variable', () => {
    expect(() => workerThreads({ sqlite: '2' }, 2)).toThrow(/HOOKER_SQLITE_THREAD must be 1 \(on\), 0 \(off\) or auto.*got "2"/);
    expect(() => workerThreads({ http: 'maybe' }, 2)).toThrow(/HOOKER_HTTP_THREAD .*got "maybe"/);
  });

  it('the server settings carry the choice, from HOOKER_* or POSTEE_* names, with the cores given', () => {
    const serverDir = temp();
    const on = readServerSettings({ HOOKER_SQLITE_THREAD: 'auto', POSTEE_HTTP_THREAD: 'auto' }, { cfgPath: 'x', serverDir, cores: 2 });
    expect(on.workerThreads).toMatchObject({ sqlite: true, http: true, cores: 2 });
    const off = readServerSettings({ HOOKER_SQLITE_THREAD: 'auto', HOOKER_HTTP_THREAD: 'auto' }, { cfgPath: 'x', serverDir, cores: 1 });
    expect(off.workerThreads).toMatchObject({ sqlite: false, http: false, cores: 1 });
    const forced = readServerSettings({ HOOKER_SQLITE_THREAD: '1', HOOKER_HTTP_THREAD: '1' }, { cfgPath: 'x', serverDir, cores: 1 });
    expect(forced.workerThreads).toMatchObject({ sqlite: true, http: true });
    const optedOut = readServerSettings({ HOOKER_SQLITE_THREAD: '0', HOOKER_HTTP_THREAD: '0' }, { cfgPath: 'x', serverDir, cores: 4 });
    expect(optedOut.workerThreads).toMatchObject({ sqlite: false, http: false });
    expect(() => readServerSettings({ HOOKER_HTTP_THREAD: 'yes please' }, { cfgPath: 'x', serverDir })).toThrow(/HOOKER_HTTP_THREAD/);
  });

  it('the start line says which mode runs and why', () => {
    expect(describeWorkerThreads(workerThreads({ sqlite: 'auto', http: '0' }, 2)))
      .toBe('hooker: SQLite writer thread on (HOOKER_SQLITE_THREAD auto, 2 cores), HTTP client thread off (HOOKER_HTTP_THREAD off)');
    expect(describeWorkerThreads(workerThreads({ sqlite: '1', http: 'auto' }, 1)))
      .toBe('hooker: SQLite writer thread on (HOOKER_SQLITE_THREAD on), HTTP client thread off (HOOKER_HTTP_THREAD auto, 1 core)');
  });
});

describe('worker threads: the cores auto sees', () => {
  it("a cgroup v2 CPU quota (cpu.max) lowers them; 'max' or an unreadable file leaves availableParallelism", () => {
    expect(cgroupCpuQuota('max 100000\n')).toBeUndefined();
    expect(cgroupCpuQuota('100000 100000\n')).toBe(1);
    expect(cgroupCpuQuota('150000 100000')).toBe(1.5);
    expect(cgroupCpuQuota('400000 100000')).toBe(4);
    expect(cgroupCpuQuota('garbage')).toBeUndefined();
    expect(cgroupCpuQuota(undefined)).toBeUndefined();
    const d = temp();
    writeFileSync(join(d, 'cpu.max'), '100000 100000\n');
    expect(usableCores(join(d, 'cpu.max'))).toBeLessThanOrEqual(1);
    expect(usableCores(join(d, 'missing'))).toBeGreaterThanOrEqual(1);
  });
});
