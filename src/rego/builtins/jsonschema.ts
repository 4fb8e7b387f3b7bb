// json.verify_schema / json.match_schema: JSON Schema (drafts 4, 6, 7) with
// the result and error texts of gojsonschema, which OPA uses. A compact
// validator of our own, so messages and error objects match exactly.

import { implementAll } from './define.js';
import { BuiltinError, RegoSet, type RegoValue } from './types.js';
import { toJson } from './value.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Schema = { [k: string]: Json } | boolean;

const PRIMITIVES = ['array', 'boolean', 'integer', 'number', 'null', 'object', 'string'];

class SchemaError extends Error {}

interface ResultError {
  type: string;
  field: string;
  desc: string;
}

function jsonOperand(v: RegoValue, pos: number): Json {
  if (typeof v === 'string') {
    try {
      return JSON.parse(v) as Json;
    } catch (e) {
      throw new BuiltinError(`operand ${pos} must be a valid JSON: ${(e as Error).message}`);
    }
  }
  if (v !== null && typeof v === 'object' && !(v instanceof RegoSet)) return toJson(v) as Json;
  throw new BuiltinError(`operand ${pos} must be one of {string, object} but got ${v instanceof RegoSet ? 'set' : v === null ? 'null' : typeof v}`, 'eval_type_error');
}

const isObj = (j: Json | undefined): j is { [k: string]: Json } => typeof j === 'object' && j !== null && !Array.isArray(j);

function typeOf(j: Json): string {
  if (j === null) return 'null';
  if (Array.isArray(j)) return 'array';
  if (typeof j === 'number') return Number.isInteger(j) ? 'integer' : 'number';
  return typeof j;
}

/** Schema checks gojsonschema performs when loading a schema. */
function checkSchema(s: Json): void {
  if (typeof s === 'boolean') return;
  if (!isObj(s)) throw new SchemaError('schema must be an object');
  const t = s.type;
  if (t !== undefined) {
    const list = Array.isArray(t) ? t : [t];
    for (const x of list) {
      if (typeof x !== 'string' || !PRIMITIVES.includes(x)) {
        throw new SchemaError(`has a primitive type that is NOT VALID -- given: /${String(x)}/ Expected valid values are:[${PRIMITIVES.join(' ')}]`);
      }
    }
  }
  for (const k of ['properties', 'patternProperties', 'definitions', '$defs']) if (isObj(s[k])) for (const sub of Object.values(s[k])) checkSchema(sub);
  for (const k of ['items', 'additionalProperties', 'additionalItems', 'not', 'contains', 'propertyNames', 'if', 'then', 'else']) {
    const sub = s[k];
    if (Array.isArray(sub)) sub.forEach(checkSchema);
    else if (sub !== undefined && typeof sub !== 'boolean') checkSchema(sub);
  }
  for (const k of ['allOf', 'anyOf', 'oneOf']) if (Array.isArray(s[k])) (s[k] as Json[]).forEach(checkSchema);
}

function deepEqual(a: Json, b: Json): boolean {
  return JSON.stringify(canon(a)) === JSON.stringify(canon(b));
}

function canon(j: Json): Json {
  if (Array.isArray(j)) return j.map(canon);
  if (isObj(j)) return Object.fromEntries(Object.keys(j).sort().map((k) => [k, canon(j[k]!)]));
  return j;
}

class Validator {
  readonly errors: ResultError[] = [];
  constructor(private readonly root: Schema) {}

  private fail(type: string, path: string[], desc: string): void {
    this.errors.push({ type, field: path.length ? path.join('.') : '(root)', desc });
  }

  private resolve(ref: string): Schema {
    if (!ref.startsWith('#')) throw new BuiltinError(`unsupported $ref ${ref}`);
    let cur: Json = this.root as Json;
    for (const part of ref.slice(1).split('/').filter(Boolean)) {
      const key = decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~');
      cur = isObj(cur) ? (cur[key] ?? null) : Array.isArray(cur) ? (cur[Number(key)] ?? null) : null;
    }
    return cur as Schema;
  }

  /** Whether `v` matches `s` (without recording errors). */
  private matches(s: Schema, v: Json, path: string[]): boolean {
    const sub = new Validator(this.root);
    sub.validate(s, v, path);
    return sub.errors.length === 0;
  }

