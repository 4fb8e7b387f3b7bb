import { describe, it, expect, afterEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, migrate, type SqliteDatabase } from '../../src/store/sqlite/db.js';

const dirs: string[] = [];
const dbs: SqliteDatabase[] = [];
function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hooker-db-'));
  dirs.push(dir);
  return join(dir, 'nested', 'hooker.db');
}
afterEach(() => {
  for (const db of dbs.splice(0)) if (db.open) db.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('openDatabase', () => {
  it('creates the directory and opens in WAL mode', () => {
    const db = openDatabase(tempPath());
    dbs.push(db);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
  });
});

describe('migrate', () => {
  it('applies each step once, even across reopenings, and continues with appended steps', () => {
    const path = tempPath();
    const steps = ['CREATE TABLE a (x INTEGER)', 'INSERT INTO a VALUES (1)'];
    let db = openDatabase(path);
    expect(migrate(db, 'test', steps)).toBe(2);
    expect(migrate(db, 'test', steps)).toBe(0);
    db.close();
    db = openDatabase(path);
    dbs.push(db);
    expect(migrate(db, 'test', [...steps, 'INSERT INTO a VALUES (2)'])).toBe(1);
    expect(db.prepare('SELECT COUNT(*) AS n FROM a').get()).toEqual({ n: 2 });
  });

  it('keeps migration sets of different owners apart', () => {
    const db = openDatabase(tempPath());
    dbs.push(db);
    migrate(db, 'one', ['CREATE TABLE one_t (x)']);
    expect(migrate(db, 'two', ['CREATE TABLE two_t (x)'])).toBe(1);
  });

  it('rolls back a failing step and its record', () => {
    const db = openDatabase(tempPath());
    dbs.push(db);
    expect(() => migrate(db, 'bad', ['CREATE TABLE ok_t (x)', 'CREATE TABLE ok_t (x)'])).toThrow();
    const rows = db.prepare('SELECT step FROM schema_migrations WHERE name = ?').all('bad');
    expect(rows).toEqual([{ step: 0 }]);
    expect(migrate(db, 'bad', ['CREATE TABLE ok_t (x)', 'CREATE TABLE ok_t2 (x)'])).toBe(1);
  });
});
