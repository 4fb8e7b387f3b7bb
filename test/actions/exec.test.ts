import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execAction } from '../../src/actions/exec.js';
import { deliveryContext } from '../server/delivery-context.js';

function make(config: Record<string, unknown>) {
  const r = execAction.create({ name: 'x', type: 'exec', ...config }, {});
  if (!r.action) throw new Error(JSON.stringify(r.problems));
  return r.action;
}

describe('exec action', () => {
  it('gives the rendered event to the script only through HOOKER_EVENT and POSTEE_EVENT', async () => {
    const a = make({ 'exec-script': 'printf "%s|%s|%s" "$HOOKER_EVENT" "$POSTEE_EVENT" "$#"' });
    const ctx = deliveryContext({ message: { title: '', body: '{"k":"v"}' } });
    const r = await a.deliver(ctx);
    expect(r.ok).toBe(true);
    expect(ctx.lines).toEqual(['stdout: {"k":"v"}|{"k":"v"}|0']);
  });

  it('never runs event data as shell text', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hooker-exec-'));
    const marker = join(dir, 'pwned');
    const a = make({ 'exec-script': 'echo "$HOOKER_EVENT" > /dev/null; echo done' });
    const evil = `$(touch ${marker}); \`touch ${marker}\``;
    const r = await a.deliver(deliveryContext({ event: { x: evil }, message: { title: evil, body: evil } }));
    expect(r.ok).toBe(true);
    expect(existsSync(marker)).toBe(false);
  });

  it('runs a script file and passes the configured env list', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hooker-exec-'));
    const script = join(dir, 's.sh');
    const out = join(dir, 'out.txt');
    writeFileSync(script, `printf '%s %s' "$MY_VAR" "$HOOKER_EVENT" > "${out}"\n`);
    const a = make({ 'input-file': script, env: ['MY_VAR=foo=bar'] });
    expect((await a.deliver(deliveryContext({ message: { title: '', body: 'E' } }))).ok).toBe(true);
    expect(readFileSync(out, 'utf8')).toBe('foo=bar E');
  });

  it('fails on a non-zero exit and captures stderr', async () => {
    const ctx = deliveryContext();
    const r = await make({ 'exec-script': 'echo oops >&2; exit 3' }).deliver(ctx);
    expect(r).toMatchObject({ ok: false, detail: 'script exited 3' });
    expect(ctx.lines).toContain('stderr: oops');
  });

  it('kills the script and its children when the timeout passes', async () => {
    const t0 = Date.now();
    const r = await make({ 'exec-script': 'sleep 30 & sleep 30; echo never', timeout: '300ms' }).deliver(deliveryContext());
    expect(r.ok).toBe(false);
    expect(r.detail).toContain('timed out after 300 ms');
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('offers JSON stdout as an event update (applied for ReadAndWrite actions), plain text not', async () => {
    const json = await make({ 'exec-script': 'printf \'{"owner": "team-a"}\'' }).deliver(deliveryContext({}));
    expect(json).toMatchObject({ ok: true, eventUpdate: { owner: 'team-a' } });
    const text = await make({ 'exec-script': 'echo saved' }).deliver(deliveryContext({}));
    expect(text.ok).toBe(true);
    expect(text.eventUpdate).toBeUndefined();
  });

  it('reports configuration problems instead of throwing', () => {
    expect(execAction.create({ name: 'x', type: 'exec' }, {}).problems[0]!.message).toContain('exec-script');
    expect(execAction.create({ name: 'x', type: 'exec', 'exec-script': 'true', env: ['NOEQUALS'] }, {}).problems[0]!.path).toBe('env[0]');
    expect(execAction.create({ name: 'x', type: 'exec', 'input-file': '/nonexistent/s.sh' }, {}).problems[0]!.path).toBe('input-file');
    expect(execAction.create({ name: 'x', type: 'exec', 'exec-script': 'true', timeout: 'soon' }, {}).problems[0]!.path).toBe('timeout');
  });
});
