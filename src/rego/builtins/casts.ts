// Type tests, type_name, to_number and the deprecated cast_* builtins.

import { implementAll } from './define.js';
import { operandError, typeError } from './operands.js';
import { BuiltinError, RegoSet, type RegoValue } from './types.js';
import { isObject, makeSet, typeName } from './value.js';

/** Go's strconv.ParseFloat accepts these spellings of non-finite values; OPA rejects them as a type error. */
const NON_FINITE = /^[+-]?(inf|infinity|nan)$/i;
/** Go json.Number-compatible decimal text (plus Go's extras: leading +, hex floats are not expected). */
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function toNumber(v: RegoValue): number {
  if (v === null) return 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (NON_FINITE.test(v)) throw typeError('operand 1 must be a finite number');
    if (!DECIMAL.test(v)) throw new BuiltinError(`strconv.ParseFloat: parsing ${JSON.stringify(v)}: invalid syntax`);
    return Number(v);
  }
  throw operandError(1, ['null', 'boolean', 'number', 'string'], v);
}

const is = (t: string) => ([v]: RegoValue[]) => typeName(v!) === t;

implementAll({
  is_null: is('null'),
  is_boolean: is('boolean'),
  is_number: is('number'),
  is_string: is('string'),
  is_array: is('array'),
  is_object: is('object'),
  is_set: is('set'),
  type_name: ([v]) => typeName(v!),
  to_number: ([v]) => toNumber(v!),
  cast_array: ([v]) => {
    if (Array.isArray(v)) return v;
    if (v instanceof RegoSet) return [...v.items];
    throw operandError(1, 'array', v!);
  },
  cast_set: ([v]) => {
    if (v instanceof RegoSet) return v;
    if (Array.isArray(v)) return makeSet(v);
    throw operandError(1, 'set', v!);
  },
  cast_string: ([v]) => {
    if (typeof v !== 'string') throw operandError(1, 'string', v!);
    return v;
  },
  cast_boolean: ([v]) => {
    if (typeof v !== 'boolean') throw operandError(1, 'boolean', v!);
    return v;
  },
  cast_null: ([v]) => {
    if (v !== null) throw operandError(1, 'null', v!);
    return null;
  },
  cast_object: ([v]) => {
    if (!isObject(v!)) throw operandError(1, 'object', v!);
    return v!;
  },
});
