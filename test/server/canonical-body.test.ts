// A request body written exactly as stringifyJson writes its parsed value is
// taken as the event's text (and its bytes as the Rego input) instead of
// serialising the event again (json-body.ts parseBodyKeepingText and
// canonicalText). Whatever the body, the event's text must be what
// stringifyJson of the parsed event gives, and the parsed value what
// parseJson gives: random bodies with whitespace, escapes, duplicate and
// array-index keys, __proto__, big and odd numbers, byte order marks and
// invalid UTF-8 are checked against both.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { parseJson, stringifyJson } from '../../src/json/lossless.js';
import { bodyText, canonicalText, parseBodyKeepingText, parseJsonBody } from '../../src/server/json-body.js';
import { removeReservedKeys } from '../../src/server/surfaces/ingest-pipeline.js';

const LIMITS = { maxDepth: 64, maxKeys: 10_000 };
const fixture = (name: string) => readFileSync(new URL(`../../../shared/fixtures/${name}`, import.meta.url));

/** The event text the router takes for a body: the canonical body's, else stringifyJson of the parsed event (as before). */
function eventText(raw: Buffer): { value: unknown; text: string | undefined; reused: boolean; bytes?: Uint8Array } {
  const parsed = parseBodyKeepingText(raw, LIMITS);
  const reused = canonicalText(parsed.canonical, parsed.value);
  return { value: parsed.value, text: reused ? reused.text : stringifyJson(parsed.value), reused: !!reused, ...(reused ? { bytes: reused.bytes } : {}) };
}

/** What ingest made of a body before: parseJson of the text (the BOM dropped), then stringifyJson. */
function before(raw: Buffer): { value: unknown; text: string | undefined } {
  const value = parseJson(bodyText(raw));
  return { value, text: stringifyJson(value) };
}

function sameAsBefore(raw: Buffer): boolean {
  let old: ReturnType<typeof before>;
  try { old = before(raw); } catch {
    // A body the old path refused is refused now too.
    expect(() => eventText(raw)).toThrow();
    return false;
  }
  const now = eventText(raw);
  expect(now.value).toEqual(old.value);
  expect(now.text).toBe(old.text);
  if (now.bytes) expect(Buffer.from(now.bytes.buffer, now.bytes.byteOffset, now.bytes.byteLength).equals(Buffer.from(now.text!, 'utf8'))).toBe(true);
  return now.reused;
}

// A JSON value written by hand, so the text can carry what JSON.stringify never writes.
type Node =
  | { t: 'num'; token: string }
  | { t: 'str'; value: string; escape: boolean }
  | { t: 'lit'; token: 'true' | 'false' | 'null' }
  | { t: 'arr'; items: Node[] }
  | { t: 'obj'; entries: Array<[string, Node, boolean]> };

const numberToken = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n }).map(String),
  fc.constantFrom('-0', '0', '0.10', '1E5', '1e5', '1e+5', '1.5e-7', '1e400', '-1e-400', '1e-400', '123456789012345678901234567890', '1507591916746609046',
    '9007199254740993', '9007199254740992', '1234567890123456', '123456789012345', '-123456789012345', '5e-324', '1.7976931348623157e308', '100e-2', '2.50'),
);
const key = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom('__proto__', 'hooker', 'a', 'b', '0', '1', '2', '10', '01', '007', '4294967294', '4294967295', '-1', '1.5', 'constructor', 'toString', 'é', '\u2028', '😀'),
);
const str = fc.oneof(fc.string({ maxLength: 10 }), fc.string({ unit: 'binary', maxLength: 6 }), fc.constantFrom('', '"', '\\', '\n\t', '\u0000', '\u001f', '\u007f', '</script>', '&<>', '\ud800', 'a\udc00', '😀'));

