// Postee's environment names and image paths are read as Postee read them.

import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_DB_PATH, readServerSettings } from '../../src/config/env.js';

const dirs: string[] = [];
const temp = () => { const d = mkdtempSync(join(tmpdir(), 'hooker-env-')); dirs.push(d); return d; };
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

describe('Postee environment names', () => {
  it('AQUAALERT_CERT_PEM / AQUAALERT_KEY_PEM give the TLS pair; HOOKER_* wins', () => {
    const none = temp();
    const s = readServerSettings({ AQUAALERT_CERT_PEM: '/c/cert.pem', AQUAALERT_KEY_PEM: '/c/key.pem' }, { cfgPath: 'x', serverDir: none });
    expect([s.certPem, s.keyPem]).toEqual(['/c/cert.pem', '/c/key.pem']);
    const t = readServerSettings({ AQUAALERT_CERT_PEM: '/c/cert.pem', HOOKER_CERT_PEM: '/h/cert.pem', POSTEE_KEY_PEM: '/p/key.pem', AQUAALERT_KEY_PEM: '/c/key.pem' }, { cfgPath: 'x', serverDir: none });
    expect([t.certPem, t.keyPem]).toEqual(['/h/cert.pem', '/p/key.pem']);
  });

  it('POSTEE_CFG and POSTEE_HTTP are read', () => {
    const s = readServerSettings({ POSTEE_CFG: '/data/cfg.yaml', POSTEE_HTTP: ':9000' }, { cfgPath: 'x', serverDir: temp() });
    expect(s.cfgPath).toBe('/data/cfg.yaml');
    expect(s.http).toBe(':9000');
  });

  it('PATH_TO_DB names the database; a Postee BoltDB file there is left alone and hooker.db goes next to it', () => {
    const d = temp();
    expect(readServerSettings({ PATH_TO_DB: join(d, 'new.db') }, { cfgPath: 'x', serverDir: temp() }).dbPath).toBe(join(d, 'new.db'));
    const bolt = join(d, 'webhooks.db');
    writeFileSync(bolt, Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0xed, 0xda, 0x0c, 0xed, 2, 0, 0, 0]));
    expect(readServerSettings({ PATH_TO_DB: bolt }, { cfgPath: 'x', serverDir: temp() }).dbPath).toBe(join(d, 'hooker.db'));
    expect(readServerSettings({ PATH_TO_DB: bolt, HOOKER_DB: '/h.db' }, { cfgPath: 'x', serverDir: temp() }).dbPath).toBe('/h.db');
  });

  it('the image directories /server/rego-templates, /server/rego-filters and /server/database are used when they exist', () => {
    const server = temp();
    const bare = readServerSettings({}, { cfgPath: 'x', serverDir: server });
    expect(bare.templatesPath).toBeUndefined();
    expect(bare.filtersPath).toBe('rego/filters');
    expect(bare.dbPath).toBe(DEFAULT_DB_PATH);
    for (const d of ['rego-templates', 'rego-filters', 'database']) mkdirSync(join(server, d));
    const s = readServerSettings({}, { cfgPath: 'x', serverDir: server });
    expect(s.templatesPath).toBe(join(server, 'rego-templates'));
    expect(s.filtersPath).toBe(join(server, 'rego-filters'));
    expect(s.dbPath).toBe(join(server, 'database', 'hooker.db'));
    const own = readServerSettings({ REGO_TEMPLATES_PATH: '/t', REGO_FILTERS_PATH: '/f' }, { cfgPath: 'x', serverDir: server });
    expect([own.templatesPath, own.filtersPath]).toEqual(['/t', '/f']);
  });
});

describe('HOOKER_MAX_DEPTH', () => {
  it('takes values up to what the server can store and render, and names the bound past it', () => {
    const at = (v: string) => readServerSettings({ HOOKER_MAX_DEPTH: v }, { cfgPath: 'x', serverDir: temp() }).maxDepth;
    expect(at('')).toBe(512);
    expect(at('2048')).toBe(2048);
    expect(() => at('2049')).toThrow(/HOOKER_MAX_DEPTH must be at most 2048 \(deeper events exceed the JavaScript stack.*\), got 2049/);
    expect(() => at('1000000')).toThrow(/at most 2048/);
    expect(() => at('0')).toThrow(/HOOKER_MAX_DEPTH must be a positive integer/);
  });
});
