// Which better-sqlite3 build this process loads.
//
// better-sqlite3 12 is built against Node's C++ API (node::ObjectWrap). On
// Node 24 the header registers an environment cleanup hook per wrapped object
// and its destructor removes it through Environment::GetCurrent(isolate); when
// V8 collects a Statement while no Node context is entered (a GC outside
// JavaScript, or a worker's teardown) that lookup is null and Node aborts the
// whole process (`Assertion failed: (env) != nullptr` in
// RemoveEnvironmentCleanupHook, seen in our image test on Node 24.21). Version
// 13 is a Node-API addon that does not depend on those headers, but it needs
// Node 22 or later and crashes when loaded on Node 20. So both are installed
// (13 under the alias `better-sqlite3-napi`, with prebuilt binaries and no
// compile step) and the choice is made here, once, by the running Node's
// major version. Both expose the same API; the types are 12's.

import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

const require = createRequire(import.meta.url);

/** Node majors from which the Node-API build is used. */
export const NAPI_FROM_NODE_MAJOR = 22;

/** The package name this process loads: resolvable with require() from this module. */
export const sqlitePackage: string =
  Number(process.versions.node.split('.')[0]) >= NAPI_FROM_NODE_MAJOR ? 'better-sqlite3-napi' : 'better-sqlite3';

/** Absolute path of the driver's entry point, for worker threads that load it themselves. */
export const sqliteEntry: string = require.resolve(sqlitePackage);

export const Database: typeof BetterSqlite3 = require(sqlitePackage) as typeof BetterSqlite3;
export type SqliteDatabase = BetterSqlite3.Database;
