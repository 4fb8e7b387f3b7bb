// graphql.*: parsing and validating GraphQL queries and schemas. OPA uses
// the Go library gqlparser; we parse and validate with graphql-js (whose
// messages gqlparser mirrors) and return ASTs in gqlparser's JSON shape,
// pruned as OPA prunes them (no positions, no null or empty values).
// Schemas and queries may also be given as such AST objects; they are
// printed back to GraphQL source first.

import type {
  GraphQLError,
  ArgumentNode,
  ConstDirectiveNode,
  DefinitionNode,
  DirectiveNode,
  DocumentNode,
  FieldDefinitionNode,
  GraphQLSchema,
  InputValueDefinitionNode,
  SelectionNode,
  TypeNode,
  ValueNode,
  VariableDefinitionNode,
} from 'graphql';
import { graphqlLibrary as gql } from '../../lazy-libraries.js';
import { implementAll } from './define.js';
import { declare } from './registry.js';
import { BuiltinError, RegoSet, type RegoValue, type TypeSpec } from './types.js';
import { isPlainObject, toJson } from './value.js';

type Obj = { [k: string]: RegoValue };

// ---------------------------------------------------------------- errors

const PUNCTUATORS = new Set(['!', '?.', '$', '&', '(', ')', '...', ':', '=', '@', '[', ']', '{', '|', '}']);

/** graphql-js text → gqlparser text ("Syntax Error: Expected Name, found "}"." → "Expected Name, found }"). */
function gqlMessage(e: GraphQLError): string {
  let m = e.message.replace(/^Syntax Error: /, '').replace(/\.$/, '');
  m = m.replace(/^Unexpected variable "\$[^"]*" in constant value$/, 'Unexpected $');
  m = m.replace(/"([^"\s]{1,3})"/g, (all, p: string) => (PUNCTUATORS.has(p) ? p : all));
  return m;
}

function located(e: GraphQLError, where: string): string {
  const loc = e.locations?.[0];
  return loc ? `${gqlMessage(e)} in GraphQL ${where} at location ${loc.line}:${loc.column}` : `${gqlMessage(e)} in GraphQL ${where}`;
}

