// A real PostgreSQL server for tests: `initdb` + `pg_ctl` (Debian's
// postgresql package) in a temp dir, on a free loopback port. PostgreSQL
// refuses to run as root, so when the tests run as root (here and in CI)
// the server runs as the unprivileged `postgres` user (or `nobody`), which
// owns the temp dir. One server per test file (beforeAll); removed afterwards.

import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PostgresServer {
  /** postgres://hooker@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  /** A fresh, empty database on this server; its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server (fast shutdown: connections are cut), keeping its data. */
  stop(): void;
  /** Starts it again on the same port. */
  start(): void;
  /** Stops it and removes its directory. */
  destroy(): void;
}

/** The directory of initdb/pg_ctl: on PATH, else Debian's versioned directory. */
export function postgresBin(): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(base, versions[0], 'bin') : undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** uid/gid to run the server as when we are root. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
      if (Number.isInteger(uid) && uid > 0) return { uid, gid };
    } catch { /* no such user */ }
  }
  throw new Error('running as root and neither the postgres nor the nobody user exists to run PostgreSQL as');
}

let counter = 0;

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBin();
  if (!bin) throw new Error('PostgreSQL is not installed (initdb/pg_ctl not found); CI installs Debian\'s postgresql package via .ci/run');
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'hooker-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const port = await freePort();
  const as = user ? { uid: user.uid, gid: user.gid } : {};
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync(join(bin, cmd), args, { ...as, cwd: dir, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
    if (r.status !== 0) {
      const serverLog = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : '';
      throw new Error(`${cmd} failed (${r.status}): ${r.stderr || r.stdout}\n${serverLog}`);
    }
  };
  run('initdb', ['-D', data, '-U', 'hooker', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  // fsync off: the tests kill Hooker, not the machine; durability of commits across a crash of PostgreSQL itself is not what they test.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200`;
  const start = () => run('pg_ctl', ['-D', data, '-l', log, '-o', options, '-w', '-t', '60', 'start']);
  const stop = () => run('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
  start();
  const url = `postgres://hooker@127.0.0.1:${port}/postgres`;
  let running = true;
  return {
    url, port,
    async createDatabase(name = `t${process.pid}_${++counter}`) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try { await c.query(`CREATE DATABASE "${name}"`); } finally { await c.end(); }
      return `postgres://hooker@127.0.0.1:${port}/${name}`;
    },
    stop() { stop(); running = false; },
    start() { start(); running = true; },
    destroy() {
      try { if (running) stop(); } catch { /* already gone */ }
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