const node: fc.Arbitrary<Node> = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    numberToken.map((token): Node => ({ t: 'num', token })),
    fc.tuple(str, fc.boolean()).map(([value, escape]): Node => ({ t: 'str', value, escape })),
    fc.constantFrom<Node>({ t: 'lit', token: 'true' }, { t: 'lit', token: 'false' }, { t: 'lit', token: 'null' }),
    fc.array(tie('node'), { maxLength: 4 }).map((items): Node => ({ t: 'arr', items })),
    fc.array(fc.tuple(key, tie('node'), fc.boolean()), { maxLength: 5 }).map((entries): Node => ({ t: 'obj', entries })),
  ),
})).node;

/** JSON.stringify's string, or (escape) every character but ASCII letters and digits as \uXXXX, and / as \/. */
function writeString(s: string, escape: boolean): string {
  if (!escape) return JSON.stringify(s);
  let out = '"';
  for (const ch of s) {
    if (/^[A-Za-z0-9]$/.test(ch)) out += ch;
    else if (ch === '/') out += '\\/';
    else for (let i = 0; i < ch.length; i++) out += `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`;
  }
  return `${out}"`;
}

function write(n: Node, ws: string): string {
  switch (n.t) {
    case 'num': return n.token;
    case 'lit': return n.token;
    case 'str': return writeString(n.value, n.escape);
    case 'arr': return `[${ws}${n.items.map((x) => write(x, ws)).join(`,${ws}`)}${ws}]`;
    case 'obj': return `{${ws}${n.entries.map(([k, v, esc]) => `${writeString(k, esc)}${ws}:${write(v, ws)}`).join(`,${ws}`)}}`;
  }
}