function parseSource(src: string, where: string): DocumentNode {
  // gqlparser reads a blank document as one with no definitions; graphql-js rejects it.
  if (src.replace(/#[^\n\r]*/g, '').replace(/[\s,\ufeff]+/g, '') === '') return { kind: gql().Kind.DOCUMENT, definitions: [] };
  try {
    return gql().parse(src, { allowLegacyFragmentVariables: true });
  } catch (e) {
    if (!(e instanceof gql().GraphQLError)) throw e;
    // gqlparser rejects an empty selection set with its own wording.
    const loc = e.locations?.[0];
    if (loc && /found "}"/.test(e.message)) {
      const line = src.split('\n')[loc.line - 1] ?? '';
      const before = line.slice(0, loc.column - 1).trimEnd();
      if (before.endsWith('{')) throw new BuiltinError(`expected at least one definition, found } in GraphQL ${where} at location ${loc.line}:${loc.column}`);
    }
    throw new BuiltinError(located(e, where));
  }
}

// ---------------------------------------------------------------- to gqlparser JSON

const VALUE_KIND: Record<string, number> = {
  Variable: 0,
  IntValue: 1,
  FloatValue: 2,
  StringValue: 3,
  BooleanValue: 5,
  NullValue: 6,
  EnumValue: 7,
  ListValue: 8,
  ObjectValue: 9,
};

function valueJson(v: ValueNode): Obj {
  const out: Obj = { Raw: '', Children: [], Kind: VALUE_KIND[v.kind]!, ExpectedTypeHasDefault: false };
  switch (v.kind) {
    case gql().Kind.VARIABLE:
      out.Raw = v.name.value;
      break;
    case gql().Kind.INT:
    case gql().Kind.FLOAT:
    case gql().Kind.ENUM:
      out.Raw = v.value;
      break;
    case gql().Kind.STRING:
      out.Raw = v.value;
      if (v.block) out.Kind = 4;
      break;
    case gql().Kind.BOOLEAN:
      out.Raw = String(v.value);
      break;
    case gql().Kind.NULL:
      out.Raw = 'null';
      break;
    case gql().Kind.LIST:
      out.Children = v.values.map((x) => ({ Name: '', Value: valueJson(x) }));
      break;
    case gql().Kind.OBJECT:
      out.Children = v.fields.map((f) => ({ Name: f.name.value, Value: valueJson(f.value) }));
      break;
  }
  return out;
}

function typeJson(t: TypeNode): Obj {
  if (t.kind === gql().Kind.NON_NULL_TYPE) return { ...typeJson(t.type), NonNull: true };
  if (t.kind === gql().Kind.LIST_TYPE) return { NamedType: '', Elem: typeJson(t.type), NonNull: false };
  return { NamedType: t.name.value, NonNull: false };
}

const argsJson = (args: readonly ArgumentNode[] | undefined): RegoValue[] =>
  (args ?? []).map((a) => ({ Name: a.name.value, Value: valueJson(a.value) }));

const directivesJson = (ds: readonly (DirectiveNode | ConstDirectiveNode)[] | undefined): RegoValue[] =>
  (ds ?? []).map((d) => ({ Name: d.name.value, Arguments: argsJson(d.arguments), Location: '' }));

function selectionJson(s: SelectionNode): Obj {
  switch (s.kind) {
    case gql().Kind.FIELD:
      return {
        Alias: (s.alias ?? s.name).value,
        Name: s.name.value,
        Arguments: argsJson(s.arguments),
        Directives: directivesJson(s.directives),
        SelectionSet: (s.selectionSet?.selections ?? []).map(selectionJson),
      };
    case gql().Kind.FRAGMENT_SPREAD:
      return { Name: s.name.value, Directives: directivesJson(s.directives) };
    case gql().Kind.INLINE_FRAGMENT:
      return {
        TypeCondition: s.typeCondition?.name.value ?? '',
        Directives: directivesJson(s.directives),
        SelectionSet: s.selectionSet.selections.map(selectionJson),
      };
  }
}

function variableJson(v: VariableDefinitionNode): Obj {
  return {
    Variable: v.variable.name.value,
    Type: typeJson(v.type),
    DefaultValue: v.defaultValue ? valueJson(v.defaultValue) : null,
    Directives: directivesJson(v.directives),
    Used: false,
  };
}

function queryJson(doc: DocumentNode): Obj {
  const ops: RegoValue[] = [];
  const frags: RegoValue[] = [];
  for (const d of doc.definitions) {
    if (d.kind === gql().Kind.OPERATION_DEFINITION) {
      ops.push({
        Operation: d.operation,
        Name: d.name?.value ?? '',
        VariableDefinitions: (d.variableDefinitions ?? []).map(variableJson),
        Directives: directivesJson(d.directives),
        SelectionSet: d.selectionSet.selections.map(selectionJson),
      });
    } else if (d.kind === gql().Kind.FRAGMENT_DEFINITION) {
      frags.push({
        Name: d.name.value,
        VariableDefinition: (d.variableDefinitions ?? []).map(variableJson),
        TypeCondition: d.typeCondition.name.value,
        Directives: directivesJson(d.directives),
        SelectionSet: d.selectionSet.selections.map(selectionJson),
      });
    } else throw new BuiltinError(`Unexpected ${d.kind} in GraphQL query`);
  }
  return { Operations: ops, Fragments: frags };
}

function inputValueJson(a: InputValueDefinitionNode): Obj {
  return {
    Description: a.description?.value ?? '',
    Name: a.name.value,
    DefaultValue: a.defaultValue ? valueJson(a.defaultValue) : null,
    Type: typeJson(a.type),
    Directives: directivesJson(a.directives),
  };
}

function fieldJson(f: FieldDefinitionNode | InputValueDefinitionNode): Obj {
  if (f.kind === gql().Kind.INPUT_VALUE_DEFINITION) return inputValueJson(f);
  return {
    Description: f.description?.value ?? '',
    Name: f.name.value,
    Arguments: (f.arguments ?? []).map(inputValueJson),
    Type: typeJson(f.type),
    Directives: directivesJson(f.directives),
  };
}

const TYPE_KINDS: Record<string, string> = {
  ScalarTypeDefinition: 'SCALAR',
  ObjectTypeDefinition: 'OBJECT',
  InterfaceTypeDefinition: 'INTERFACE',
  UnionTypeDefinition: 'UNION',
  EnumTypeDefinition: 'ENUM',
  InputObjectTypeDefinition: 'INPUT_OBJECT',
  ScalarTypeExtension: 'SCALAR',
  ObjectTypeExtension: 'OBJECT',
  InterfaceTypeExtension: 'INTERFACE',
  UnionTypeExtension: 'UNION',
  EnumTypeExtension: 'ENUM',
  InputObjectTypeExtension: 'INPUT_OBJECT',
};

function definitionJson(d: DefinitionNode): Obj {
  const n = d as DefinitionNode & {
    name: { value: string };
    description?: { value: string };
    directives?: readonly ConstDirectiveNode[];
    interfaces?: readonly { name: { value: string } }[];
    fields?: readonly (FieldDefinitionNode | InputValueDefinitionNode)[];
    types?: readonly { name: { value: string } }[];
    values?: readonly { name: { value: string }; description?: { value: string }; directives?: readonly ConstDirectiveNode[] }[];
  };
  return {
    Kind: TYPE_KINDS[d.kind]!,
    Description: n.description?.value ?? '',
    Name: n.name.value,
    Directives: directivesJson(n.directives),
    Interfaces: (n.interfaces ?? []).map((i) => i.name.value),
    Fields: (n.fields ?? []).map(fieldJson),
    Types: (n.types ?? []).map((t) => t.name.value),
    EnumValues: (n.values ?? []).map((v) => ({ Description: v.description?.value ?? '', Name: v.name.value, Directives: directivesJson(v.directives) })),
    BuiltIn: false,
  };
}

function schemaJson(doc: DocumentNode): Obj {
  const out: Record<string, RegoValue[]> = { Schema: [], SchemaExtension: [], Directives: [], Definitions: [], Extensions: [] };
  for (const d of doc.definitions) {
    switch (d.kind) {
      case gql().Kind.SCHEMA_DEFINITION:
      case gql().Kind.SCHEMA_EXTENSION:
        out[d.kind === gql().Kind.SCHEMA_DEFINITION ? 'Schema' : 'SchemaExtension']!.push({
          Description: d.kind === gql().Kind.SCHEMA_DEFINITION ? (d.description?.value ?? '') : '',
          Directives: directivesJson(d.directives),
          OperationTypes: (d.operationTypes ?? []).map((o) => ({ Operation: o.operation, Type: o.type.name.value })),
        });
        break;
      case gql().Kind.DIRECTIVE_DEFINITION:
        out.Directives!.push({
          Description: d.description?.value ?? '',
          Name: d.name.value,
          Arguments: (d.arguments ?? []).map(inputValueJson),
          Locations: d.locations.map((l) => l.value),
          IsRepeatable: d.repeatable,
        });
        break;
      default:
        if (d.kind.endsWith('TypeDefinition')) out.Definitions!.push(definitionJson(d));
        else if (d.kind.endsWith('TypeExtension')) out.Extensions!.push(definitionJson(d));
        else throw new BuiltinError(`Unexpected ${d.kind} in GraphQL schema`);
    }
  }
  return out;
}

/** OPA's pruneIrrelevantGraphQLASTNodes: drop Position, nulls and empty arrays/objects. */
function prune(v: RegoValue): RegoValue {
  if (Array.isArray(v)) {
    const out: RegoValue[] = [];
    for (const x of v) {
      if (x === null) continue;
      const p = prune(x);
      if ((Array.isArray(p) && p.length === 0) || (isPlainObject(p) && Object.keys(p).length === 0)) continue;
      out.push(p);
    }
    return out;
  }
  if (isPlainObject(v)) {
    const out: Obj = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === 'Position' || x === null) continue;
      const p = prune(x);
      if ((Array.isArray(p) && p.length === 0) || (isPlainObject(p) && Object.keys(p).length === 0)) continue;
      out[k] = p;
    }
    return out;
  }
  return v;
}

