// Locates the value runtime that `npm ci` builds from src/rego/runtime
// (scripts/build-runtime.mjs) and caches its bytes.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

let runtimeBytes: Uint8Array | undefined;

export function runtimeWasm(): Uint8Array {
  if (!runtimeBytes) {
    // Same relative path from src/rego/wasm and dist/rego/wasm.
    const path = fileURLToPath(new URL('../../../build/runtime.wasm', import.meta.url));
    try {
      runtimeBytes = readFileSync(path);
    } catch (e) {
      throw new Error(`the Rego value runtime is not built (${path}): run \`npm run build:runtime\` (${(e as Error).message})`);
    }
  }
  return runtimeBytes;
}

/**
 * build/runtime-linkable.wasm: the runtime prepared for linking by
 * `npm run build:runtime` (see link-base.ts), checked against the runtime
 * bytes it was prepared from through the SHA-256 written beside it, so a
 * runtime rebuilt without its prepared twin is an error, not a bad link.
 */
export function linkableRuntime(runtime: Uint8Array): Uint8Array {
  const base = new URL('../../../build/', import.meta.url);
  const path = fileURLToPath(new URL('runtime-linkable.wasm', base));
  let bytes: Uint8Array;
  let source: string;
  try {
    bytes = readFileSync(path);
    source = readFileSync(fileURLToPath(new URL('runtime-linkable.sha256', base)), 'utf8').trim();
  } catch (e) {
    throw new Error(`the Rego runtime is not prepared for linking (${path}): run \`npm run build:runtime\` (${(e as Error).message})`);
  }
  const actual = createHash('sha256').update(runtime).digest('hex');
  if (actual !== source) {
    throw new Error(`${path} was prepared from another build of the runtime: run \`npm run build:runtime\``);
  }
  return bytes;
}