  validate(s: Schema, v: Json, path: string[] = []): void {
    if (s === true) return;
    if (s === false) return this.fail('false', path, 'False always fails validation');
    if (typeof s.$ref === 'string') return this.validate(this.resolve(s.$ref), v, path);
    const t = typeOf(v);
    if (s.type !== undefined) {
      const types = (Array.isArray(s.type) ? s.type : [s.type]) as string[];
      const ok = types.includes(t) || (t === 'integer' && types.includes('number'));
      if (!ok) return this.fail('invalid_type', path, `Invalid type. Expected: ${types.join('/')}, given: ${t}`);
    }
    if (Array.isArray(s.enum) && !s.enum.some((e) => deepEqual(e, v))) {
      this.fail('enum', path, `${path.length ? path.join('.') : '(root)'} must be one of the following: ${s.enum.map((e) => JSON.stringify(e)).join(', ')}`);
    }
    if (s.const !== undefined && !deepEqual(s.const, v)) this.fail('const', path, `${path.length ? path.join('.') : '(root)'} does not match: ${JSON.stringify(s.const)}`);
    if (typeof v === 'number') this.number(s, v, path);
    if (typeof v === 'string') this.string(s, v, path);
    if (Array.isArray(v)) this.array(s, v, path);
    if (isObj(v)) this.object(s, v, path);
    if (Array.isArray(s.allOf) && !s.allOf.every((x) => this.matches(x as Schema, v, path))) {
      for (const x of s.allOf) this.validate(x as Schema, v, path);
      this.fail('number_all_of', path, 'Must validate all the schemas (allOf)');
    }
    if (Array.isArray(s.anyOf) && !s.anyOf.some((x) => this.matches(x as Schema, v, path))) this.fail('number_any_of', path, 'Must validate at least one schema (anyOf)');
    if (Array.isArray(s.oneOf) && s.oneOf.filter((x) => this.matches(x as Schema, v, path)).length !== 1) this.fail('number_one_of', path, 'Must validate one and only one schema (oneOf)');
    if (s.not !== undefined && this.matches(s.not as Schema, v, path)) this.fail('number_not', path, 'Must not validate the schema (not)');
    if (s.if !== undefined) {
      const branch = this.matches(s.if as Schema, v, path) ? s.then : s.else;
      if (branch !== undefined) this.validate(branch as Schema, v, path);
    }
  }

  private number(s: { [k: string]: Json }, v: number, path: string[]): void {
    const num = (k: string) => (typeof s[k] === 'number' ? (s[k] as number) : undefined);
    const min = num('minimum');
    const max = num('maximum');
    // Draft 4 writes exclusive bounds as booleans next to minimum/maximum.
    if (min !== undefined && (s.exclusiveMinimum === true ? v <= min : v < min))
      this.fail(s.exclusiveMinimum === true ? 'number_gt' : 'number_gte', path, `Must be ${s.exclusiveMinimum === true ? 'greater than' : 'greater than or equal to'} ${min}`);
    if (max !== undefined && (s.exclusiveMaximum === true ? v >= max : v > max))
      this.fail(s.exclusiveMaximum === true ? 'number_lt' : 'number_lte', path, `Must be ${s.exclusiveMaximum === true ? 'less than' : 'less than or equal to'} ${max}`);
    const emin = num('exclusiveMinimum');
    if (emin !== undefined && v <= emin) this.fail('number_gt', path, `Must be greater than ${emin}`);
    const emax = num('exclusiveMaximum');
    if (emax !== undefined && v >= emax) this.fail('number_lt', path, `Must be less than ${emax}`);
    const mult = num('multipleOf');
    if (mult !== undefined && !Number.isInteger(v / mult)) this.fail('multiple_of', path, `Must be a multiple of ${mult}`);
  }