// ---------------------------------------------------------------- from gqlparser JSON

const str = (v: RegoValue | undefined): string => (typeof v === 'string' ? v : '');
const list = (v: RegoValue | undefined): Obj[] => (Array.isArray(v) ? (v.filter(isPlainObject) as Obj[]) : []);
const names = (v: RegoValue | undefined): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function printValue(v: Obj): string {
  const raw = str(v.Raw);
  switch (v.Kind) {
    case 0:
      return `$${raw}`;
    case 3:
    case 4:
      return JSON.stringify(raw);
    case 8:
      return `[${list(v.Children).map((c) => printValue(c.Value as Obj)).join(', ')}]`;
    case 9:
      return `{${list(v.Children).map((c) => `${str(c.Name)}: ${printValue(c.Value as Obj)}`).join(', ')}}`;
    default:
      return raw;
  }
}

function printType(t: Obj): string {
  const base = t.Elem && isPlainObject(t.Elem) ? `[${printType(t.Elem as Obj)}]` : str(t.NamedType);
  return t.NonNull === true ? `${base}!` : base;
}

const printArgs = (v: RegoValue | undefined): string => {
  const as = list(v);
  return as.length ? `(${as.map((a) => `${str(a.Name)}: ${printValue(a.Value as Obj)}`).join(', ')})` : '';
};