describe('a canonical body as the event text', () => {
  it('random bodies: the same parsed event and the same event text as parseJson + stringifyJson; canonical ones reused', () => {
    let reused = 0;
    fc.assert(fc.property(node, fc.constantFrom('', '', '', ' ', '\n  '), fc.boolean(), (n, ws, bom) => {
      const raw = Buffer.from(`${bom ? '\ufeff' : ''}${write(n, ws)}`, 'utf8');
      if (sameAsBefore(raw)) reused++;
    }), { seed: 20261127, numRuns: 3000 });
    // The property must not hold only because the body is never taken.
    expect(reused).toBeGreaterThan(300);
  });

  it('random values written by stringifyJson are taken as they are', () => {
    const leaf = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null));
    const tree = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 5 }), tie('v'), { maxKeys: 5 })),
    })).v;
    fc.assert(fc.property(tree, (v) => {
      const text = stringifyJson(v)!;
      // Control characters are written as \uXXXX, which the pass does not accept as canonical; lone surrogates do not survive UTF-8.
      fc.pre(!/\\u/.test(text) && !/[\ud800-\udfff]/.test(text));
      expect(sameAsBefore(Buffer.from(text))).toBe(true);
    }), { seed: 20261127, numRuns: 1000 });
  });

  it('a key written twice in any object of a canonical text is never taken as it is; objects past the checked size are serialised', () => {
    const leaf = fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.boolean(), fc.constant(null));
    const tree = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 3 }), tie('v'), { minKeys: 1, maxKeys: 6 })),
    })).v;
    let duplicated = 0;
    fc.assert(fc.property(tree, fc.nat(), fc.nat(), fc.nat(), leaf, (v, target, pick, at, extra) => {
      // stringifyJson's text of v, with one object (the target-th written, modulo) given one of its keys once more, anywhere among its entries.
      let objects = 0;
      let inserted = false;
      const w = (x: unknown): string => {
        if (Array.isArray(x)) return `[${x.map(w).join(',')}]`;
        if (x === null || typeof x !== 'object') return JSON.stringify(x);
        const keys = Object.keys(x);
        const me = objects++;
        const parts = keys.map((k) => `${JSON.stringify(k)}:${w((x as Record<string, unknown>)[k])}`);
        if (me === target % 8 && keys.length) {
          parts.splice(at % (parts.length + 1), 0, `${JSON.stringify(keys[pick % keys.length])}:${JSON.stringify(extra)}`);
          inserted = true;
        }
        return `{${parts.join(',')}}`;
      };
      const text = w(v);
      fc.pre(!/\\u/.test(text) && !/[\ud800-\udfff]/.test(text));
      const reused = sameAsBefore(Buffer.from(text));
      if (inserted) { duplicated++; expect(reused, text).toBe(false); }
    }), { seed: 20261127, numRuns: 2000 });
    expect(duplicated).toBeGreaterThan(300);
    // 64 keys are checked in one object; more are serialised (correct, only slower); a hostile run of long keys alike up to their end stays linear.
    const wide = (n: number) => JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])));
    expect(sameAsBefore(Buffer.from(wide(64)))).toBe(true);
    expect(sameAsBefore(Buffer.from(wide(65)))).toBe(false);
    const alike = JSON.stringify(Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`${'x'.repeat(20_000)}${String(i).padStart(2, '0')}`, i])));
    expect(sameAsBefore(Buffer.from(alike))).toBe(false);
    expect(sameAsBefore(Buffer.from(`{"a":{"b":1},"c":{"b":2},"b":{"a":{"a":1}}}`))).toBe(true);
  });

  it('the bench event, a Falco event with a 19-digit evt.time, a byte order mark: reused; whitespace, duplicates, escapes, key order: not; -0 kept as sent', () => {
    const tracee = Buffer.from(JSON.stringify(JSON.parse(fixture('tracee-trc1-finding.json').toString())));
    expect(sameAsBefore(tracee)).toBe(true);
    const falco = JSON.stringify(JSON.parse(fixture('falco-event.json').toString())).replace(/"evt\.time":\d+/, '"evt.time":1507591916746609046');
    expect(falco).toContain('1507591916746609046');
    expect(sameAsBefore(Buffer.from(falco))).toBe(true);
    expect(eventText(Buffer.from(falco)).text).toContain('"evt.time":1507591916746609046');
    expect(sameAsBefore(Buffer.from(`\ufeff${falco}`))).toBe(true);
    for (const text of ['{"a": 1}', '{"a":1,"a":2}', '{"a":{"x":1},"a":{"y":2}}', '{"b":1,"1":2}', '{"2":1,"1":2}', '{"1":1,"1":2}', '{"a":"\\/"}',
      '{"a":"\\u0041"}', '{"a":1.50}', '{"a":1E5}', '{"__proto__":1,"__proto__":2}', '[1, 2]', '{"a":[{"b":1,"b":1}]}',
      // 2^32 - 1 is no array index: an ordinary key, which the index 1 comes before.
      '{"4294967295":1,"1":2}']) {
      expect(sameAsBefore(Buffer.from(text)), text).toBe(false);
    }
    for (const text of ['{"1":1,"2":2,"b":3}', '{"__proto__":{"x":1}}', '{"a":"\\"\\\\\\n\\t"}', '[]', '{}', '"x"', '12', 'null', '{"1":2,"4294967295":1}', '{"a":1e400}', '{"a":-0}', '[-0.0,-0e1]']) {
      expect(sameAsBefore(Buffer.from(text)), text).toBe(true);
    }
  });

  it('not reused once the event lost a reserved key, nor for invalid UTF-8', () => {
    const raw = Buffer.from('{"hooker":{"x":1},"a":1}');
    const parsed = parseBodyKeepingText(raw, LIMITS);
    expect(canonicalText(parsed.canonical, parsed.value)).toBeDefined();
    removeReservedKeys(parsed.value);
    expect(canonicalText(parsed.canonical, parsed.value)).toBeUndefined();
    const invalid = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xf0, 0x90, 0x80]), Buffer.from('"}')]);
    expect(parseBodyKeepingText(invalid, LIMITS).canonical).toBeUndefined();
    expect(sameAsBefore(invalid)).toBe(false);
    expect(parseJsonBody(invalid)).toEqual({ a: '\ufffd' });
  });
});
