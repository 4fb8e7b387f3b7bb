// Builtins a tool adds to OPA, made available to Hooker's compiler and
// runtime: their declarations come from an OPA capabilities file
// (`{"builtins": [{"name", "decl": {"type": "function", "args", "result"}}]}`,
// what `opa capabilities` prints plus the tool's own entries) and their
// implementations from a JS module exporting one function per builtin name.
//
// The functions receive JSON values (sets as arrays, objects whose keys are
// not all strings with JSON-text keys, as OPA's ast.JSON gives them) and
// return a JSON value (a JS Set becomes a Rego set, `undefined` makes the call
// undefined). A thrown error is a builtin error. They must be synchronous:
// the policy waits for them inside WebAssembly.

import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CustomBuiltinError } from '../errors.js';
import { lookupBuiltin, setCustomBuiltins } from './registry.js';

export { CustomBuiltinError };
import { BuiltinError, RegoObject, RegoSet, type BuiltinDecl, type RegoValue, type TypeSpec } from './types.js';
import { makeSet, setItems } from './value.js';

export type CustomFunction = (...args: unknown[]) => unknown;

type Json = unknown;
const isObj = (v: Json): v is Record<string, Json> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** OPA's JSON type (ast/types) -> TypeSpec; `where` names the place for errors. */
export function typeFromOpa(t: Json, where: string): TypeSpec {
  if (!isObj(t) || typeof t['type'] !== 'string') throw new CustomBuiltinError(`${where}: a type must be an object with a "type" string`);
  switch (t['type']) {
    case 'any': {
      const of = t['of'];
      if (Array.isArray(of) && of.length > 0) return { type: 'oneOf', of: of.map((x, i) => typeFromOpa(x, `${where}.of[${i}]`)) };
      return { type: 'any' };
    }
    case 'null': case 'boolean': case 'number': case 'string':
      return { type: t['type'] };
    case 'array': {
      const dyn = t['dynamic'];
      return dyn === undefined ? { type: 'array' } : { type: 'array', of: typeFromOpa(dyn, `${where}.dynamic`) };
    }
    case 'set':
      return t['of'] === undefined ? { type: 'set' } : { type: 'set', of: typeFromOpa(t['of'], `${where}.of`) };
    case 'object': {
      const dyn = t['dynamic'];
      if (!isObj(dyn)) return { type: 'object' };
      return { type: 'object', key: typeFromOpa(dyn['key'], `${where}.dynamic.key`), value: typeFromOpa(dyn['value'], `${where}.dynamic.value`) };
    }
    default:
      throw new CustomBuiltinError(`${where}: unknown type "${String(t['type'])}"`);
  }
}

/**
 * The builtins a capabilities file declares that Hooker does not already
 * have (OPA's own builtins in the file are checked by Hooker's catalog).
 */
export function parseCapabilities(text: string, file: string): BuiltinDecl[] {
  let doc: Json;
  try {
    doc = JSON.parse(text) as Json;
  } catch (e) {
    throw new CustomBuiltinError(`${file}: not JSON: ${(e as Error).message}`);
  }
  if (!isObj(doc) || !Array.isArray(doc['builtins'])) throw new CustomBuiltinError(`${file}: an OPA capabilities file needs a "builtins" array`);
  const out: BuiltinDecl[] = [];
  doc['builtins'].forEach((b, i) => {
    const where = `${file}: builtins[${i}]`;
    if (!isObj(b) || typeof b['name'] !== 'string' || b['name'] === '') throw new CustomBuiltinError(`${where}: needs a "name"`);
    const name = b['name'];
    if (lookupBuiltin(name) && !isCustomName(name)) return;
    const decl = b['decl'];
    if (!isObj(decl) || decl['type'] !== 'function' || !Array.isArray(decl['args'])) {
      throw new CustomBuiltinError(`${where} (${name}): "decl" must be {"type": "function", "args": [...], "result": ...}`);
    }
    const args = decl['args'].map((a, j) => typeFromOpa(a, `${where} (${name}) args[${j}]`));
    const result = decl['result'] === undefined ? { type: 'any' as const } : typeFromOpa(decl['result'], `${where} (${name}) result`);
    out.push({
      name,
      args,
      result,
      ...(decl['variadic'] !== undefined ? { variadic: typeFromOpa(decl['variadic'], `${where} (${name}) variadic`) } : {}),
      ...(b['nondeterministic'] === true ? { nondeterministic: true } : {}),
    });
  });
  return out;
}

let customNames = new Set<string>();
function isCustomName(name: string): boolean {
  return customNames.has(name);
}

/** Functions a module exports: named exports (`export { f as "my.fn" }`) and a default object, nested objects by dotted path. */
export function collectFunctions(mod: Record<string, unknown>): Map<string, CustomFunction> {
  const out = new Map<string, CustomFunction>();
  const visit = (prefix: string, v: unknown, depth: number) => {
    if (typeof v === 'function') { out.set(prefix, v as CustomFunction); return; }
    if (depth < 8 && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v)) visit(prefix ? `${prefix}.${k}` : k, x, depth + 1);
    }
  };
  for (const [k, v] of Object.entries(mod)) visit(k === 'default' ? '' : k, v, 0);
  return out;
}

