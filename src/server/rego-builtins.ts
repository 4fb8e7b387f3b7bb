// Custom Rego builtins for the server's routes and templates: declarations
// from HOOKER_REGO_CAPABILITIES (an OPA capabilities JSON file) and
// implementations from HOOKER_REGO_BUILTINS (a JS module exporting one
// function per builtin name). Read on every (re)load, before anything is
// compiled; operator-controlled, since the module runs inside the server.

import { envValue } from '../config/env.js';
import type { Problem } from '../config/problems.js';
import { CustomBuiltinError, useCustomBuiltins } from '../rego/builtins/custom.js';

export async function installServerBuiltins(env: NodeJS.ProcessEnv): Promise<Problem[]> {
  const capabilities = envValue(env, 'REGO_CAPABILITIES') || undefined;
  const module = envValue(env, 'REGO_BUILTINS') || undefined;
  try {
    const loaded = await useCustomBuiltins({ capabilities, module });
    return [
      ...loaded.shadowing.map((name): Problem => ({ severity: 'warning', file: module!, path: name, message: `${name} is a builtin Hooker already has; the module's function is not used` })),
      ...loaded.unimplemented.map((name): Problem => ({ severity: 'warning', file: capabilities!, path: name, message: `${name} is declared but ${module ? `${module} does not export it` : 'HOOKER_REGO_BUILTINS names no module'}; policies calling it fail` })),
    ];
  } catch (e) {
    if (!(e instanceof CustomBuiltinError)) throw e;
    // The message starts with the file it is about; the problem names it once.
    const file = [module, capabilities].find((f) => f !== undefined && e.message.startsWith(`${f}: `)) ?? module ?? capabilities ?? '';
    return [{ severity: 'error', file, path: '', message: e.message.startsWith(`${file}: `) ? e.message.slice(file.length + 2) : e.message }];
  }
}
