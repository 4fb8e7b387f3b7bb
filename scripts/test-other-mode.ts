// The durability and ordering suites again, in the worker-thread mode
// `npm test` did not run: `npm run test:other-mode` (.ci/run runs it after
// `npm test`). The server picks its mode from HOOKER_SQLITE_THREAD and
// HOOKER_HTTP_THREAD, or from the cores when they are unset
// (src/config/worker-threads.ts), so one `npm test` covers only one mode; the
// suites named here follow the test process's variables (spawned servers
// inherit them, the in-process harness and the routing fixture read them,
// test/support/worker-threads.ts) and run here with each variable set the
// other way. Suites that pin or parametrise the mode themselves (test/store's
// shared suite, the crash test's SQLite modes, sqlite-writer-thread) cover both
// in `npm test` already; the crash test is here for the HTTP client thread.
import { spawnSync } from 'node:child_process';
import { workerThreadsOf } from '../src/config/env.js';

const OTHER_MODE_SUITES = [
  'test/routing',
  'test/e2e/crash.test.ts',
  'test/e2e/retries.test.ts',
  'test/e2e/backpressure.test.ts',
  'test/e2e/admission.test.ts',
  'test/e2e/many-senders.test.ts',
  'test/e2e/events-log.test.ts',
  'test/e2e/stored-native-message.test.ts',
];

const ran = workerThreadsOf(process.env);
const env = { ...process.env, HOOKER_SQLITE_THREAD: ran.sqlite ? '0' : '1', HOOKER_HTTP_THREAD: ran.http ? '0' : '1' };
process.stderr.write(`test:other-mode: npm test ran with the SQLite writer thread ${ran.sqlite ? 'on' : 'off'} and the HTTP client thread ${ran.http ? 'on' : 'off'}; `
  + `now HOOKER_SQLITE_THREAD=${env.HOOKER_SQLITE_THREAD} HOOKER_HTTP_THREAD=${env.HOOKER_HTTP_THREAD}: ${OTHER_MODE_SUITES.join(' ')}\n`);
const r = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...OTHER_MODE_SUITES, ...process.argv.slice(2)], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
