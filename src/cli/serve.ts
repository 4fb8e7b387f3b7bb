// `hooker serve`: runs the server until SIGINT/SIGTERM. Settings come from
// the environment (HOOKER_* or POSTEE_*); flags override the common ones.

import { parseArgs } from './args.js';
import { readServerSettings } from '../config/env.js';
import { ConfigError, formatProblem } from '../config/problems.js';
import { startServer } from '../server/server.js';

export async function runServe(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: { '--config': 'config', '-c': 'config', '--http': 'http', '--https': 'https' } });
  const env = { ...process.env };
  const flag = (k: string) => args.values.get(k)?.at(-1);
  if (flag('config') !== undefined) env['HOOKER_CFG'] = flag('config');
  if (flag('http') !== undefined) env['HOOKER_HTTP'] = flag('http');
  if (flag('https') !== undefined) env['HOOKER_HTTPS'] = flag('https');
  const settings = readServerSettings(env, { cfgPath: args.positionals[0] ?? 'config/cfg.yaml' });
  let server;
  try {
    server = await startServer({ settings, env, handleSignals: true });
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`hooker: cannot start, ${settings.cfgPath} has errors:\n${e.problems.map(formatProblem).join('\n')}\n`);
      return 1;
    }
    throw e;
  }
  const urls = [server.httpUrl, server.httpsUrl].filter(Boolean).join(' and ');
  process.stderr.write(`hooker: serving ${settings.cfgPath} on ${urls}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.stderr.write('hooker: shutting down\n');
  await server.close();
  return 0;
}
