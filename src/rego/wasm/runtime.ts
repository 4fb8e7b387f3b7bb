// Locates the value runtime that `npm ci` builds from src/rego/runtime
// (scripts/build-runtime.mjs) and caches its bytes.

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