/** Rego value -> what a JS builtin receives (ast.JSON's shape). */
function toJs(v: RegoValue): unknown {
  if (Array.isArray(v)) return v.map(toJs);
  if (v instanceof RegoSet) return setItems(v).map(toJs);
  if (v instanceof RegoObject) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of v.entries) out[typeof k === 'string' ? k : JSON.stringify(toJs(k))] = toJs(x);
    return out;
  }
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = toJs(x);
    return out;
  }
  return v;
}

/** What a JS builtin returned -> Rego value. */
function fromJs(v: unknown, name: string): RegoValue | undefined {
  if (v === undefined) return undefined;
  if (v === null || typeof v === 'boolean' || typeof v === 'string' || typeof v === 'bigint') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new BuiltinError(`returned ${v}, which is not a JSON number`);
    return v;
  }
  if (v instanceof Promise || (v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function')) {
    throw new BuiltinError('returned a Promise; custom builtins must be synchronous');
  }
  if (Array.isArray(v)) return v.map((x) => fromJs(x, name) ?? null);
  if (v instanceof Set) return makeSet([...v].map((x) => fromJs(x, name) ?? null));
  if (typeof v === 'object') {
    const out: { [k: string]: RegoValue } = {};
    for (const [k, x] of Object.entries(v as object)) {
      const r = fromJs(x, name);
      if (r !== undefined) out[k] = r;
    }
    return out;
  }
  throw new BuiltinError(`returned a ${typeof v}, which is not a JSON value`);
}

function implementation(fn: CustomFunction, name: string): BuiltinDecl['impl'] {
  return (args) => {
    let out: unknown;
    try {
      out = fn(...args.map(toJs));
    } catch (e) {
      throw new BuiltinError(e instanceof Error ? e.message : String(e));
    }
    return fromJs(out, name);
  };
}

export interface CustomBuiltinSources {
  /** OPA capabilities JSON file. */
  capabilities?: string;
  /** JS module (.mjs/.js) exporting the implementations. */
  module?: string;
}

export interface LoadedCustomBuiltins {
  decls: BuiltinDecl[];
  /** Declared builtins without an implementation (calls fail with a clear error). */
  unimplemented: string[];
  /** Exported functions named like a builtin Hooker already has (not used). */
  shadowing: string[];
}

/**
 * Reads the declarations and the implementations. An exported function
 * without a declaration is declared with `fn.length` arguments of any type.
 */
export async function readCustomBuiltins(src: CustomBuiltinSources): Promise<LoadedCustomBuiltins> {
  const declared = src.capabilities ? parseCapabilities(readCapabilities(src.capabilities), src.capabilities) : [];
  let fns = new Map<string, CustomFunction>();
  if (src.module) {
    const path = resolve(src.module);
    let mod: Record<string, unknown>;
    try {
      // The mtime in the URL makes a reload pick up an edited module (ESM caches by URL).
      mod = (await import(`${pathToFileURL(path).href}?mtime=${statSync(path).mtimeMs}`)) as Record<string, unknown>;
    } catch (e) {
      throw new CustomBuiltinError(`${src.module}: cannot load the builtins module: ${(e as Error).message}`);
    }
    fns = collectFunctions(mod);
    if (fns.size === 0) throw new CustomBuiltinError(`${src.module}: exports no functions (export one function per builtin name, e.g. export { impl as "my.builtin" })`);
  }
  const shadowing: string[] = [];
  const decls: BuiltinDecl[] = [];
  const unimplemented: string[] = [];
  for (const d of declared) {
    const fn = fns.get(d.name);
    if (fn) decls.push({ ...d, impl: implementation(fn, d.name) });
    else { decls.push(d); unimplemented.push(d.name); }
  }
  for (const [name, fn] of fns) {
    if (declared.some((d) => d.name === name)) continue;
    if (lookupBuiltin(name) && !isCustomName(name)) { shadowing.push(name); continue; }
    decls.push({ name, args: Array.from({ length: fn.length }, () => ({ type: 'any' as const })), result: { type: 'any' }, impl: implementation(fn, name) });
  }
  return { decls, unimplemented, shadowing };
}

function readCapabilities(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new CustomBuiltinError(`${file}: cannot read the capabilities file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * Makes `loaded` the process's custom builtins (replacing earlier ones):
 * every later compile and policy load sees them. Declared builtins without an
 * implementation fail when called, naming the missing module.
 */
export function installCustomBuiltins(loaded: LoadedCustomBuiltins): void {
  const decls = loaded.decls.map((d) => d.impl ? d : {
    ...d,
    impl: () => { throw new BuiltinError('declared in the capabilities file but no implementation was loaded (pass --builtins MODULE.mjs, or HOOKER_REGO_BUILTINS for the server)'); },
    alwaysRaises: true,
  });
  customNames = new Set(decls.map((d) => d.name));
  setCustomBuiltins(decls);
}

/** Convenience for the CLI and the server: read and install in one step. */
export async function useCustomBuiltins(src: CustomBuiltinSources): Promise<LoadedCustomBuiltins> {
  if (!src.capabilities && !src.module) {
    installCustomBuiltins({ decls: [], unimplemented: [], shadowing: [] });
    return { decls: [], unimplemented: [], shadowing: [] };
  }
  const loaded = await readCustomBuiltins(src);
  installCustomBuiltins(loaded);
  return loaded;
}