const printDirectives = (v: RegoValue | undefined): string => list(v).map((d) => ` @${str(d.Name)}${printArgs(d.Arguments)}`).join('');

const desc = (v: RegoValue | undefined): string => (str(v) ? `${JSON.stringify(str(v))} ` : '');

function printSelections(v: RegoValue | undefined): string {
  const sels = list(v);
  if (sels.length === 0) return '';
  return ` { ${sels
    .map((s) => {
      if ('Alias' in s || 'Arguments' in s || ('Name' in s && 'SelectionSet' in s)) {
        const alias = str(s.Alias) && s.Alias !== s.Name ? `${str(s.Alias)}: ` : '';
        return `${alias}${str(s.Name)}${printArgs(s.Arguments)}${printDirectives(s.Directives)}${printSelections(s.SelectionSet)}`;
      }
      if ('Name' in s && !('TypeCondition' in s)) return `...${str(s.Name)}${printDirectives(s.Directives)}`;
      const on = str(s.TypeCondition) ? ` on ${str(s.TypeCondition)}` : '';
      return `...${on}${printDirectives(s.Directives)}${printSelections(s.SelectionSet)}`;
    })
    .join(' ')} }`;
}

function printVariables(v: RegoValue | undefined): string {
  const vs = list(v);
  if (vs.length === 0) return '';
  return `(${vs
    .map((x) => `$${str(x.Variable)}: ${printType(x.Type as Obj)}${isPlainObject(x.DefaultValue ?? null) ? ` = ${printValue(x.DefaultValue as Obj)}` : ''}${printDirectives(x.Directives)}`)
    .join(', ')})`;
}

function printQuery(doc: Obj): string {
  const parts: string[] = [];
  for (const op of list(doc.Operations)) {
    parts.push(`${str(op.Operation) || 'query'} ${str(op.Name)}${printVariables(op.VariableDefinitions)}${printDirectives(op.Directives)}${printSelections(op.SelectionSet)}`);
  }
  for (const f of list(doc.Fragments)) {
    parts.push(`fragment ${str(f.Name)} on ${str(f.TypeCondition)}${printDirectives(f.Directives)}${printSelections(f.SelectionSet)}`);
  }
  return parts.join('\n');
}

