// Declarations of every builtin OPA knows (as listed in OPA's "Built-in
// Functions" reference), so the compile stage can check arity and types.
// Implementations are attached by the group modules through `declare` with
// the same name; the registry merges them into these declarations.
//
// Union argument types list their members in the order OPA's runtime error
// messages name them ("operand 2 must be one of {object, set, array}").

import { declare } from './registry.js';
import type { BuiltinDecl, TypeSpec } from './types.js';

const any: TypeSpec = { type: 'any' };
const str: TypeSpec = { type: 'string' };
const num: TypeSpec = { type: 'number' };
const bool: TypeSpec = { type: 'boolean' };
const nul: TypeSpec = { type: 'null' };
const arr = (of?: TypeSpec): TypeSpec => (of ? { type: 'array', of } : { type: 'array' });
const set = (of?: TypeSpec): TypeSpec => (of ? { type: 'set', of } : { type: 'set' });
const obj = (key?: TypeSpec, value?: TypeSpec): TypeSpec =>
  key || value ? { type: 'object', ...(key ? { key } : {}), ...(value ? { value } : {}) } : { type: 'object' };
const oneOf = (...of: TypeSpec[]): TypeSpec => ({ type: 'oneOf', of });

type Extra = Pick<BuiltinDecl, 'nondeterministic' | 'infix' | 'variadic'>;
const fn = (name: string, args: TypeSpec[], result: TypeSpec, extra: Extra = {}): BuiltinDecl => ({
  name,
  args,
  result,
  ...extra,
});

const strOrArr = oneOf(str, arr(str));
const arrOrSet = (of?: TypeSpec) => oneOf(arr(of), set(of));
const timeArg = oneOf(num, arr(any));
const gqlDoc = oneOf(str, obj());

const cmp = (name: string, infix: string) => fn(name, [any, any], bool, { infix });
const arith = (name: string, infix: string) => fn(name, [num, num], num, { infix });

