// Argument checks shared by the host wrapper and the implementations,
// producing OPA's "operand N must be T but got U" messages.

import { BuiltinError, RegoObject, RegoSet, type RegoValue, type TypeSpec } from './types.js';
import { isObject, typeName, type PlainObject } from './value.js';

/** The spec as OPA names it in errors: `string`, `one of {array, set}`. */
export function specName(spec: TypeSpec): string {
  if (spec.type === 'oneOf') return `one of {${spec.of.map(specName).join(', ')}}`;
  return spec.type;
}

/** Shallow match: the value's kind fits the spec (elements are the implementation's business). */
export function matchesSpec(v: RegoValue, spec: TypeSpec): boolean {
  switch (spec.type) {
    case 'any':
      return true;
    case 'oneOf':
      return spec.of.some((s) => matchesSpec(v, s));
    default:
      return typeName(v) === spec.type;
  }
}

export function typeError(message: string): BuiltinError {
  return new BuiltinError(message, 'eval_type_error');
}

/** `operand <pos> must be <expected> but got <type of got>` (pos counts from 1). */
export function operandError(pos: number, expected: string | string[], got: RegoValue): BuiltinError {
  const want = Array.isArray(expected) ? (expected.length === 1 ? expected[0]! : `one of {${expected.join(', ')}}`) : expected;
  return typeError(`operand ${pos} must be ${want} but got ${typeName(got)}`);
}

export function checkArgs(specs: TypeSpec[], args: RegoValue[], variadic?: TypeSpec): void {
  args.forEach((a, i) => {
    const spec = specs[i] ?? variadic;
    if (spec && !matchesSpec(a, spec)) throw typeError(`operand ${i + 1} must be ${specName(spec)} but got ${typeName(a)}`);
  });
}

// Typed accessors: `i` is the 0-based index, messages use 1-based operands.

export function strArg(args: RegoValue[], i: number): string {
  const v = args[i] ?? null;
  if (typeof v !== 'string') throw operandError(i + 1, 'string', v);
  return v;
}

export function numArg(args: RegoValue[], i: number): number {
  const v = args[i] ?? null;
  if (typeof v !== 'number') throw operandError(i + 1, 'number', v);
  return v;
}

export function intArg(args: RegoValue[], i: number): number {
  const n = numArg(args, i);
  if (!Number.isInteger(n)) throw typeError(`operand ${i + 1} must be integer number but got floating-point number`);
  return n;
}

export function boolArg(args: RegoValue[], i: number): boolean {
  const v = args[i] ?? null;
  if (typeof v !== 'boolean') throw operandError(i + 1, 'boolean', v);
  return v;
}

export function arrArg(args: RegoValue[], i: number): RegoValue[] {
  const v = args[i] ?? null;
  if (!Array.isArray(v)) throw operandError(i + 1, 'array', v);
  return v;
}

export function setArg(args: RegoValue[], i: number): RegoSet {
  const v = args[i] ?? null;
  if (!(v instanceof RegoSet)) throw operandError(i + 1, 'set', v);
  return v;
}

export function objArg(args: RegoValue[], i: number): PlainObject | RegoObject {
  const v = args[i] ?? null;
  if (!isObject(v)) throw operandError(i + 1, 'object', v);
  return v;
}

/** `operand 1 must be array of numbers but got array containing string`. */
export function elementError(pos: number, coll: RegoValue, elem: RegoValue, expected: string): BuiltinError {
  return typeError(`operand ${pos} must be ${typeName(coll)} of ${expected}s but got ${typeName(coll)} containing ${typeName(elem)}`);
}
