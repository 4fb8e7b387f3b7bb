// When the native templates (raw-json, raw-html) cannot fail for an event,
// the action runner's templateError check does not render its message
// (nativeRenderCannotFail, deferredMessage's `cannotFail`). That is only
// sound if every event the bound admits really renders: at the bound's depth
// from inside a deep call stack (an action reading the message late), and
// with brackets inside strings not miscounted. Past the bound, the message
// is rendered to find out, so a render that fails still reads as the
// failed-template message.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { NATIVE_SAFE_CHARS, NATIVE_SAFE_DEPTH, NATIVE_TEMPLATES, nativeRenderCannotFail } from '../../src/templates/native-templates.js';
import { readStoredMessage, readStoredMessageOf } from '../../src/store/stored-message.js';
import { parseJson } from '../../src/json/lossless.js';

const FIXTURES = new URL('../../../shared/fixtures/', import.meta.url);
const fixtureTexts = readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).map((f) => readFileSync(new URL(f, FIXTURES), 'utf8'))
  .filter((text) => { try { JSON.parse(text); return true; } catch { return false; } });

/** `depth` levels of objects and arrays alternating, with strings full of brackets and escaped quotes at every level. */
function nested(depth: number): string {
  let open = '';
  let close = '';
  for (let i = 0; i < depth; i++) {
    if (i % 2 === 0) { open += `{"k[${i}":"}}]]\\"[[{{","v":`; close = `}${close}`; }
    else { open += '["[{\\\\",'; close = `]${close}`; }
  }
  return `${open}1${close}`;
}

/** Calls `fn` from under `frames` other stack frames. */
function underFrames(frames: number, fn: () => void): void {
  if (frames === 0) { fn(); return; }
  underFrames(frames - 1, fn);
}

describe('nativeRenderCannotFail', () => {
  it('admits every fixture event, whose messages render', () => {
    for (const text of fixtureTexts) {
      expect(nativeRenderCannotFail(text)).toBe(true);
      for (const render of NATIVE_TEMPLATES.values()) expect(render(parseJson(text)).body.length).toBeGreaterThan(0);
    }
  });

  it('counts nesting outside strings only: the bound admits exactly NATIVE_SAFE_DEPTH levels', () => {
    const atBound = nested(NATIVE_SAFE_DEPTH);
    expect(JSON.parse(atBound)).toBeTruthy();
    expect(atBound.length).toBeGreaterThan(2 * NATIVE_SAFE_DEPTH + 1); // the scan runs, not the short-text shortcut
    expect(nativeRenderCannotFail(atBound)).toBe(true);
    expect(nativeRenderCannotFail(nested(NATIVE_SAFE_DEPTH + 1))).toBe(false);
    // Brackets in strings (and escaped quotes before them) are not levels.
    const flat = JSON.stringify({ a: '['.repeat(5_000), b: '\\"{'.repeat(5_000), c: ['"]]]"'] });
    expect(nativeRenderCannotFail(flat)).toBe(true);
    expect(nativeRenderCannotFail(`[${'['.repeat(NATIVE_SAFE_DEPTH)}${']'.repeat(NATIVE_SAFE_DEPTH)}]`)).toBe(false);
  });

  it('agrees with the depth of random JSON around the bound', () => {
    const depthOf = (v: unknown): number => (v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v).map(depthOf)) : 0);
    fc.assert(fc.property(fc.integer({ min: NATIVE_SAFE_DEPTH - 3, max: NATIVE_SAFE_DEPTH + 3 }), fc.jsonValue({ maxDepth: 2 }), fc.boolean(), (depth, leaf, arrays) => {
      let v: unknown = leaf;
      const inner = depthOf(leaf);
      for (let i = inner; i < depth; i++) v = arrays || i % 3 === 0 ? [v, 'x]'] : { '}k': v };
      const text = JSON.stringify(v);
      expect(nativeRenderCannotFail(text)).toBe(text.length <= NATIVE_SAFE_CHARS && depthOf(v) <= NATIVE_SAFE_DEPTH);
    }), { seed: 912, numRuns: 60 });
  });

  it('an event it admits renders with both templates from inside a deep call stack', () => {
    const event = parseJson(nested(NATIVE_SAFE_DEPTH));
    for (const [pkg, render] of NATIVE_TEMPLATES) {
      underFrames(3_000, () => { expect(render(event).body.length, pkg).toBeGreaterThan(NATIVE_SAFE_DEPTH); });
    }
  });

  it('refuses a text longer than NATIVE_SAFE_CHARS, however shallow', () => {
    expect(nativeRenderCannotFail(JSON.stringify({ a: 'x'.repeat(NATIVE_SAFE_CHARS) }))).toBe(false);
    expect(nativeRenderCannotFail(JSON.stringify({ a: 'x'.repeat(NATIVE_SAFE_CHARS - 20) }))).toBe(true);
  });
});

describe('a stored native message read with its event text', () => {
  it('reads templateError as absent without rendering when the event is within the bounds, and renders when read', () => {
    for (const text of fixtureTexts) {
      let parsed = 0;
      const m = readStoredMessage('native:hooker.rawmessage.json', () => { parsed++; return parseJson(text); }, text);
      expect(m.templateError).toBeUndefined();
      expect(parsed).toBe(0);
      expect(m.body).toBe(NATIVE_TEMPLATES.get('hooker.rawmessage.json')!(parseJson(text)).body);
      expect(parsed).toBe(1);
    }
  });

  it('still fails the template for an event nested past what the stack holds', () => {
    const depth = 200_000;
    const text = '[{"k":'.repeat(depth) + '1' + '}]'.repeat(depth);
    for (const pkg of NATIVE_TEMPLATES.keys()) {
      const m = readStoredMessageOf(`native:${pkg}`, text);
      expect(m.templateError).toMatch(new RegExp(`^template ${pkg.replace(/\./g, '\\.')} failed for this event: Maximum call stack size exceeded`));
      expect(m.body).toBe('');
    }
  });
});