export const CATALOG: BuiltinDecl[] = [
  // operators
  cmp('eq', '='),
  cmp('assign', ':='),
  cmp('equal', '=='),
  cmp('neq', '!='),
  cmp('lt', '<'),
  cmp('lte', '<='),
  cmp('gt', '>'),
  cmp('gte', '>='),
  arith('plus', '+'),
  fn('minus', [oneOf(num, set()), oneOf(num, set())], oneOf(num, set()), { infix: '-' }),
  arith('mul', '*'),
  arith('div', '/'),
  arith('rem', '%'),
  fn('and', [set(), set()], set(), { infix: '&' }),
  fn('or', [set(), set()], set(), { infix: '|' }),
  fn('internal.member_2', [any, any], bool),
  fn('internal.member_3', [any, any, any], bool),
  fn('internal.print', [arr(set())], bool),
  fn('print', [], bool, { variadic: any }),
  fn('trace', [str], bool),
  fn('internal.template_string', [arr(any)], str),

  // numbers
  fn('abs', [num], num),
  fn('ceil', [num], num),
  fn('floor', [num], num),
  fn('round', [num], num),
  fn('numbers.range', [num, num], arr(num)),
  fn('numbers.range_step', [num, num, num], arr(num)),
  fn('rand.intn', [str, num], num, { nondeterministic: true }),

  // aggregates
  fn('count', [oneOf(arr(), obj(), set(), str)], num),
  fn('sum', [arrOrSet(num)], num),
  fn('product', [arrOrSet(num)], num),
  fn('max', [arrOrSet()], any),
  fn('min', [arrOrSet()], any),
  fn('sort', [arrOrSet()], arr()),
  fn('all', [oneOf(set(), arr())], bool),
  fn('any', [oneOf(set(), arr())], bool),

  // arrays
  fn('array.concat', [arr(), arr()], arr()),
  fn('array.slice', [arr(), num, num], arr()),
  fn('array.reverse', [arr()], arr()),
  fn('array.flatten', [arr()], arr()),

  // sets
  fn('intersection', [set(set())], set()),
  fn('union', [set(set())], set()),
  fn('set_diff', [set(), set()], set()),

  // objects
  fn('json.filter', [obj(), oneOf(set(), arr())], any),
  fn('json.remove', [obj(), oneOf(set(), arr())], any),
  fn('json.patch', [any, arr(obj())], any),
  fn('object.filter', [obj(), oneOf(obj(), set(), arr())], any),
  fn('object.remove', [obj(), oneOf(obj(), set(), arr())], any),
  fn('object.get', [obj(), any, any], any),
  fn('object.keys', [obj()], set()),
  fn('object.subset', [oneOf(obj(), arr(), set()), oneOf(obj(), arr(), set())], bool),
  fn('object.union', [obj(), obj()], any),
  fn('object.union_n', [arr(obj())], any),

  // strings
  fn('concat', [str, arrOrSet(str)], str),
  fn('contains', [str, str], bool),
  fn('endswith', [str, str], bool),
  fn('startswith', [str, str], bool),
  fn('format_int', [num, num], str),
  fn('indexof', [str, str], num),
  fn('indexof_n', [str, str], arr(num)),
  fn('lower', [str], str),
  fn('upper', [str], str),
  fn('replace', [str, str, str], str),
  fn('split', [str, str], arr(str)),
  fn('sprintf', [str, arr()], str),
  fn('substring', [str, num, num], str),
  fn('trim', [str, str], str),
  fn('trim_left', [str, str], str),
  fn('trim_right', [str, str], str),
  fn('trim_prefix', [str, str], str),
  fn('trim_suffix', [str, str], str),
  fn('trim_space', [str], str),
  fn('strings.any_prefix_match', [oneOf(str, set(), arr()), oneOf(str, set(), arr())], bool),
  fn('strings.any_suffix_match', [oneOf(str, set(), arr()), oneOf(str, set(), arr())], bool),
  fn('strings.count', [str, str], num),
  fn('strings.render_template', [str, obj()], str),
  fn('strings.replace_n', [obj(str, str), str], str),
  fn('strings.reverse', [str], str),

  // regex and glob
  fn('re_match', [str, str], bool),
  fn('regex.match', [str, str], bool),
  fn('regex.is_valid', [any], bool),
  fn('regex.find_n', [str, str, num], arr(str)),
  fn('regex.find_all_string_submatch_n', [str, str, num], arr(arr(str))),
  fn('regex.globs_match', [str, str], bool),
  fn('regex.replace', [str, str, str], str),
  fn('regex.split', [str, str], arr(str)),
  fn('regex.template_match', [str, str, str, str], bool),
  fn('glob.match', [str, oneOf(arr(str), nul), str], bool),
  fn('glob.quote_meta', [str], str),

  // bits
  fn('bits.and', [num, num], num),
  fn('bits.or', [num, num], num),
  fn('bits.xor', [num, num], num),
  fn('bits.lsh', [num, num], num),
  fn('bits.rsh', [num, num], num),
  fn('bits.negate', [num], num),

  // conversions and types
  fn('to_number', [oneOf(nul, bool, num, str)], num),
  fn('units.parse', [str], num),
  fn('units.parse_bytes', [str], num),
  fn('is_array', [any], bool),
  fn('is_boolean', [any], bool),
  fn('is_null', [any], bool),
  fn('is_number', [any], bool),
  fn('is_object', [any], bool),
  fn('is_set', [any], bool),
  fn('is_string', [any], bool),
  fn('type_name', [any], str),
  fn('cast_array', [any], arr()),
  fn('cast_boolean', [any], bool),
  fn('cast_null', [any], nul),
  fn('cast_object', [any], obj()),
  fn('cast_set', [any], set()),
  fn('cast_string', [any], str),

  // encoding
  fn('base64.decode', [str], str),
  fn('base64.encode', [str], str),
  fn('base64.is_valid', [str], bool),
  fn('base64url.decode', [str], str),
  fn('base64url.encode', [str], str),
  fn('base64url.encode_no_pad', [str], str),
  fn('hex.decode', [str], str),
  fn('hex.encode', [str], str),
  fn('json.is_valid', [any], bool),
  fn('json.marshal', [any], str),
  fn('json.marshal_with_options', [any, obj(str, any)], str),
  fn('json.unmarshal', [str], any),
  fn('urlquery.decode', [str], str),
  fn('urlquery.decode_object', [str], obj(str, arr(str))),
  fn('urlquery.encode', [str], str),
  fn('urlquery.encode_object', [obj(str, oneOf(str, arr(str), set(str)))], str),
  fn('yaml.is_valid', [any], bool),
  fn('yaml.marshal', [any], str),
  fn('yaml.unmarshal', [str], any),

  // time
  fn('time.now_ns', [], num, { nondeterministic: true }),
  fn('time.parse_ns', [str, str], num),
  fn('time.parse_rfc3339_ns', [str], num),
  fn('time.parse_duration_ns', [str], num),
  fn('time.format', [oneOf(num, arr(any))], str),
  fn('time.date', [timeArg], arr(num)),
  fn('time.clock', [timeArg], arr(num)),
  fn('time.weekday', [timeArg], str),
  fn('time.add_date', [num, num, num, num], num),
  fn('time.diff', [timeArg, timeArg], arr(num)),

  // net
  fn('net.cidr_contains', [str, str], bool),
  fn('net.cidr_contains_matches', [oneOf(str, arr(), set(), obj()), oneOf(str, arr(), set(), obj())], set(arr())),
  fn('net.cidr_expand', [str], set(str)),
  fn('net.cidr_intersects', [str, str], bool),
  fn('net.cidr_overlap', [str, str], bool),
  fn('net.cidr_is_valid', [str], bool),
  fn('net.cidr_merge', [oneOf(arr(str), set(str))], set(str)),
  fn('net.lookup_ip_addr', [str], set(str), { nondeterministic: true }),

  // misc
  fn('uuid.rfc4122', [str], str, { nondeterministic: true }),
  fn('uuid.parse', [str], obj(str, any)),
  fn('semver.compare', [str, str], num),
  fn('semver.is_valid', [any], bool),
  fn('graph.reachable', [obj(any, oneOf(arr(), set())), oneOf(arr(), set())], set()),
  fn('graph.reachable_paths', [obj(any, oneOf(arr(), set())), oneOf(arr(), set())], set(arr())),
  fn('walk', [any], arr()),
  fn('opa.runtime', [], obj(str, any), { nondeterministic: true }),
  fn('http.send', [obj(str, any)], obj(), { nondeterministic: true }),
  fn('test.sleep', [str], nul, { nondeterministic: true }),

  // part B: crypto, tokens, x509, graphql, json schema, aws, rego.*
  fn('crypto.md5', [str], str),
  fn('crypto.sha1', [str], str),
  fn('crypto.sha256', [str], str),
  fn('crypto.hmac.md5', [str, str], str),
  fn('crypto.hmac.sha1', [str, str], str),
  fn('crypto.hmac.sha256', [str, str], str),
  fn('crypto.hmac.sha512', [str, str], str),
  fn('crypto.hmac.equal', [str, str], bool),
  fn('crypto.parse_private_keys', [str], arr(obj())),
  fn('crypto.x509.parse_certificates', [str], arr(obj())),
  fn('crypto.x509.parse_and_verify_certificates', [str], arr()),
  fn('crypto.x509.parse_and_verify_certificates_with_options', [str, obj()], arr()),
  fn('crypto.x509.parse_certificate_request', [str], obj()),
  fn('crypto.x509.parse_keypair', [str, str], obj()),
  fn('crypto.x509.parse_rsa_private_key', [str], obj()),
  fn('io.jwt.decode', [str], arr()),
  fn('io.jwt.decode_verify', [str, obj()], arr()),
  fn('io.jwt.encode_sign', [obj(), obj(), obj()], str),
  fn('io.jwt.encode_sign_raw', [str, str, str], str),
  ...['es256', 'es384', 'es512', 'eddsa', 'hs256', 'hs384', 'hs512', 'ps256', 'ps384', 'ps512', 'rs256', 'rs384', 'rs512'].map(
    (alg) => fn(`io.jwt.verify_${alg}`, [str, str], bool),
  ),
  fn('graphql.is_valid', [gqlDoc, gqlDoc], bool),
  fn('graphql.parse', [str, gqlDoc], arr()),
  fn('graphql.parse_and_verify', [str, gqlDoc], arr()),
  fn('graphql.parse_query', [str], obj()),
  fn('graphql.parse_schema', [str], obj()),
  fn('graphql.schema_is_valid', [gqlDoc], bool),
  fn('json.match_schema', [gqlDoc, gqlDoc], arr()),
  fn('json.verify_schema', [gqlDoc], arr()),
  fn('providers.aws.sign_req', [obj(), obj(), num], obj()),
  fn('rego.metadata.chain', [], arr()),
  fn('rego.metadata.rule', [], any),
  fn('rego.parse_module', [str, str], obj()),
];

declare(...CATALOG);