  private string(s: { [k: string]: Json }, v: string, path: string[]): void {
    const len = [...v].length;
    if (typeof s.minLength === 'number' && len < s.minLength) this.fail('string_gte', path, `String length must be greater than or equal to ${s.minLength}`);
    if (typeof s.maxLength === 'number' && len > s.maxLength) this.fail('string_lte', path, `String length must be less than or equal to ${s.maxLength}`);
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(v)) this.fail('pattern', path, `Does not match pattern '${s.pattern}'`);
  }

  private array(s: { [k: string]: Json }, v: Json[], path: string[]): void {
    if (typeof s.minItems === 'number' && v.length < s.minItems) this.fail('array_min_items', path, `Array must have at least ${s.minItems} items`);
    if (typeof s.maxItems === 'number' && v.length > s.maxItems) this.fail('array_max_items', path, `Array must have at most ${s.maxItems} items`);
    if (s.uniqueItems === true) {
      for (let i = 0; i < v.length; i++)
        for (let j = i + 1; j < v.length; j++) if (deepEqual(v[i]!, v[j]!)) this.fail('unique', path, `array items[${i},${j}] must be unique`);
    }
    if (Array.isArray(s.items)) {
      v.forEach((x, i) => {
        const items = s.items as Json[];
        if (i < items.length) this.validate(items[i] as Schema, x, [...path, String(i)]);
        else if (s.additionalItems === false) this.fail('array_no_additional_items', path, 'No additional items allowed on array');
        else if (isObj(s.additionalItems)) this.validate(s.additionalItems, x, [...path, String(i)]);
      });
    } else if (s.items !== undefined) v.forEach((x, i) => this.validate(s.items as Schema, x, [...path, String(i)]));
    if (s.contains !== undefined && !v.some((x) => this.matches(s.contains as Schema, x, path))) this.fail('contains', path, 'At least one of the items must match');
  }

  private object(s: { [k: string]: Json }, v: { [k: string]: Json }, path: string[]): void {
    const keys = Object.keys(v);
    if (typeof s.minProperties === 'number' && keys.length < s.minProperties) this.fail('array_min_properties', path, `Must have at least ${s.minProperties} properties`);
    if (typeof s.maxProperties === 'number' && keys.length > s.maxProperties) this.fail('array_max_properties', path, `Must have at most ${s.maxProperties} properties`);
    if (Array.isArray(s.required)) for (const r of s.required) if (typeof r === 'string' && !(r in v)) this.fail('required', path, `${r} is required`);
    const props = isObj(s.properties) ? s.properties : {};
    const patterns = isObj(s.patternProperties) ? Object.entries(s.patternProperties).map(([p, sub]) => [new RegExp(p, 'u'), sub] as const) : [];
    for (const k of keys) {
      let known = false;
      if (k in props) {
        known = true;
        this.validate(props[k] as Schema, v[k]!, [...path, k]);
      }
      for (const [re, sub] of patterns) {
        if (re.test(k)) {
          known = true;
          this.validate(sub as Schema, v[k]!, [...path, k]);
        }
      }
      if (!known && s.additionalProperties === false) this.fail('additional_property_not_allowed', path, `Additional property ${k} is not allowed`);
      else if (!known && isObj(s.additionalProperties)) this.validate(s.additionalProperties, v[k]!, [...path, k]);
      if (s.propertyNames !== undefined && !this.matches(s.propertyNames as Schema, k, path)) this.fail('invalid_property_name', path, `Property "${k}" does not match pattern`);
    }
    if (isObj(s.dependencies)) {
      for (const [k, dep] of Object.entries(s.dependencies)) {
        if (!(k in v)) continue;
        if (Array.isArray(dep)) for (const d of dep) if (typeof d === 'string' && !(d in v)) this.fail('missing_dependency', path, `Has a dependency on ${d}`);
        if (isObj(dep) || typeof dep === 'boolean') this.validate(dep as Schema, v, path);
      }
    }
  }
}

function loadSchema(v: RegoValue, pos: number): Schema {
  const s = jsonOperand(v, pos);
  checkSchema(s);
  return s as Schema;
}

implementAll({
  'json.verify_schema': (args) => {
    try {
      loadSchema(args[0]!, 1);
      return [true, null];
    } catch (e) {
      if (e instanceof SchemaError) return [false, `jsonschema: ${e.message}`];
      throw e;
    }
  },
  'json.match_schema': (args) => {
    const doc = jsonOperand(args[0]!, 1);
    let schema: Schema;
    try {
      schema = loadSchema(args[1]!, 2);
    } catch (e) {
      if (e instanceof SchemaError) throw new BuiltinError(e.message);
      throw e;
    }
    const v = new Validator(schema);
    v.validate(schema, doc);
    const errors: RegoValue[] = v.errors.map((e) => ({ error: `${e.field}: ${e.desc}`, type: e.type, field: e.field, desc: e.desc }));
    return [errors.length === 0, errors];
  },
});
