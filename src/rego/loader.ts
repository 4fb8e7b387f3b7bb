// Loads Rego modules and data documents from files the way OPA's loader
// does for `opa test`, `opa eval -d` and `opa build`, so a policy repository
// with its own `opa test` suite sees the same `data` under Hooker:
//
//  - plain paths: every .rego file is a module; every .json/.yaml/.yml file
//    is a document placed at the path of its directory relative to the path
//    given (`root/a/b/x.json` -> data.a.b), whatever the file's name. A path
//    may carry a prefix, `x.y:dir`, that roots its documents at data.x.y.
//    A file named directly with another extension is tried as Rego, JSON,
//    then YAML; inside directories such files are skipped.
//  - bundles (`-b`): only `data.json`/`data.yaml`/`data.yml` are documents
//    (at their directory path); `.manifest` declares `roots` (packages and
//    data must lie under them) and `rego_version`.
//  - `--ignore PATTERN`: file and directory names matching the shell pattern
//    (Go's filepath.Match) are skipped below the paths given.
//
// Documents merge recursively; two files that set the same value (or an
// object and a non-object at one path) are an error naming both files.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, relative, sep } from 'node:path';
import { readYamlFile } from '../config/yaml-source.js';
import { formatProblem } from '../config/problems.js';
import type { RegoVersion } from './syntax/ast.js';
import { parseModule } from './syntax/parser.js';
import { LoadError } from './errors.js';

export { LoadError };

export interface LoaderModule {
  file: string;
  source: string;
  regoVersion?: RegoVersion;
}

export interface LoadOptions {
  /** Shell patterns of file/directory names to skip (`--ignore`). */
  ignore?: string[];
  /** Load each path as a bundle (directory with an optional `.manifest`). */
  asBundles?: boolean;
}

export interface LoadedPolicy {
  modules: LoaderModule[];
  data: Record<string, unknown>;
  /** Bundles read, with their manifest roots (for messages and checks). */
  bundles: Array<{ path: string; roots: string[] }>;
}


type Json = unknown;

function isObject(v: Json): v is Record<string, Json> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Go's filepath.Match on one name: `*`, `?`, `[...]` classes (`^` negates), `\` escapes. */
export function globMatch(pattern: string, name: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i]!);
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) return false; // Go: ErrBadPattern, which the loader treats as no match
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^')) cls = `^${cls.slice(1).replace(/[\]\\]/g, '\\$&')}`;
      else cls = cls.replace(/[\]\\^]/g, '\\$&');
      re += `[${cls}]`;
      i = end;
    } else re += escapeRe(c);
  }
  return new RegExp(`${re}$`, 'su').test(name);
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** OPA's `prefix:path` syntax: `x.y:dir` loads dir's documents under data.x.y (URLs keep their colon). */
export function splitPrefix(arg: string): { prefix: string[]; path: string } {
  const colon = arg.indexOf(':');
  if (colon <= 0 || arg.indexOf('://') === colon) return { prefix: [], path: arg };
  return { prefix: arg.slice(0, colon).split('.'), path: arg.slice(colon + 1) };
}

/**
 * The data tree being built, remembering which file put each value there so
 * that a conflict names both files.
 */
class DataTree {
  readonly root: Record<string, Json> = {};
  private readonly origin = new Map<string, string>();

  insert(path: string[], doc: Json, file: string, problems: string[]): void {
    if (path.length === 0 && !isObject(doc)) {
      problems.push(`${file}: document must be of type object`);
      return;
    }
    let node = this.root;
    const at: string[] = [];
    for (let i = 0; i < path.length; i++) {
      const key = path[i]!;
      at.push(key);
      const last = i === path.length - 1;
      const child = node[key];
      if (child === undefined) {
        node[key] = last ? doc : {};
        this.origin.set(at.join('\u0000'), file);
        if (last) return;
      } else if (last && isObject(child) && isObject(doc)) {
        this.merge(child, doc, at, file, problems);
        return;
      } else if (!isObject(child) || last) {
        problems.push(this.conflict(at, file));
        return;
      }
      node = node[key] as Record<string, Json>;
    }
    if (path.length === 0) this.merge(this.root, doc as Record<string, Json>, [], file, problems);
  }

  private merge(into: Record<string, Json>, from: Record<string, Json>, at: string[], file: string, problems: string[]): void {
    for (const [k, v] of Object.entries(from)) {
      const path = [...at, k];
      const have = into[k];
      if (have === undefined) {
        into[k] = v;
        this.origin.set(path.join('\u0000'), file);
      } else if (isObject(have) && isObject(v)) this.merge(have, v, path, file, problems);
      else problems.push(this.conflict(path, file));
    }
  }

  private conflict(path: string[], file: string): string {
    let other: string | undefined;
    for (let n = path.length; n > 0 && other === undefined; n--) other = this.origin.get(path.slice(0, n).join('\u0000'));
    return `${file}: merge error: data.${path.join('.')} is also set by ${other ?? 'another file'}`;
  }
}