function printInputValue(a: Obj): string {
  const def = isPlainObject(a.DefaultValue ?? null) ? ` = ${printValue(a.DefaultValue as Obj)}` : '';
  return `${desc(a.Description)}${str(a.Name)}: ${printType(a.Type as Obj)}${def}${printDirectives(a.Directives)}`;
}

function printField(f: Obj): string {
  const args = list(f.Arguments);
  return `${desc(f.Description)}${str(f.Name)}${args.length ? `(${args.map(printInputValue).join(', ')})` : ''}: ${printType(f.Type as Obj)}${printDirectives(f.Directives)}`;
}

function printDefinition(d: Obj, extend: boolean): string {
  const kw = { SCALAR: 'scalar', OBJECT: 'type', INTERFACE: 'interface', UNION: 'union', ENUM: 'enum', INPUT_OBJECT: 'input' }[str(d.Kind)];
  if (!kw) throw new BuiltinError(`unknown definition kind ${str(d.Kind)} in GraphQL schema`);
  const head = `${extend ? 'extend ' : desc(d.Description)}${kw} ${str(d.Name)}`;
  const impl = names(d.Interfaces).length ? ` implements ${names(d.Interfaces).join(' & ')}` : '';
  const dirs = printDirectives(d.Directives);
  switch (kw) {
    case 'scalar':
      return head + dirs;
    case 'union':
      return `${head}${dirs}${names(d.Types).length ? ` = ${names(d.Types).join(' | ')}` : ''}`;
    case 'enum': {
      const vs = list(d.EnumValues);
      return `${head}${dirs}${vs.length ? ` { ${vs.map((v) => `${desc(v.Description)}${str(v.Name)}${printDirectives(v.Directives)}`).join(' ')} }` : ''}`;
    }
    default: {
      const fs = list(d.Fields);
      const body = fs.length ? ` { ${fs.map((f) => (kw === 'input' ? printInputValue(f) : printField(f))).join(' ')} }` : '';
      return `${head}${impl}${dirs}${body}`;
    }
  }
}

function printSchema(doc: Obj): string {
  const parts: string[] = [];
  const schemaDef = (s: Obj, extend: boolean) => {
    const ops = list(s.OperationTypes);
    return `${extend ? 'extend ' : desc(s.Description)}schema${printDirectives(s.Directives)}${ops.length ? ` { ${ops.map((o) => `${str(o.Operation)}: ${str(o.Type)}`).join(' ')} }` : ''}`;
  };
  for (const s of list(doc.Schema)) parts.push(schemaDef(s, false));
  for (const s of list(doc.SchemaExtension)) parts.push(schemaDef(s, true));
  for (const d of list(doc.Directives)) {
    const args = list(d.Arguments);
    parts.push(
      `${desc(d.Description)}directive @${str(d.Name)}${args.length ? `(${args.map(printInputValue).join(', ')})` : ''}${d.IsRepeatable === true ? ' repeatable' : ''} on ${names(d.Locations).join(' | ')}`,
    );
  }
  for (const d of list(doc.Definitions)) if (d.BuiltIn !== true) parts.push(printDefinition(d, false));
  for (const d of list(doc.Extensions)) parts.push(printDefinition(d, true));
  return parts.join('\n');
}

// ---------------------------------------------------------------- operands and validation

function source(v: RegoValue, pos: number, print: (o: Obj) => string): string {
  if (typeof v === 'string') return v;
  if (isPlainObject(v)) return print(toJson(v) as Obj);
  throw new BuiltinError(`operand ${pos} must be one of {string, object} but got ${v instanceof RegoSet ? 'set' : typeof v}`, 'eval_type_error');
}

const querySource = (v: RegoValue, pos: number) => source(v, pos, printQuery);
const schemaSource = (v: RegoValue, pos: number) => source(v, pos, printSchema);

/**
 * gqlparser accepts extensions of types the document never defines
 * (federation schemas rely on it): the first extension becomes the definition.
 */
