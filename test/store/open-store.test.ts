// HOOKER_DB picks the engine; a PostgreSQL URL's password never shows in what
// Hooker prints (the location it logs, or the error when it cannot connect).
import { describe, expect, it } from 'vitest';
import { isPostgresUrl, openStore, redactLocation } from '../../src/store/open-store.js';

describe('openStore', () => {
  it('postgres:// and postgresql:// select PostgreSQL; anything else is a SQLite file', () => {
    expect(isPostgresUrl('postgres://db/hooker')).toBe(true);
    expect(isPostgresUrl('postgresql://db/hooker')).toBe(true);
    expect(isPostgresUrl('/server/database/hooker.db')).toBe(false);
  });

  it('masks the password of the location', () => {
    expect(redactLocation('postgres://hooker:s3cret@db.example:5432/hooker?sslmode=require')).toBe('postgres://hooker:***@db.example:5432/hooker?sslmode=require');
    expect(redactLocation('/data/hooker.db')).toBe('/data/hooker.db');
  });

  it('an unreachable PostgreSQL fails the start with an error that does not carry the password', async () => {
    const err = await openStore('postgres://hooker:s3cret@127.0.0.1:1/hooker').then(() => undefined, (e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toMatch(/ECONNREFUSED|connect/);
    expect(err!.message).not.toContain('s3cret');
  });
});