function readDocument(file: string, kind: 'json' | 'yaml'): Json {
  if (kind === 'json') {
    const text = readFileSync(file, 'utf8');
    try {
      return JSON.parse(text) as Json;
    } catch (e) {
      throw new Error(`${file}: ${(e as Error).message}`);
    }
  }
  const read = readYamlFile(file);
  const errors = read.problems.filter((p) => p.severity === 'error');
  if (errors.length) throw new Error(errors.map(formatProblem).join('\n'));
  return read.value as Json;
}

function dataKind(name: string): 'json' | 'yaml' | undefined {
  const ext = extname(name);
  if (ext === '.json') return 'json';
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  return undefined;
}

interface Walked { file: string; depth: number; dirs: string[] }

/** Files below `path` in name order, skipping ignored names at depth ≥ 1; `dirs` is the directory path below `path`. */
function walk(path: string, ignore: string[], problems: string[]): Walked[] {
  const out: Walked[] = [];
  const visit = (p: string, depth: number, dirs: string[]) => {
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      problems.push(`${p}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
      return;
    }
    const name = basename(p);
    if (depth >= 1 && ignore.some((pat) => globMatch(pat, name))) return;
    if (!st.isDirectory()) { out.push({ file: p, depth, dirs }); return; }
    const below = depth > 0 ? [...dirs, name] : dirs;
    for (const entry of readdirSync(p).sort()) visit(join(p, entry), depth + 1, below);
  };
  visit(path, 0, []);
  return out;
}

function loadPlain(arg: string, ignore: string[], tree: DataTree, modules: LoaderModule[], problems: string[]): void {
  const { prefix, path } = splitPrefix(arg);
  for (const { file, depth, dirs } of walk(path, ignore, problems)) {
    try {
      if (extname(file) === '.rego') { modules.push({ file, source: readFileSync(file, 'utf8') }); continue; }
      const kind = dataKind(file);
      if (kind) { tree.insert([...prefix, ...dirs], readDocument(file, kind), file, problems); continue; }
      if (depth > 0) continue;
      // Named directly with an unknown extension: Rego, else JSON, else YAML (OPA's loadFileForAnyType).
      const source = readFileSync(file, 'utf8');
      if (parsesAsRego(source, file)) { modules.push({ file, source }); continue; }
      let doc: Json;
      try { doc = JSON.parse(source) as Json; } catch { doc = readYamlFile(file).value; }
      if (doc === undefined || typeof doc === 'string') problems.push(`${file}: can't recognize file type`);
      else tree.insert(prefix, doc, file, problems);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
}

function parsesAsRego(source: string, file: string): boolean {
  try { parseModule(source, file, { regoVersion: 'v1' }); return true; } catch { /* not Rego v1 */ }
  try { parseModule(source, file, { regoVersion: 'v0' }); return true; } catch { return false; }
}

interface Manifest { roots: string[]; regoVersion?: RegoVersion; fileRegoVersions: Array<{ pattern: RegExp; version: RegoVersion }> }

function readManifest(file: string, problems: string[]): Manifest | undefined {
  let raw: Json;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as Json;
  } catch (e) {
    problems.push(`${file}: bundle load failed on manifest decode: ${(e as Error).message}`);
    return undefined;
  }
  if (!isObject(raw)) { problems.push(`${file}: bundle load failed on manifest decode: manifest must be an object`); return undefined; }
  const roots = raw['roots'] === undefined ? [''] : raw['roots'];
  if (!Array.isArray(roots) || !roots.every((r) => typeof r === 'string')) {
    problems.push(`${file}: bundle load failed on manifest decode: roots must be an array of strings`);
    return undefined;
  }
  const version = (v: Json, where: string): RegoVersion | undefined => {
    if (v === undefined) return undefined;
    if (v === 0) return 'v0';
    if (v === 1) return 'v1';
    problems.push(`${file}: unknown bundle rego-version ${JSON.stringify(v)}${where}`);
    return undefined;
  };
  const fileRegoVersions: Manifest['fileRegoVersions'] = [];
  const perFile = raw['file_rego_versions'];
  if (isObject(perFile)) {
    for (const [pattern, v] of Object.entries(perFile)) {
      const ver = version(v, ` for file '${pattern}'`);
      if (ver) fileRegoVersions.push({ pattern: bundleGlob(pattern), version: ver });
    }
  }
  const regoVersion = version(raw['rego_version'], '');
  return { roots: roots.map((r: string) => r.replace(/^\/+|\/+$/g, '')), ...(regoVersion ? { regoVersion } : {}), fileRegoVersions };
}

/** Manifest file patterns (gobwas/glob without separators: `*` spans `/`). */
function bundleGlob(pattern: string): RegExp {
  return new RegExp(`^${[...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : escapeRe(c))).join('')}$`, 's');
}

function segments(path: string): string[] {
  return path.split('/');
}

/** A root contains a path when its segments prefix the path's; the root "" contains everything. */
function rootContains(root: string, path: string): boolean {
  if (root === '') return true;
  const r = segments(root);
  const p = segments(path);
  return r.length <= p.length && r.every((s, i) => s === p[i]);
}

export function rootsOverlap(a: string, b: string): boolean {
  return rootContains(a, b) || rootContains(b, a);
}

const goList = (xs: string[]) => `[${xs.join(' ')}]`;

function loadBundle(path: string, ignore: string[], modules: LoaderModule[], problems: string[]): { data: Record<string, Json>; roots: string[] } | undefined {
  const tree = new DataTree();
  const files = walk(path, ignore, problems);
  const before = problems.length;
  let manifest: Manifest = { roots: [''], fileRegoVersions: [] };
  const own: LoaderModule[] = [];
  for (const { file, dirs } of files) {
    const name = basename(file);
    try {
      if (name.endsWith('.manifest')) manifest = readManifest(file, problems) ?? manifest;
      else if (extname(name) === '.rego') own.push({ file, source: readFileSync(file, 'utf8') });
      else if (name === 'data.json') tree.insert(dirs, readDocument(file, 'json'), file, problems);
      else if (name === 'data.yaml' || name === 'data.yml') tree.insert(dirs, readDocument(file, 'yaml'), file, problems);
    } catch (e) {
      problems.push(`bundle ${path}: ${(e as Error).message}`);
    }
  }
  const { roots } = manifest;
  for (let i = 0; i < roots.length; i++) {
    for (let j = i + 1; j < roots.length; j++) {
      if (rootsOverlap(roots[i]!, roots[j]!)) problems.push(`bundle ${path}: manifest has overlapped roots: '${roots[i]}' and '${roots[j]}'`);
    }
  }
  for (const m of own) {
    const rel = relative(path, m.file).split(sep).join('/');
    const version = manifest.fileRegoVersions.find((f) => f.pattern.test(rel) || f.pattern.test(`/${rel}`))?.version ?? manifest.regoVersion;
    if (version) m.regoVersion = version;
    const pkg = packagePath(m);
    if (pkg !== undefined && !roots.some((r) => rootContains(r, pkg))) {
      problems.push(`bundle ${path}: manifest roots ${goList(roots)} do not permit 'package ${pkg.split('/').join('.')}' in module '${m.file}'`);
    }
    modules.push(m);
  }
  checkDataRoots(tree.root, '', roots, path, problems);
  return problems.length > before ? undefined : { data: tree.root, roots };
}

/** The module's package as a slash path ("a/b"); undefined when it does not parse (the compile step reports that). */
function packagePath(m: LoaderModule): string | undefined {
  const match = /^\s*package\s+([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*|\["[^"]*"\])*)/m.exec(m.source.replace(/#[^\n]*/g, ''));
  if (!match) return undefined;
  return match[1]!.replace(/\["([^"]*)"\]/g, '.$1').split('.').join('/');
}

function checkDataRoots(node: Json, path: string, roots: string[], bundle: string, problems: string[]): void {
  const p = path.replace(/^\//, '');
  if (path !== '' && roots.some((r) => rootContains(r, p))) return;
  if (path === '' && roots.includes('')) return;
  if (isObject(node)) {
    if (path === '' || roots.some((r) => rootContains(p, r))) {
      for (const [k, v] of Object.entries(node)) checkDataRoots(v, `${path}/${k}`, roots, bundle, problems);
      return;
    }
  }
  problems.push(`bundle ${bundle}: manifest roots ${goList(roots)} do not permit data at path '${path}' (hint: check bundle directory structure)`);
}

/**
 * Loads `paths` (files or directories) as OPA does. `bundles` are extra
 * bundle directories (`opa eval -b`). Throws LoadError listing every problem.
 */
export function loadPolicyFiles(paths: string[], opts: LoadOptions = {}, bundles: string[] = []): LoadedPolicy {
  const ignore = opts.ignore ?? [];
  const problems: string[] = [];
  const modules: LoaderModule[] = [];
  const tree = new DataTree();
  const asBundles = opts.asBundles ? paths : [];
  for (const p of opts.asBundles ? [] : paths) loadPlain(p, ignore, tree, modules, problems);
  const loadedBundles: LoadedPolicy['bundles'] = [];
  for (const b of [...asBundles, ...bundles]) {
    const got = loadBundle(b, ignore, modules, problems);
    if (!got) continue;
    for (const other of loadedBundles) {
      if (got.roots.some((r) => other.roots.some((o) => rootsOverlap(r, o)))) {
        problems.push(`detected overlapping roots in bundle manifest with: ${goList([other.path, b])}`);
      }
    }
    loadedBundles.push({ path: b, roots: got.roots });
    tree.insert([], got.data, b, problems);
  }
  if (problems.length) throw new LoadError(problems);
  return { modules, data: tree.root, bundles: loadedBundles };
}

