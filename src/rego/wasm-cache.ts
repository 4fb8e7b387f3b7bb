// Compiled policies kept on disk, so a restart with the same routes skips
// the Rego compiler. An entry is found by a key over everything the wasm
// depends on: the compile input (module texts, entrypoints), the custom
// builtins declared (their ids are linked into the module) and the compiler
// itself (Hooker's version plus the size and time of every file of the
// compiler and of the value runtime, so any rebuild misses). An entry holds
// its own key and the SHA-256 of its content: a file that is truncated,
// altered or written for another key is ignored and replaced. Entries are
// written to a temporary file and renamed into place (readers never see half
// a file), mode 0600 in a 0700 directory beside the database, and only the
// most recent few are kept.

import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CompileOptions, CompileResult } from './index.js';
import { customBuiltins } from './builtins/registry.js';

const MAGIC = 'hooker-wasm-cache-1\n';
/** Entries kept; older ones are removed after a write. */
const KEEP = 8;
const SUFFIX = '.wasm-cache';

export interface WasmCache {
  /** The compiled result for `opts`, from disk when a valid entry exists, compiled (and stored) otherwise. */
  compile(opts: CompileOptions, compile: (opts: CompileOptions) => CompileResult): CompileResult & { cached: boolean };
}

let compilerId: string | undefined;

/** Files of the compiler (this directory, recursively) and of the value runtime (build/): path, size, mtime. */
function compilerIdentity(): string {
  if (compilerId) return compilerId;
  const hash = createHash('sha256');
  const root = fileURLToPath(new URL('../..', import.meta.url));
  try {
    hash.update(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version ?? '');
  } catch { /* no package.json next to the build: the file stats below still tell builds apart */ }
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) { if (e.name !== 'conformance') walk(p); continue; }
      if (!/\.(js|ts|wasm|sha256)$/.test(e.name)) continue;
      const s = statSync(p);
      hash.update(`${p}\0${s.size}\0${s.mtimeMs}\n`);
    }
  };
  walk(fileURLToPath(new URL('.', import.meta.url)));
  try { walk(join(root, 'build')); } catch { /* runtime not built: compiling fails with its own message */ }
  return (compilerId = hash.digest('hex'));
}

function keyOf(opts: CompileOptions): string {
  const input = {
    compiler: compilerIdentity(),
    modules: opts.modules.map((m) => [m.file, m.source, m.regoVersion ?? null]),
    entrypoints: opts.entrypoints,
    queries: (opts.queries ?? []).map((q) => [q.name, typeof q.query === 'string' ? q.query : JSON.stringify(q.query)]),
    regoVersion: opts.regoVersion ?? null,
    custom: customBuiltins().map((d) => JSON.stringify(d)),
  };
  return createHash('sha256').update(JSON.stringify(input)).digest('hex');
}

interface Meta { key: string; entrypoints: Record<string, number>; warnings: string[] }

/** Entry layout: MAGIC, sha256 hex of the rest, '\n', meta JSON length, '\n', meta JSON, wasm bytes. */
function encode(meta: Meta, wasm: Uint8Array): Buffer {
  const metaBytes = Buffer.from(JSON.stringify(meta));
  const body = Buffer.concat([Buffer.from(`${metaBytes.length}\n`), metaBytes, wasm]);
  const sum = createHash('sha256').update(body).digest('hex');
  return Buffer.concat([Buffer.from(`${MAGIC}${sum}\n`), body]);
}

function decode(file: Buffer, key: string): CompileResult | undefined {
  const head = MAGIC.length;
  if (file.subarray(0, head).toString() !== MAGIC || file.length < head + 65) return undefined;
  const sum = file.subarray(head, head + 64).toString();
  const body = file.subarray(head + 65);
  if (createHash('sha256').update(body).digest('hex') !== sum) return undefined;
  const nl = body.indexOf(10);
  const len = Number(body.subarray(0, nl).toString());
  if (nl < 0 || !Number.isInteger(len)) return undefined;
  const meta = JSON.parse(body.subarray(nl + 1, nl + 1 + len).toString()) as Meta;
  if (meta.key !== key) return undefined;
  return { wasm: new Uint8Array(body.subarray(nl + 1 + len)), entrypoints: meta.entrypoints, warnings: meta.warnings };
}

/**
 * A cache in `dir` (created 0700 when missing). Never fails a compile: an
 * entry that cannot be read or written is reported through `onError` and
 * the policy is compiled as without a cache.
 */
export function wasmCache(dir: string, onError: (message: string) => void = () => {}): WasmCache {
  return {
    compile(opts, compile) {
      let key: string;
      try {
        key = keyOf(opts);
        const path = join(dir, `${key}${SUFFIX}`);
        let file: Buffer | undefined;
        try { file = readFileSync(path); } catch { /* not cached yet */ }
        const hit = file && decode(file, key);
        if (hit) return { ...hit, cached: true };
        if (file) onError(`ignored a damaged compiled-policy cache entry ${path}: compiling again`);
      } catch (e) {
        onError(`compiled-policy cache in ${dir} unusable: ${(e as Error).message}`);
        return { ...compile(opts), cached: false };
      }
      const result = compile(opts);
      try {
        store(dir, key, encode({ key, entrypoints: result.entrypoints, warnings: result.warnings }, result.wasm));
      } catch (e) {
        onError(`cannot write the compiled-policy cache in ${dir}: ${(e as Error).message}`);
      }
      return { ...result, cached: false };
    },
  };
}

function store(dir: string, key: string, bytes: Buffer): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const final = join(dir, `${key}${SUFFIX}`);
  const tmp = join(dir, `.${key}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, bytes, { mode: 0o600, flush: true });
    renameSync(tmp, final);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* never written */ }
    throw e;
  }
  prune(dir);
}

/** Keeps the KEEP most recently written entries (and leaves other files alone). */
function prune(dir: string): void {
  const entries = readdirSync(dir).filter((n) => n.endsWith(SUFFIX)).map((n) => {
    try { return { n, t: statSync(join(dir, n)).mtimeMs }; } catch { return undefined; }
  }).filter((e): e is { n: string; t: number } => e !== undefined);
  entries.sort((a, b) => b.t - a.t);
  for (const e of entries.slice(KEEP)) {
    try { unlinkSync(join(dir, e.n)); } catch { /* another process removed it */ }
  }
}
