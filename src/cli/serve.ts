// `hooker serve`: runs the server until SIGINT/SIGTERM. Settings come from
// the environment (HOOKER_* or POSTEE_*); flags override the common ones.

import { parseArgs } from './args.js';
import { readServerSettings } from '../config/env.js';
import { ConfigError, formatProblem } from '../config/problems.js';
import { createLogger } from '../logging/logger.js';
import { openStore, storeOptionsOf } from '../store/open-store.js';

export async function runServe(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: { '--config': 'config', '-c': 'config', '--http': 'http', '--https': 'https' } });
  const env = { ...process.env };
  const flag = (k: string) => args.values.get(k)?.at(-1);
  if (flag('config') !== undefined) env['HOOKER_CFG'] = flag('config');
  if (flag('http') !== undefined) env['HOOKER_HTTP'] = flag('http');
  if (flag('https') !== undefined) env['HOOKER_HTTPS'] = flag('https');
  const settings = readServerSettings(env, { cfgPath: args.positionals[0] ?? 'config/cfg.yaml' });
  // Every line goes to stderr (JSON or pretty); stdout belongs to the stdout action.
  const logger = createLogger({ level: settings.logLevel, format: settings.logFormat });
  // The database starts opening before the server's modules load: with the SQLite writer thread
  // (settings.workerThreads.sqlite) the new thread's start then runs on another core while this one loads them,
  // instead of after (startServer waited ~100 ms for it). startServer reports a failure to open, and closes it.
  const storeOpening = openStore(settings.dbPath, { ...storeOptionsOf(settings), log: (line: string) => logger.info(line) });
  storeOpening.catch(() => {});
  const { startServer } = await import('../server/server.js');
  let server;
  try {
    server = await startServer({ settings, env, handleSignals: true, logger, storeOpening });
  } catch (e) {
    if (e instanceof ConfigError) {
      const problems = e.problems.map(formatProblem);
      logger.fatal({ problems }, `hooker: cannot start, ${settings.cfgPath} has errors:\n${problems.join('\n')}`);
      return 1;
    }
    logger.fatal({ err: e }, `hooker: cannot start: ${(e as Error).message}`);
    return 1;
  }
  const urls = [server.httpUrl, server.httpsUrl].filter(Boolean).join(' and ');
  // The URL is followed by a space: scripts (and the e2e harness) read it from this line.
  logger.info({ http: server.httpUrl, https: server.httpsUrl, config: settings.cfgPath }, `hooker: serving ${settings.cfgPath} on ${urls} (pid ${process.pid})`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  logger.info('hooker: shutting down');
  await server.close();
  return 0;
}
