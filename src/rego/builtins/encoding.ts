// base64*, hex.*, urlquery.*, json.* text and yaml.*.

import { parse as parseYaml, stringify as stringifyYaml, YAMLParseError } from 'yaml';
import { implementAll } from './define.js';
import { marshalJson } from './json-text.js';
import { objArg, operandError, strArg, typeError } from './operands.js';
import { BuiltinError, RegoSet, type RegoValue } from './types.js';
import { fromJson, objectEntries, setItems, toJson } from './value.js';

const utf8 = (s: string) => Buffer.from(s, 'utf8');

/** Go's base64 decoders are strict: first offending byte is reported. */
function decodeBase64(s: string, url: boolean, padded: boolean): string {
  const alphabet = url ? /[A-Za-z0-9_-]/ : /[A-Za-z0-9+/]/;
  let end = s.length;
  if (padded) {
    if (s.length % 4 !== 0) throw new BuiltinError(`illegal base64 data at input byte ${s.length - (s.length % 4)}`);
    while (end > 0 && s[end - 1] === '=' && s.length - end < 2) end--;
  }
  for (let i = 0; i < end; i++) {
    if (!alphabet.test(s[i]!)) throw new BuiltinError(`illegal base64 data at input byte ${i}`);
  }
  if (!padded && end % 4 === 1) throw new BuiltinError(`illegal base64 data at input byte ${end}`);
  if (padded && end % 4 === 1) throw new BuiltinError(`illegal base64 data at input byte ${end}`);
  return Buffer.from(s.slice(0, end), url ? 'base64url' : 'base64').toString('utf8');
}

function isBase64(s: string): boolean {
  try {
    decodeBase64(s, false, true);
    return true;
  } catch {
    return false;
  }
}

function hexDecode(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (!/[0-9a-fA-F]/.test(c)) {
      const cp = s.codePointAt(i)!;
      throw new BuiltinError(`encoding/hex: invalid byte: U+${cp.toString(16).toUpperCase().padStart(4, '0')} ${JSON.stringify(String.fromCodePoint(cp)).replace(/^"|"$/g, "'")}`);
    }
  }
  if (s.length % 2 === 1) throw new BuiltinError('encoding/hex: odd length hex string');
  return Buffer.from(s, 'hex').toString('utf8');
}

/** Go's url.QueryEscape. */
export function queryEscape(s: string): string {
  let out = '';
  for (const b of utf8(s)) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** Go's url.QueryUnescape. */
export function queryUnescape(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '%') {
      const h = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) throw new BuiltinError(`invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`);
      bytes.push(parseInt(h, 16));
      i += 2;
    } else if (c === '+') bytes.push(0x20);
    else bytes.push(...utf8(c));
  }
  return Buffer.from(bytes).toString('utf8');
}

function encodeObject(v: RegoValue): string {
  const o = objArg([v], 0);
  const pairs: Array<[string, string]> = [];
  const entries = objectEntries(o).sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : String(a[0]) > String(b[0]) ? 1 : 0));
  for (const [k, x] of entries) {
    if (typeof k !== 'string') throw typeError('operand 1 must be object of strings');
    const values = typeof x === 'string' ? [x] : Array.isArray(x) ? x : x instanceof RegoSet ? setItems(x) : undefined;
    if (!values) throw operandError(1, ['string', 'array', 'set'], x);
    for (const s of values) {
      if (typeof s !== 'string') throw operandError(1, 'string', s);
      pairs.push([k, s]);
    }
  }
  return pairs.map(([k, s]) => `${queryEscape(k)}=${queryEscape(s)}`).join('&');
}

function decodeObject(s: string): RegoValue {
  const out = new Map<string, string[]>();
  for (const part of s.split('&')) {
    if (part === '') continue;
    if (part.includes(';')) throw new BuiltinError('invalid semicolon separator in query');
    const eq = part.indexOf('=');
    const k = queryUnescape(eq < 0 ? part : part.slice(0, eq));
    const v = eq < 0 ? '' : queryUnescape(part.slice(eq + 1));
    out.set(k, [...(out.get(k) ?? []), v]);
  }
  const obj: { [k: string]: RegoValue } = {};
  for (const [k, v] of out) obj[k] = v;
  return obj;
}

