#!/usr/bin/env node
// Builds the AssemblyScript value runtime (src/rego/runtime/assembly) into
// build/runtime.wasm, the module the emitter links policies into. Runs from
// `npm ci` through the prepare script.
//
// Checks that make the output safe to link and to load in
// @open-policy-agent/opa-wasm, failing the build otherwise:
//   - imports are only env.memory, env.opa_abort, env.opa_println,
//     env.opa_builtin0..4 and hooker.eval_plan;
//   - AssemblyScript's managed runtime (__new, __alloc, ~lib/rt/*) is gone, so
//     nothing but our own bump allocator writes to the heap;
//   - no start function (it would run after the emitter moved the heap start);
//   - the imported memory's declared minimum is at most 2 pages.
// Finally hooker_heap_start is set to the end of the static data.
//
// It also writes build/runtime-linkable.wasm, the runtime prepared for the
// emitter (src/rego/wasm/link-base.ts reads it and checks what it needs), and
// build/runtime-linkable.sha256, the hash of the runtime it was prepared
// from. Preparing here keeps binaryen out of the server process: loading it
// cost seconds of start time and 75 MiB of memory.

import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';
import binaryen from 'binaryen';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'src/rego/runtime/assembly');
const outFile = join(root, 'build/runtime.wasm');
const linkableFile = join(root, 'build/runtime-linkable.wasm');
const linkableHashFile = join(root, 'build/runtime-linkable.sha256');

// Names shared with src/rego/wasm (link-base.ts LINK_EXPORT_PREFIX and
// MAX_HOST_ARITY, runtime-abi.ts SDK_IMPORTS); link-base.ts checks the result.
const LINK_EXPORT_PREFIX = '__hooker_link_';
const MAX_HOST_ARITY = 4;

const ALLOWED_IMPORTS = new Set([
  'env.memory', 'env.opa_abort', 'env.opa_println',
  'env.opa_builtin0', 'env.opa_builtin1', 'env.opa_builtin2', 'env.opa_builtin3', 'env.opa_builtin4',
  'hooker.eval_plan',
]);
const MAX_MEMORY_PAGES = 2;

function fail(message) {
  console.error(`build-runtime: ${message}`);
  process.exit(1);
}

async function compile() {
  const entry = relative(root, join(srcDir, 'index.ts'));
  const abortAlias = relative(root, join(srcDir, 'errors')).split('\\').join('/') + '/runtimeAbort';
  const outputs = {};
  const stderrChunks = [];
  const { error } = await asc.main([
    entry,
    '--baseDir', root,
    '--outFile', 'runtime.wasm',
    '--runtime', 'stub',
    '--importMemory',
    '--noExportMemory',
    '--optimizeLevel', '3',
    '--shrinkLevel', '0',
    '--converge',
    // Node 20+ runs wasm SIMD: the JSON parser scans strings 16 bytes at a time.
    '--enable', 'simd',
    '--use', `abort=${abortAlias}`,
    // names are kept for the checks below and stripped when writing
    '--debug',
  ], {
    writeFile(name, contents) { outputs[name] = contents; },
    stdout: { write() { return true; } },
    stderr: { write(chunk) { stderrChunks.push(String(chunk)); return true; } },
  });
  if (error) fail(`asc failed: ${error.message}\n${stderrChunks.join('')}`);
  const wasm = outputs['runtime.wasm'];
  if (!wasm) fail('asc produced no runtime.wasm');
  return wasm;
}

function check(m) {
  const problems = [];
  for (let i = 0; i < m.getNumFunctions(); i++) {
    const f = binaryen.getFunctionInfo(m.getFunctionByIndex(i));
    if (f.module) {
      const name = `${f.module}.${f.base}`;
      if (!ALLOWED_IMPORTS.has(name)) problems.push(`unexpected import ${name}`);
    } else if (/^(~lib\/rt\/|.*__new$|.*__alloc$|.*__renew$)/.test(f.name)) {
      problems.push(`managed runtime function left in the module: ${f.name}`);
    }
  }
  for (let i = 0; i < m.getNumGlobals(); i++) {
    const g = binaryen.getGlobalInfo(m.getGlobalByIndex(i));
    if (g.module && !ALLOWED_IMPORTS.has(`${g.module}.${g.base}`)) problems.push(`unexpected global import ${g.module}.${g.base}`);
  }
  const mem = m.getMemoryInfo();
  if (mem.module !== 'env' || mem.base !== 'memory') problems.push('memory must be imported as env.memory');
  if (mem.initial > MAX_MEMORY_PAGES) problems.push(`memory minimum is ${mem.initial} pages, at most ${MAX_MEMORY_PAGES} allowed`);
  if (m.getStart()) problems.push('the module has a start function');
  if (problems.length > 0) fail(problems.join('\n'));
}

function staticDataEnd(m) {
  let end = 0;
  for (let i = 0; i < m.getNumDataSegments(); i++) {
    const info = m.getDataSegmentInfo(m.getDataSegmentByIndex(i));
    if (!info.passive) end = Math.max(end, info.offset + info.data.byteLength);
  }
  return end;
}

