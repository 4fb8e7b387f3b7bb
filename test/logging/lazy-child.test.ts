// The request logger Fastify gets (src/logging/lazy-child.ts) writes exactly
// what pino's own child writes, and makes no child for a request that writes
// nothing (the point of it: issue 12, a child per request cost ~1 % of held
// ingest). Real pino loggers writing into collectors.
import { describe, expect, it } from 'vitest';
import type { Logger } from 'pino';
import { createLogger } from '../../src/logging/logger.js';
import { LazyChildLogger, lazyChildLogger } from '../../src/logging/lazy-child.js';

function collector(level: 'info' | 'debug' | 'trace' = 'info') {
  const lines: string[] = [];
  const logger = createLogger({ level, format: 'json', destination: { write: (s: string) => { lines.push(s); } } });
  let children = 0;
  const child = logger.child;
  // Inherited by the children (pino makes them with Object.create), so called with each one as `this`.
  logger.child = function (this: Logger, b: Record<string, unknown>, o?: object) { children++; return child.call(this, b, o); } as Logger['child'];
  // Lines without their time, which differs between two writes.
  const records = () => lines.map((l) => { const { time: _t, ...rest } = JSON.parse(l) as Record<string, unknown>; return rest; });
  return { logger, records, children: () => children };
}

describe('lazy request logger', () => {
  it('writes the same records as the real child, at every level, with objects, errors and masked secrets', () => {
    const lazy = collector('info');
    const real = collector('info');
    const l = lazyChildLogger(lazy.logger, { reqId: 'req-7' }, {});
    const r = real.logger.child({ reqId: 'req-7' }, {});
    expect(l).toBeInstanceOf(LazyChildLogger);
    for (const log of [l, r]) {
      log.info('plain');
      log.warn({ status: 503, url: 'http://bob:pw@x.local/?token=abc' }, 'refused %s', 'http://bob:pw@x.local/');
      log.error({ err: new Error('boom at http://u:p@h.local/') }, 'failed');
      log.fatal('end');
      log.debug('not written at info');
      log.trace({ a: 1 }, 'not written either');
    }
    expect(lazy.records()).toEqual(real.records());
    expect(lazy.records()).toHaveLength(4);
    expect(lazy.records()[0]).toMatchObject({ reqId: 'req-7', msg: 'plain', level: 'info' });
    expect(JSON.stringify(lazy.records())).not.toContain('pw');
    expect(l.isLevelEnabled('debug')).toBe(false);
    expect(l.level).toBe('info');
  });

  it('makes no child while nothing is written, and one child however many lines', () => {
    const c = collector('info');
    const l = lazyChildLogger(c.logger, { reqId: 'req-1' }, {});
    l.debug('skipped');
    l.trace('skipped');
    expect(c.children()).toBe(0);
    l.info('one');
    l.error('two');
    expect(c.children()).toBe(1);
    expect(c.records().map((r) => r['reqId'])).toEqual(['req-1', 'req-1']);
  });

  it('at debug level a debug line is written with the bindings', () => {
    const c = collector('debug');
    const l = lazyChildLogger(c.logger, { reqId: 'req-2' }, {});
    l.debug({ reason: 'content_type' }, 'refused');
    expect(c.records()).toEqual([expect.objectContaining({ level: 'debug', reqId: 'req-2', reason: 'content_type', msg: 'refused' })]);
  });

  it('a route with its own level gets the real child at once, and children of the lazy one carry both bindings', () => {
    const c = collector('info');
    const own = lazyChildLogger(c.logger, { reqId: 'req-3' }, { level: 'debug' });
    expect(own).not.toBeInstanceOf(LazyChildLogger);
    own.debug('written at the route level');
    const nested = lazyChildLogger(c.logger, { reqId: 'req-4' }, {}).child({ part: 'x' });
    nested.info('nested');
    expect(c.records()).toEqual([
      expect.objectContaining({ level: 'debug', reqId: 'req-3' }),
      expect.objectContaining({ level: 'info', reqId: 'req-4', part: 'x', msg: 'nested' }),
    ]);
  });
});
