// The worker threads a test run asks for: HOOKER_SQLITE_THREAD and
// HOOKER_HTTP_THREAD in the test process's environment, resolved by the
// server's own rule (src/config/worker-threads.ts). `npm test` leaves them
// unset (the default a user gets on this machine); scripts/test-other-mode.ts
// runs the durability and ordering suites again with both set the other way.
// Spawned servers inherit the environment; in-process servers (the e2e
// harness) and engines (the routing fixture) take the choice from here.
import { workerThreadsOf } from '../../src/config/env.js';

export const THREAD_VARIABLES = ['HOOKER_SQLITE_THREAD', 'HOOKER_HTTP_THREAD'] as const;

export const testThreads = workerThreadsOf(process.env);

/** The two variables as the test process has them (only those set), for an in-process server's environment. */
export function testThreadEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of THREAD_VARIABLES) {
    const v = process.env[name];
    if (v !== undefined) env[name] = v;
  }
  return env;
}
