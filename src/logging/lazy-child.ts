// A request's logger made only when the request writes a line.
//
// Fastify gives every request a child logger carrying its request id
// (pino's child(): a new object, the formatters rebuilt, the bindings
// serialised), though almost no request logs anything: the accepted event
// writes no line, and a refused one only at debug level. Measured as about
// 1 % of held ingest's event loop (issue 12). This stands in for the child:
// a line whose level is written makes the real child once and goes to it, so
// what is written is exactly what the child would write.

import type { Bindings, ChildLoggerOptions, Level, Logger } from 'pino';

type LogArgs = Parameters<Logger['info']>;

export class LazyChildLogger {
  private made?: Logger;

  constructor(private readonly parent: Logger, private readonly childBindings: Bindings, private readonly options: ChildLoggerOptions) {}

  /** The real child, made on first use. */
  private real(): Logger {
    return this.made ??= this.parent.child(this.childBindings, this.options);
  }

  get level(): string {
    return this.made ? this.made.level : this.parent.level;
  }

  set level(level: string) {
    this.real().level = level;
  }

  isLevelEnabled(level: string): boolean {
    return (this.made ?? this.parent).isLevelEnabled(level);
  }

  bindings(): Bindings {
    return this.real().bindings();
  }

  private write(level: Level, args: LogArgs): void {
    if (!this.isLevelEnabled(level)) return;
    const child = this.real();
    (child[level] as (...a: LogArgs) => void).apply(child, args);
  }

  fatal(...args: LogArgs): void { this.write('fatal', args); }
  error(...args: LogArgs): void { this.write('error', args); }
  warn(...args: LogArgs): void { this.write('warn', args); }
  info(...args: LogArgs): void { this.write('info', args); }
  debug(...args: LogArgs): void { this.write('debug', args); }
  trace(...args: LogArgs): void { this.write('trace', args); }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.real().child(bindings, options);
  }
}

/**
 * Fastify's childLoggerFactory: a lazy child, unless the route asks for its
 * own level or serializers (then the real child at once, as Fastify makes it).
 */
export function lazyChildLogger(logger: Logger, bindings: Bindings, options: ChildLoggerOptions): Logger {
  if (options.level !== undefined || options.serializers !== undefined) return logger.child(bindings, options);
  return new LazyChildLogger(logger, bindings, options) as unknown as Logger;
}
