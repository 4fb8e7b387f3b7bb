// The value a `$NAME` of cfg.yaml stands for: the variable NAME, else the
// content of the file NAME_FILE names (the Docker/Kubernetes secrets
// convention), so passwords and tokens need not sit in the environment.

import { readFileSync } from 'node:fs';

export function envReferenceValue(name: string, env: NodeJS.ProcessEnv): { value?: string } | { error: string } {
  const direct = env[name];
  if (direct !== undefined && direct !== '') return { value: direct };
  const file = env[`${name}_FILE`];
  if (file) {
    try {
      return { value: readFileSync(file, 'utf8').replace(/\r?\n$/, '') };
    } catch (e) {
      return { error: `${name}_FILE names ${file}, which cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
    }
  }
  return { value: direct };
}