const MARSHAL_OPTIONS = new Set(['pretty', 'indent', 'prefix']);

function marshalWithOptions(v: RegoValue, opts: RegoValue): string {
  const o = objArg([v, opts], 1);
  let pretty: boolean | undefined;
  let indent: string | undefined;
  let prefix: string | undefined;
  for (const [k, x] of objectEntries(o)) {
    if (typeof k !== 'string' || !MARSHAL_OPTIONS.has(k)) throw typeError(`object contained unknown key ${JSON.stringify(k)}`);
    if (k === 'pretty') {
      if (typeof x !== 'boolean') throw typeError('pretty must be a boolean');
      pretty = x;
    } else {
      if (typeof x !== 'string') throw typeError(`${k} must be a string`);
      if (k === 'indent') indent = x;
      else prefix = x;
    }
  }
  const wantPretty = pretty ?? (indent !== undefined || prefix !== undefined);
  if (!wantPretty) return marshalJson(v);
  return marshalJson(v, indent ?? '\t', prefix ?? '');
}

function parseJsonText(s: string): RegoValue {
  try {
    return fromJson(JSON.parse(s));
  } catch (e) {
    throw new BuiltinError(e instanceof Error ? e.message : String(e));
  }
}

function parseYamlText(s: string): RegoValue {
  try {
    return fromJson(parseYaml(s, { version: '1.1', maxAliasCount: 100 }));
  } catch (e) {
    if (e instanceof YAMLParseError) {
      const line = e.linePos?.[0]?.line ?? 1;
      const what = e.code === 'MISSING_CHAR' || e.code === 'UNEXPECTED_TOKEN' ? "did not find expected ',' or ']'" : e.message.split('\n')[0];
      throw new BuiltinError(`yaml: line ${line}: ${what}`);
    }
    throw new BuiltinError(e instanceof Error ? e.message : String(e));
  }
}

implementAll({
  'base64.encode': (args) => utf8(strArg(args, 0)).toString('base64'),
  'base64.decode': (args) => decodeBase64(strArg(args, 0), false, true),
  'base64.is_valid': (args) => isBase64(strArg(args, 0)),
  'base64url.encode': (args) => {
    const raw = utf8(strArg(args, 0)).toString('base64url');
    return raw + '='.repeat((4 - (raw.length % 4)) % 4);
  },
  'base64url.encode_no_pad': (args) => utf8(strArg(args, 0)).toString('base64url'),
  'base64url.decode': (args) => {
    const s = strArg(args, 0);
    return decodeBase64(s, true, s.length % 4 === 0 && s.endsWith('='));
  },
  'hex.encode': (args) => utf8(strArg(args, 0)).toString('hex'),
  'hex.decode': (args) => hexDecode(strArg(args, 0)),
  'urlquery.encode': (args) => queryEscape(strArg(args, 0)),
  'urlquery.decode': (args) => queryUnescape(strArg(args, 0)),
  'urlquery.encode_object': (args) => encodeObject(args[0] ?? null),
  'urlquery.decode_object': (args) => decodeObject(strArg(args, 0)),
  'json.marshal': (args) => marshalJson(args[0]!),
  'json.marshal_with_options': (args) => marshalWithOptions(args[0]!, args[1]!),
  'json.unmarshal': (args) => parseJsonText(strArg(args, 0)),
  'json.is_valid': ([s]) => {
    if (typeof s !== 'string') return false;
    try {
      JSON.parse(s);
      return true;
    } catch {
      return false;
    }
  },
  'yaml.marshal': (args) => stringifyYaml(toJson(args[0]!), { version: '1.1' }),
  'yaml.unmarshal': (args) => parseYamlText(strArg(args, 0)),
  'yaml.is_valid': ([s]) => {
    if (typeof s !== 'string') return false;
    try {
      parseYamlText(s);
      return true;
    } catch {
      return false;
    }
  },
});