function setHeapStart(m) {
  for (let i = 0; i < m.getNumExports(); i++) {
    const e = binaryen.getExportInfo(m.getExportByIndex(i));
    if (e.kind === binaryen.ExternalGlobal && e.name === 'hooker_heap_start') {
      const start = (staticDataEnd(m) + 7) & ~7;
      m.removeGlobal(e.value);
      m.addGlobal(e.value, binaryen.i32, true, m.i32.const(start));
      return start;
    }
  }
  fail('the runtime does not export hooker_heap_start');
}

// The runtime as the emitter links into it: the hooker.eval_plan import
// becomes an exported placeholder function (the emitter writes the plan
// dispatcher as its body), every SDK import the policy code may call is
// present (so linking never adds an import, which would move function
// indexes), and hooker_host_callN(id, args...) trampolines call
// opa_builtinN(id, 0, args...) then hooker_builtin_exit().
function prepareForLinking(runtime) {
  const m = binaryen.readBinary(runtime);
  try {
    m.setFeatures(m.getFeatures() | binaryen.Features.MutableGlobals | binaryen.Features.SignExt
      | binaryen.Features.BulkMemory | binaryen.Features.BulkMemoryOpt | binaryen.Features.NontrappingFPToInt
      | binaryen.Features.SIMD128);
    const imports = new Map();
    for (let i = 0; i < m.getNumFunctions(); i++) {
      const info = binaryen.getFunctionInfo(m.getFunctionByIndex(i));
      if (info.module) imports.set(`${info.module}.${info.base}`, info.name);
    }
    const evalPlan = imports.get('hooker.eval_plan');
    if (!evalPlan) fail('the runtime does not import hooker.eval_plan');
    m.removeFunction(evalPlan);
    const i32 = binaryen.i32;
    m.addFunction(evalPlan, binaryen.createType([i32, i32, i32, i32]), binaryen.none, [], m.unreachable());
    m.addFunctionExport(evalPlan, `${LINK_EXPORT_PREFIX}eval_plan`);
    const sdkImport = (base, nparams, returns) => {
      let name = imports.get(`env.${base}`);
      if (!name) {
        name = `import:${base}`;
        m.addFunctionImport(name, 'env', base, binaryen.createType(new Array(nparams).fill(i32)), returns ? i32 : binaryen.none);
        imports.set(`env.${base}`, name);
      }
      return name;
    };
    sdkImport('opa_abort', 1, false);
    for (let arity = 0; arity <= MAX_HOST_ARITY; arity++) sdkImport(`opa_builtin${arity}`, arity + 2, true);
    const exports = new Map();
    for (let i = 0; i < m.getNumExports(); i++) {
      const info = binaryen.getExportInfo(m.getExportByIndex(i));
      if (info.kind === binaryen.ExternalFunction) exports.set(info.name, info.value);
    }
    const builtinExit = exports.get('hooker_builtin_exit');
    if (!builtinExit) fail('the runtime does not export hooker_builtin_exit');
    for (let arity = 0; arity <= MAX_HOST_ARITY; arity++) {
      const name = `hooker_host_call${arity}`;
      const imp = sdkImport(`opa_builtin${arity}`, arity + 2, true);
      const resultLocal = arity + 1;
      m.addFunction(name, binaryen.createType(new Array(arity + 1).fill(i32)), i32, [i32], m.block(null, [
        m.local.set(resultLocal, m.call(imp, [
          m.local.get(0, i32), m.i32.const(0),
          ...Array.from({ length: arity }, (_, k) => m.local.get(k + 1, i32)),
        ], i32)),
        m.call(builtinExit, [], binaryen.none),
        m.local.get(resultLocal, i32),
      ], i32));
      m.addFunctionExport(name, `${LINK_EXPORT_PREFIX}host_call${arity}`);
    }
    if (!m.validate()) fail('the runtime prepared for linking does not validate');
    binaryen.setDebugInfo(false);
    return m.emitBinary();
  } finally {
    m.dispose();
  }
}

const wasm = await compile();
const m = binaryen.readBinary(wasm);
m.setFeatures(binaryen.Features.MVP | binaryen.Features.MutableGlobals | binaryen.Features.SignExt
  | binaryen.Features.BulkMemory | binaryen.Features.BulkMemoryOpt | binaryen.Features.NontrappingFPToInt | binaryen.Features.SIMD128);
check(m);
const heapStart = setHeapStart(m);
if (!m.validate()) fail('the runtime module does not validate');
binaryen.setDebugInfo(false);
const bytes = m.emitBinary();
m.dispose();
const linkable = prepareForLinking(bytes);
await mkdir(dirname(outFile), { recursive: true });
await writeFile(outFile, bytes);
await writeFile(linkableFile, linkable);
await writeFile(linkableHashFile, `${createHash('sha256').update(bytes).digest('hex')}\n`);
console.log(`build-runtime: wrote ${relative(root, outFile)} (${bytes.length} bytes, heap starts at ${heapStart}) and ${relative(root, linkableFile)} (${linkable.length} bytes)`);