function adoptOrphanExtensions(doc: DocumentNode): DocumentNode {
  const defined = new Set<string>();
  for (const d of doc.definitions) if ('name' in d && d.name && d.kind.endsWith('TypeDefinition')) defined.add(d.name.value);
  const definitions = doc.definitions.map((d) => {
    if (!d.kind.endsWith('TypeExtension') || !('name' in d) || !d.name) return d;
    const name = d.name.value;
    if (defined.has(name)) return d;
    defined.add(name);
    return { ...d, kind: d.kind.replace('Extension', 'Definition') } as unknown as DefinitionNode;
  });
  return { ...doc, definitions };
}

function buildSchema(src: string): GraphQLSchema {
  // OPA words a schema's syntax errors like a query's ("in GraphQL string at
  // location L:C"); a schema that parses but does not validate is reported
  // as gqlparser's conversion error ("input:L:C: message").
  const doc = adoptOrphanExtensions(parseSource(src, 'string'));
  try {
    // gqlparser does not insist on a query root type; graphql-js's other schema rules apply.
    const errs = gql().validateSchema(gql().buildASTSchema(doc)).filter((e) => !/^Query root type must be provided/.test(e.message));
    if (errs.length) throw errs[0];
    return gql().buildASTSchema(doc, { assumeValid: true });
  } catch (e) {
    const loc = e instanceof gql().GraphQLError ? e.locations?.[0] : undefined;
    const detail = e instanceof gql().GraphQLError ? gqlMessage(e) : e instanceof Error ? e.message : String(e);
    throw new BuiltinError(`Error in gqlparser SchemaDocument to Schema conversion: input${loc ? `:${loc.line}:${loc.column}` : ''}: ${detail}`);
  }
}

function validateQuery(schema: GraphQLSchema, query: DocumentNode): void {
  const errs = gql().validate(schema, query);
  if (errs.length) throw new BuiltinError(located(errs[0]!, 'string'));
}

const succeeds = (f: () => unknown): boolean => {
  try {
    f();
    return true;
  } catch (e) {
    if (e instanceof BuiltinError) return false;
    throw e;
  }
};

function parseQueryArg(v: RegoValue, pos: number): DocumentNode {
  return parseSource(querySource(v, pos), 'string');
}

function parseAndValidate(args: RegoValue[]): [DocumentNode, DocumentNode] {
  const query = parseQueryArg(args[0]!, 1);
  const schemaSrc = schemaSource(args[1]!, 2);
  const schema = buildSchema(schemaSrc);
  validateQuery(schema, query);
  return [query, parseSource(schemaSrc, 'string')];
}

// OPA accepts AST objects for the query of these two as well (the catalog says string).
const gqlDoc: TypeSpec = { type: 'oneOf', of: [{ type: 'string' }, { type: 'object' }] };
declare(
  { name: 'graphql.parse', args: [gqlDoc, gqlDoc], result: { type: 'array' } },
  { name: 'graphql.parse_and_verify', args: [gqlDoc, gqlDoc], result: { type: 'array' } },
);

implementAll({
  'graphql.parse_query': (args) => prune(queryJson(parseSource(querySource(args[0]!, 1), 'string'))),
  'graphql.parse_schema': (args) => prune(schemaJson(parseSource(schemaSource(args[0]!, 1), 'string'))),
  'graphql.parse': (args) => {
    const [q, s] = parseAndValidate(args);
    return [prune(queryJson(q)), prune(schemaJson(s))];
  },
  'graphql.parse_and_verify': (args) => {
    try {
      const [q, s] = parseAndValidate(args);
      return [true, prune(queryJson(q)), prune(schemaJson(s))];
    } catch (e) {
      if (e instanceof BuiltinError) return [false, {}, {}];
      throw e;
    }
  },
  'graphql.is_valid': (args) => succeeds(() => parseAndValidate(args)),
  'graphql.schema_is_valid': (args) => succeeds(() => buildSchema(schemaSource(args[0]!, 1))),
});
